using System.Globalization;
using System.Runtime.InteropServices;

namespace Edgewise.Gguf;

/// <summary>
/// Checks metadata values against the rules <see cref="GgufParser"/> enforces (so the writer never produces a file
/// the reader refuses) and encodes them.
/// </summary>
internal static class GgufValueEncoder
{
    /// <summary>Validates <paramref name="key"/> as the parser does: 1 to 65,535 bytes of printable ASCII.</summary>
    public static void ValidateKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length is 0 or > GgufLimits.MaxKeyBytes)
        {
            throw new ArgumentException("A metadata key must be 1 to 65,535 bytes long.", nameof(key));
        }

        foreach (var c in key)
        {
            if (c is < (char)0x21 or > (char)0x7E)
            {
                throw new ArgumentException("A metadata key must be printable ASCII without spaces.", nameof(key));
            }
        }
    }

    /// <summary>Returns <paramref name="value"/> in canonical form (scalars as ulong, long, double, bool or string), or throws.</summary>
    public static GgufValue Canonicalize(string key, GgufValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var raw = value.RawValue;
        switch (value.Type)
        {
            case GgufValueType.Array:
                return ValidateArray(value);
            case GgufValueType.String when raw is string s:
                ValidateString(s, MaxStringBytes(key), nameof(value));
                return value;
            case GgufValueType.Bool when raw is bool:
                return value;
            case GgufValueType.Float32 or GgufValueType.Float64 when raw is double or float:
                return GgufValue.Scalar(value.Type, Convert.ToDouble(raw, CultureInfo.InvariantCulture));
            case var t when GgufValue.IsIntegerType(t):
                return GgufValue.Scalar(t, CanonicalInteger(t, raw));
            default:
                throw new ArgumentException("The metadata value does not match its declared type.", nameof(value));
        }
    }

    public static void Write(GgufHeaderEncoder encoder, GgufValue value)
    {
        encoder.WriteUInt32((uint)value.Type, GgufField.ValueType);
        if (value.Type == GgufValueType.Array)
        {
            WriteArray(encoder, value);
        }
        else
        {
            WriteScalar(encoder, value.Type, value.RawValue);
        }
    }

    private static int MaxStringBytes(string key) => key.StartsWith(GgufKeys.Tokenizer.ChatTemplate, StringComparison.Ordinal)
        ? GgufLimits.MaxChatTemplateBytes
        : GgufLimits.MaxStringBytes;

    private static void ValidateString(string value, int maxBytes, string paramName)
    {
        ArgumentNullException.ThrowIfNull(value, paramName);
        if (GgufHeaderEncoder.Utf8Length(value, paramName) > maxBytes)
        {
            throw new ArgumentException("A metadata string is longer than the reader accepts.", paramName);
        }
    }

    private static GgufValue ValidateArray(GgufValue value)
    {
        // GgufValue.Array guarantees a one-dimensional array whose .NET type matches a non-ARRAY element type.
        var array = (Array)value.RawValue;
        if (array.Length > GgufLimits.MaxArrayElements)
        {
            throw new ArgumentException("The metadata array has more elements than the reader accepts.", nameof(value));
        }

        if (array is string[] strings)
        {
            foreach (var s in strings)
            {
                ValidateString(s, GgufLimits.MaxStringBytes, nameof(value));
            }
        }

        return value;
    }

    private static object CanonicalInteger(GgufValueType type, object raw)
    {
        Int128 v = raw switch
        {
            byte x => x,
            sbyte x => x,
            ushort x => x,
            short x => x,
            uint x => x,
            int x => x,
            ulong x => x,
            long x => x,
            _ => throw new ArgumentException("The metadata value does not match its declared type.", nameof(raw)),
        };
        var (min, max) = type switch
        {
            GgufValueType.UInt8 => (Int128.Zero, (Int128)byte.MaxValue),
            GgufValueType.Int8 => (sbyte.MinValue, sbyte.MaxValue),
            GgufValueType.UInt16 => (Int128.Zero, ushort.MaxValue),
            GgufValueType.Int16 => (short.MinValue, short.MaxValue),
            GgufValueType.UInt32 => (Int128.Zero, uint.MaxValue),
            GgufValueType.Int32 => (int.MinValue, int.MaxValue),
            GgufValueType.UInt64 => (Int128.Zero, ulong.MaxValue),
            _ => ((Int128)long.MinValue, (Int128)long.MaxValue),
        };
        if (v < min || v > max)
        {
            throw new ArgumentOutOfRangeException(nameof(raw), "The metadata value does not fit its declared type.");
        }

        return type is GgufValueType.UInt8 or GgufValueType.UInt16 or GgufValueType.UInt32 or GgufValueType.UInt64
            ? (object)(ulong)v
            : (long)v;
    }

    private static void WriteScalar(GgufHeaderEncoder encoder, GgufValueType type, object raw)
    {
        switch (type)
        {
            case GgufValueType.UInt8: encoder.WriteByte((byte)(ulong)raw); break;
            case GgufValueType.Int8: encoder.WriteByte((byte)(sbyte)(long)raw); break;
            case GgufValueType.UInt16: encoder.WriteUInt16((ushort)(ulong)raw); break;
            case GgufValueType.Int16: encoder.WriteUInt16((ushort)(short)(long)raw); break;
            case GgufValueType.UInt32: encoder.WriteUInt32((uint)(ulong)raw); break;
            case GgufValueType.Int32: encoder.WriteUInt32((uint)(int)(long)raw); break;
            case GgufValueType.UInt64: encoder.WriteUInt64((ulong)raw); break;
            case GgufValueType.Int64: encoder.WriteUInt64((ulong)(long)raw); break;
            case GgufValueType.Float32: encoder.WriteFloat32((float)(double)raw); break;
            case GgufValueType.Float64: encoder.WriteFloat64((double)raw); break;
            case GgufValueType.Bool: encoder.WriteByte((bool)raw ? (byte)1 : (byte)0); break;
            default: encoder.WriteString((string)raw, GgufField.StringLength); break;
        }
    }

    private static void WriteArray(GgufHeaderEncoder encoder, GgufValue value)
    {
        encoder.WriteUInt32((uint)value.ElementType, GgufField.ArrayElementType);
        var array = (Array)value.RawValue;
        encoder.WriteUInt64((ulong)array.Length, GgufField.ArrayLength);
        // Dispatch on the declared element type: the runtime lets an sbyte[] pass as byte[] (and so on).
        switch (value.ElementType)
        {
            case GgufValueType.String:
                foreach (var s in (string[])array)
                {
                    encoder.WriteString(s, GgufField.StringLength);
                }

                break;
            case GgufValueType.Bool:
                foreach (var b in (bool[])array)
                {
                    encoder.WriteByte(b ? (byte)1 : (byte)0);
                }

                break;
            case GgufValueType.UInt8: encoder.WriteBytes((byte[])array); break;
            case GgufValueType.Int8: encoder.WriteBytes(MemoryMarshal.AsBytes(((sbyte[])array).AsSpan())); break;
            case GgufValueType.UInt16: WriteLittleEndian((ushort[])array); break;
            case GgufValueType.Int16: WriteLittleEndian((short[])array); break;
            case GgufValueType.UInt32: WriteLittleEndian((uint[])array); break;
            case GgufValueType.Int32: WriteLittleEndian((int[])array); break;
            case GgufValueType.UInt64: WriteLittleEndian((ulong[])array); break;
            case GgufValueType.Int64: WriteLittleEndian((long[])array); break;
            case GgufValueType.Float32: WriteLittleEndian((float[])array); break;
            default: WriteLittleEndian((double[])array); break;
        }

        void WriteLittleEndian<T>(T[] values)
            where T : unmanaged
        {
            if (!BitConverter.IsLittleEndian)
            {
                throw new PlatformNotSupportedException("Big-endian hosts are not supported.");
            }

            encoder.WriteBytes(MemoryMarshal.AsBytes(values.AsSpan()));
        }
    }
}
