using Edgewise.Gguf.Tests.Hostile;

namespace Edgewise.Gguf.Tests;

/// <summary>GgufFile.Open on disk: unreadable paths, truncated files (M07), files over 2 GiB, and tensor access bounds.</summary>
public sealed class GgufFileTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Open_MissingFile_Io()
    {
        var e = HostileAssert.Catch(() => GgufFile.Open(_dir.File("missing.gguf")).Dispose());
        Assert.Equal(GgufErrorCodes.Io, e.Code);
        Assert.DoesNotContain(_dir.Path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_Directory_Io()
    {
        var e = HostileAssert.Catch(() => GgufFile.Open(_dir.Path).Dispose());
        Assert.Equal(GgufErrorCodes.Io, e.Code);
    }

    [Fact]
    public void Open_EmptyFile_HeaderTruncated()
    {
        var path = _dir.Write("empty.gguf", []);
        var e = HostileAssert.Catch(() => GgufFile.Open(path).Dispose());
        Assert.Equal(GgufErrorCodes.HeaderTruncated, e.Code);
        Assert.Equal(0, e.Offset);
    }

    [Fact]
    public void Open_ShortFileWithBadMagic_HeaderMagic()
    {
        var path = _dir.Write("short.gguf", "NOPE1234"u8.ToArray());
        Assert.Equal(GgufErrorCodes.HeaderMagic, HostileAssert.Catch(() => GgufFile.Open(path).Dispose()).Code);
    }

    [Fact]
    public void Open_ValidFile_TensorDataMatches()
    {
        var data = Enumerable.Range(0, 64).Select(i => (byte)i).ToArray();
        var path = _dir.File("ok.gguf");
        new GgufWriter().AddTensor("t", GgmlType.F32, [16], data).WriteTo(path);
        using var file = GgufFile.Open(path);
        Assert.Equal(data, file.GetTensorData(file.Tensors[0]).ToArray());
    }

    [Fact]
    public void ReleasePages_MappedTensor_WholeAlignedBlocksOnly_DataStillReads()
    {
        // 6 MiB of F32 data: at least two whole 2 MiB-aligned blocks lie inside it wherever the mapping starts.
        var data = new byte[6 << 20];
        new Random(7).NextBytes(data);
        var path = _dir.File("big.gguf");
        new GgufWriter().AddTensor("t", GgmlType.F32, [data.Length / 4], data).WriteTo(path);
        using var file = GgufFile.Open(path);
        var tensor = file.Tensors[0];
        var address = file.GetTensorAddress(tensor);
        Assert.Equal(data, file.GetTensorData(tensor).ToArray());

        var released = file.ReleasePages(address, data.Length);
        if (OperatingSystem.IsLinux())
        {
            Assert.True(released >= 2 << 20, $"released {released}");
        }

        Assert.Equal(0, released % (2 << 20));
        Assert.True(released <= data.Length);
        Assert.Equal(data, file.GetTensorData(tensor).ToArray());
        Assert.Equal(0, file.ReleasePages(address, (2 << 20) - 1));
    }

    [Fact]
    public void ReleasePages_OutsideTheFileOrInMemory_RejectedOrNothing()
    {
        var path = _dir.File("small.gguf");
        new GgufWriter().AddTensor("t", GgmlType.F32, [16], new byte[64]).WriteTo(path);
        using var file = GgufFile.Open(path);
        var address = file.GetTensorAddress(file.Tensors[0]);
        Assert.Throws<ArgumentException>(() => file.ReleasePages(address, 1 << 30));
        Assert.Throws<ArgumentException>(() => file.ReleasePages(address - (1 << 20), 64));
        Assert.Throws<ArgumentException>(() => file.ReleasePages(address, -1));
        Assert.Throws<ArgumentException>(() => file.ReleasePages(address, long.MaxValue));

        var data = new byte[6 << 20];
        using var memory = GgufFile.FromBytes(new GgufWriter().AddTensor("t", GgmlType.F32, [data.Length / 4], data).ToArray());
        Assert.Equal(0, memory.ReleasePages(memory.GetTensorAddress(memory.Tensors[0]), data.Length));
    }

    [Fact]
    public void Open_M07_EveryTruncation_TypedRejectAndDataCutIsDataTruncated()
    {
        var full = SmallModel().ToArray();
        var header = GgufParser.Parse(full, full.Length);
        var path = _dir.Write("cut.gguf", full);
        var codes = new Dictionary<string, int>();
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            // The trailing padding after the last tensor is optional: cuts start at the last data byte.
            var dataEnd = header.DataOffset + header.Tensors.Max(t => t.Offset + t.ByteSize);
            for (var length = dataEnd - 1; length >= 0; length--)
            {
                stream.SetLength(length);
                stream.Flush();
                var e = HostileAssert.Catch(() => GgufFile.Open(path).Dispose());
                codes[e.Code] = codes.GetValueOrDefault(e.Code) + 1;
                if (length >= header.HeaderLength)
                {
                    Assert.Equal(GgufErrorCodes.DataTruncated, e.Code);
                }
                else if (length < GgufLimits.HeaderBytes)
                {
                    Assert.Equal(GgufErrorCodes.HeaderTruncated, e.Code);
                }
            }
        }

        // Cuts inside the metadata and directory hit the check of whichever field they split.
        Assert.True(codes.Count >= 5, string.Join(", ", codes));
    }

    [Fact]
    public void GetTensorData_OffsetPlusLengthOverflows_Throws()
    {
        using var file = GgufFile.FromBytes(new GgufWriter().AddTensor("t", GgmlType.F32, [16], new byte[64]).ToArray());
        var t = file.Tensors[0];
        Assert.Throws<ArgumentOutOfRangeException>(() => file.GetTensorData(t, long.MaxValue, 16).Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => file.GetTensorData(t, 60, 8).Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => file.GetTensorData(t, 0, 65).Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => file.GetTensorData(t, -1, 1).Length);
        Assert.Equal(4, file.GetTensorData(t, 60, 4).Length);
    }

    [Fact]
    public void GetTensorData_TensorOfAnotherFile_Throws()
    {
        var bytes = new GgufWriter().AddTensor("t", GgmlType.F32, [16], new byte[64]).ToArray();
        using var a = GgufFile.FromBytes(bytes);
        using var b = GgufFile.FromBytes(bytes);
        Assert.Throws<ArgumentException>(() => a.GetTensorData(b.Tensors[0]).Length);
    }

    [Fact]
    public void GetTensorData_AfterDispose_Throws()
    {
        var file = GgufFile.FromBytes(new GgufWriter().AddTensor("t", GgmlType.F32, [16], new byte[64]).ToArray());
        var t = file.Tensors[0];
        file.Dispose();
        file.Dispose();
        Assert.Throws<ObjectDisposedException>(() => file.GetTensorData(t).Length);
    }

    [Fact]
    public void Open_SparseFileOver2GiB_ChunksPastTheMarkReadable()
    {
        // A 2 GiB + 64 KiB I8 tensor, then an F32 tensor behind it; the file is sparse (only the header and two
        // small patterns are written), so this costs a few KB of disk on file systems with holes (ext4, xfs, tmpfs).
        const long bigElements = (1L << 31) + (64 * 1024);
        var raw = RawGguf.Header(2, 0).Tensor("big", 24, 0, bigElements).Tensor("tail", 0, (ulong)bigElements, 1024);
        var header = raw.PadTo(GgufLimits.DefaultAlignment).ToArray();
        var total = header.Length + bigElements + 4096;
        var pattern = Enumerable.Range(0, 4096).Select(i => (byte)(i * 7)).ToArray();
        const long patternInBig = (1L << 31) + 100;
        var path = _dir.File("sparse.gguf");
        using (var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
        {
            stream.Write(header);
            stream.SetLength(total);
            stream.Position = header.Length + patternInBig;
            stream.Write(pattern.AsSpan(0, 1000));
            stream.Position = header.Length + bigElements;
            stream.Write(pattern);
        }

        using var file = GgufFile.Open(path);
        Assert.Equal(total, file.Header.FileLength);
        var big = file.FindTensor("big")!;
        var tail = file.FindTensor("tail")!;
        Assert.True(file.Header.DataOffset + tail.Offset > int.MaxValue);
        Assert.Equal(pattern, file.GetTensorData(tail).ToArray());
        Assert.Equal(pattern.AsSpan(0, 1000).ToArray(), file.GetTensorData(big, patternInBig, 1000).ToArray());
        Assert.All(file.GetTensorData(big, bigElements - 4096, 4096).ToArray(), b => Assert.Equal(0, b));
        Assert.Throws<NotSupportedException>(() => file.GetTensorData(big).Length);
    }

    private static GgufWriter SmallModel() => new GgufWriter()
        .Add(GgufKeys.General.Architecture, GgufValue.String("llama"))
        .Add("llama.block_count", GgufValue.UInt32(1))
        .Add(GgufKeys.Tokenizer.Tokens, GgufValue.Array(new[] { "<s>", "</s>", "▁a", "b" }))
        .Add(GgufKeys.Tokenizer.Scores, GgufValue.Array(new[] { 0f, 0f, -1f, -2f }))
        .AddTensor(TensorNames.TokenEmbedding, GgmlType.F32, [8, 4], new byte[128])
        .AddTensor(TensorNames.Output, GgmlType.Q8_0, [32, 2], new byte[68]);
}
