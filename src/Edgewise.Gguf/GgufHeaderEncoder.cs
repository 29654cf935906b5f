using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Edgewise.Gguf;

/// <summary>
/// Encodes the header, metadata and tensor directory of a GGUF file into memory, little-endian, optionally
/// recording where each length, count and type field went.
/// </summary>
internal sealed class GgufHeaderEncoder
{
    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private readonly ArrayBufferWriter<byte> _buffer = new(64 * 1024);
    private readonly List<GgufFieldOffset>? _fields;

    public GgufHeaderEncoder(List<GgufFieldOffset>? fields)
    {
        _fields = fields;
    }

    public int Length => _buffer.WrittenCount;

    public ReadOnlySpan<byte> Bytes => _buffer.WrittenSpan;

    /// <summary>Bytes <paramref name="value"/> takes in UTF-8; lone surrogates are refused.</summary>
    public static int Utf8Length(string value, string paramName)
    {
        try
        {
            return s_strictUtf8.GetByteCount(value);
        }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException("The string is not valid UTF-16 (lone surrogate).", paramName, e);
        }
    }

    public void WriteUInt32(uint value, GgufField? field = null)
    {
        Record(field, 4);
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
    }

    public void WriteUInt64(ulong value, GgufField? field = null)
    {
        Record(field, 8);
        BinaryPrimitives.WriteUInt64LittleEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
    }

    public void WriteByte(byte value)
    {
        _buffer.GetSpan(1)[0] = value;
        _buffer.Advance(1);
    }

    public void WriteUInt16(ushort value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.GetSpan(2), value);
        _buffer.Advance(2);
    }

    public void WriteFloat32(float value)
    {
        BinaryPrimitives.WriteSingleLittleEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
    }

    public void WriteFloat64(double value)
    {
        BinaryPrimitives.WriteDoubleLittleEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
    }

    /// <summary>Writes a 64-bit length prefix, then the UTF-8 bytes (already validated by the caller).</summary>
    public void WriteString(string value, GgufField field)
    {
        var length = s_strictUtf8.GetByteCount(value);
        WriteUInt64((ulong)length, field);
        var written = s_strictUtf8.GetBytes(value, _buffer.GetSpan(length));
        _buffer.Advance(written);
    }

    public void WriteBytes(ReadOnlySpan<byte> bytes) => _buffer.Write(bytes);

    private void Record(GgufField? field, int size)
    {
        if (field is { } f)
        {
            _fields?.Add(new GgufFieldOffset(f, _buffer.WrittenCount, size));
        }
    }
}
