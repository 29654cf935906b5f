using System.Buffers.Binary;
using System.Text;

namespace Edgewise.Gguf;

/// <summary>A bounds-checked little-endian reader over the header bytes. Every read checks the remaining count first.</summary>
internal ref struct GgufCursor
{
    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private readonly ReadOnlySpan<byte> _data;

    public GgufCursor(ReadOnlySpan<byte> data)
    {
        _data = data;
        Position = 0;
    }

    public int Position { get; private set; }

    public readonly long Remaining => _data.Length - Position;

    public uint ReadUInt32(string code)
    {
        var span = Take(4, code);
        return BinaryPrimitives.ReadUInt32LittleEndian(span);
    }

    public ulong ReadUInt64(string code)
    {
        var span = Take(8, code);
        return BinaryPrimitives.ReadUInt64LittleEndian(span);
    }

    public long ReadInt64(string code)
    {
        var span = Take(8, code);
        return BinaryPrimitives.ReadInt64LittleEndian(span);
    }

    public ReadOnlySpan<byte> Take(int count, string code)
    {
        if (count < 0 || count > Remaining)
        {
            throw new InvalidModelFileException(code, Position, "The model file ends before a value it declares.");
        }

        var span = _data.Slice(Position, count);
        Position += count;
        return span;
    }

    /// <summary>Reads a length-prefixed string; the length is checked against <paramref name="maxBytes"/> and the remaining bytes before use.</summary>
    public string ReadString(int maxBytes, string code, bool strictUtf8)
    {
        var start = Position;
        var length = ReadUInt64(code);
        if (length > (ulong)maxBytes)
        {
            throw new InvalidModelFileException(code, start, "A string in the model file is longer than allowed.");
        }

        if (length > (ulong)Remaining)
        {
            throw new InvalidModelFileException(code, start, "A string in the model file is longer than the file.");
        }

        if (length == 0)
        {
            return string.Empty;
        }

        var bytes = Take((int)length, code);
        if (!strictUtf8)
        {
            return Encoding.UTF8.GetString(bytes);
        }

        try
        {
            return s_strictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new InvalidModelFileException(code, start, "A name in the model file is not valid UTF-8.");
        }
    }
}
