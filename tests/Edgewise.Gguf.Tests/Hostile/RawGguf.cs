using System.Buffers.Binary;
using System.Text;

namespace Edgewise.Gguf.Tests.Hostile;

/// <summary>
/// A low-level GGUF byte builder that checks nothing, so tests can write any header: wrong counts, lengths, types,
/// dimensions and offsets. Values are little-endian as in the format.
/// </summary>
internal sealed class RawGguf
{
    public const uint MagicValue = 0x46554747;
    public const uint TypeUInt8 = 0, TypeInt8 = 1, TypeUInt16 = 2, TypeInt16 = 3, TypeUInt32 = 4, TypeInt32 = 5;
    public const uint TypeFloat32 = 6, TypeBool = 7, TypeString = 8, TypeArray = 9, TypeUInt64 = 10, TypeInt64 = 11;

    private readonly MemoryStream _stream = new();

    public long Length => _stream.Length;

    /// <summary>Magic, version, tensor count and kv count.</summary>
    public static RawGguf Header(ulong tensorCount, ulong kvCount, uint version = 3) =>
        new RawGguf().U32(MagicValue).U32(version).U64(tensorCount).U64(kvCount);

    public RawGguf U8(byte value)
    {
        _stream.WriteByte(value);
        return this;
    }

    public RawGguf U32(uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        return Bytes(b);
    }

    public RawGguf U64(ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, value);
        return Bytes(b);
    }

    public RawGguf I64(long value) => U64((ulong)value);

    public RawGguf Bytes(ReadOnlySpan<byte> bytes)
    {
        _stream.Write(bytes);
        return this;
    }

    public RawGguf Zeros(long count)
    {
        _stream.Write(new byte[count]);
        return this;
    }

    /// <summary>A string: its UTF-8 byte length, then the bytes.</summary>
    public RawGguf Str(string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        return U64((ulong)bytes.Length).Bytes(bytes);
    }

    /// <summary>A string given as raw bytes (may be invalid UTF-8).</summary>
    public RawGguf Str(byte[] bytes) => U64((ulong)bytes.Length).Bytes(bytes);

    /// <summary>A key and a value type; the caller writes the value.</summary>
    public RawGguf Kv(string key, uint type) => Str(key).U32(type);

    public RawGguf KvU32(string key, uint value) => Kv(key, TypeUInt32).U32(value);

    public RawGguf KvString(string key, string value) => Kv(key, TypeString).Str(value);

    /// <summary>A tensor-info entry: name, n_dims, dims, type, offset.</summary>
    public RawGguf Tensor(string name, uint type, ulong offset, params long[] dims)
    {
        Str(name).U32((uint)dims.Length);
        foreach (var d in dims)
        {
            I64(d);
        }

        return U32(type).U64(offset);
    }

    /// <summary>Zero padding up to the next multiple of <paramref name="alignment"/>.</summary>
    public RawGguf PadTo(int alignment) => Zeros((alignment - (Length % alignment)) % alignment);

    public byte[] ToArray() => _stream.ToArray();
}
