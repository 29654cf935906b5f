namespace Edgewise.Gguf.Tests.Hostile;

/// <summary>Asserts that a hostile file is rejected with one exact code on every entry point, and cheaply.</summary>
internal static class HostileAssert
{
    /// <summary>Allocation allowed on top of the file size while rejecting it (exception, stack trace, small tables).</summary>
    public const long AllocationSlack = 32 * 1024;

    /// <summary>
    /// Parses <paramref name="file"/> through <see cref="GgufParser.Parse"/>, <see cref="GgufFile.FromBytes"/> and
    /// <see cref="GgufFile.Open"/> (from a temp file); each must throw <see cref="InvalidModelFileException"/> with
    /// <paramref name="code"/> and nothing else. The parse must allocate less than the file size plus
    /// <see cref="AllocationSlack"/> (M02). With <paramref name="headerLength"/>, the parser also gets a span of
    /// only the header bytes (M07: it must not need the data section to reach the same verdict).
    /// </summary>
    public static InvalidModelFileException Rejected(byte[] file, string code, int? headerLength = null)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var parsed = Catch(() => GgufParser.Parse(file, file.Length));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(code, parsed.Code);
        Assert.True(
            allocated < file.Length + AllocationSlack,
            $"Rejecting a {file.Length}-byte file allocated {allocated} bytes.");

        Assert.Equal(code, Catch(() => GgufFile.FromBytes(file).Dispose()).Code);
        if (headerLength is { } h)
        {
            Assert.Equal(code, Catch(() => GgufParser.Parse(file.AsSpan(0, h), file.Length)).Code);
        }

        using var dir = new TempDirectory();
        var path = dir.Write("hostile.gguf", file);
        Assert.Equal(code, Catch(() => GgufFile.Open(path).Dispose()).Code);
        return parsed;
    }

    /// <summary>Runs <paramref name="action"/>; only <see cref="InvalidModelFileException"/> may escape it, and it must.</summary>
    public static InvalidModelFileException Catch(Action action)
    {
        try
        {
            action();
        }
        catch (InvalidModelFileException e)
        {
            return e;
        }

        Assert.Fail("The file was accepted.");
        throw new InvalidOperationException();
    }
}
