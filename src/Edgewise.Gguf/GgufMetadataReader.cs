using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Edgewise.Gguf;

/// <summary>Reads and validates the key/value section.</summary>
internal static class GgufMetadataReader
{
    public static GgufMetadata Read(ref GgufCursor cursor, int count)
    {
        var capacity = Math.Min(count, GgufParser.InitialCapacityCap);
        var entries = new List<KeyValuePair<string, GgufValue>>(capacity);
        var seen = new HashSet<string>(capacity, StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var keyAt = cursor.Position;
            var key = ReadKey(ref cursor);
            if (!seen.Add(key))
            {
                throw new InvalidModelFileException(GgufErrorCodes.KvDuplicate, keyAt, "A metadata key appears twice.");
            }

            var typeAt = cursor.Position;
            var type = ReadType(ref cursor, typeAt);
            var maxString = key.StartsWith(GgufKeys.Tokenizer.ChatTemplate, StringComparison.Ordinal)
                ? GgufLimits.MaxChatTemplateBytes
                : GgufLimits.MaxStringBytes;
            var value = type == GgufValueType.Array
                ? ReadArray(ref cursor)
                : GgufValue.Scalar(type, ReadScalar(ref cursor, type, maxString));
            entries.Add(new(key, value));
        }

        return new GgufMetadata(entries);
    }

    private static string ReadKey(ref GgufCursor cursor)
    {
        var at = cursor.Position;
        var key = cursor.ReadString(GgufLimits.MaxKeyBytes, GgufErrorCodes.KvKey, strictUtf8: true);
        if (key.Length == 0)
        {
            throw new InvalidModelFileException(GgufErrorCodes.KvKey, at, "A metadata key is empty.");
        }

        foreach (var c in key)
        {
            if (c is < (char)0x21 or > (char)0x7E)
            {
                throw new InvalidModelFileException(GgufErrorCodes.KvKey, at, "A metadata key is not printable ASCII.");
            }
        }

        return key;
    }

    private static GgufValueType ReadType(ref GgufCursor cursor, int at)
    {
        var raw = cursor.ReadUInt32(GgufErrorCodes.Truncated);
        return raw > (uint)GgufValueType.Float64
            ? throw new InvalidModelFileException(GgufErrorCodes.KvType, at, "A metadata value has an unknown type.")
            : (GgufValueType)raw;
    }

    private static object ReadScalar(ref GgufCursor cursor, GgufValueType type, int maxString)
    {
        var at = cursor.Position;
        switch (type)
        {
            case GgufValueType.UInt8: return (ulong)cursor.Take(1, GgufErrorCodes.Truncated)[0];
            case GgufValueType.Int8: return (long)(sbyte)cursor.Take(1, GgufErrorCodes.Truncated)[0];
            case GgufValueType.UInt16: return (ulong)BinaryPrimitives.ReadUInt16LittleEndian(cursor.Take(2, GgufErrorCodes.Truncated));
            case GgufValueType.Int16: return (long)BinaryPrimitives.ReadInt16LittleEndian(cursor.Take(2, GgufErrorCodes.Truncated));
            case GgufValueType.UInt32: return (ulong)cursor.ReadUInt32(GgufErrorCodes.Truncated);
            case GgufValueType.Int32: return (long)(int)cursor.ReadUInt32(GgufErrorCodes.Truncated);
            case GgufValueType.UInt64: return cursor.ReadUInt64(GgufErrorCodes.Truncated);
            case GgufValueType.Int64: return cursor.ReadInt64(GgufErrorCodes.Truncated);
            case GgufValueType.Float32: return (double)BinaryPrimitives.ReadSingleLittleEndian(cursor.Take(4, GgufErrorCodes.Truncated));
            case GgufValueType.Float64: return BinaryPrimitives.ReadDoubleLittleEndian(cursor.Take(8, GgufErrorCodes.Truncated));
            case GgufValueType.Bool:
                var b = cursor.Take(1, GgufErrorCodes.Truncated)[0];
                return b switch
                {
                    0 => false,
                    1 => true,
                    _ => throw new InvalidModelFileException(GgufErrorCodes.KvBool, at, "A metadata bool is neither 0 nor 1."),
                };
            case GgufValueType.String: return cursor.ReadString(maxString, GgufErrorCodes.KvString, strictUtf8: false);
            default: throw new InvalidModelFileException(GgufErrorCodes.KvType, at, "A metadata value has an unknown type.");
        }
    }

    private static GgufValue ReadArray(ref GgufCursor cursor)
    {
        var at = cursor.Position;
        var elementType = ReadType(ref cursor, at);
        if (elementType == GgufValueType.Array)
        {
            throw new InvalidModelFileException(GgufErrorCodes.KvNestedArray, at, "Nested metadata arrays are not supported.");
        }

        var countAt = cursor.Position;
        var count = cursor.ReadUInt64(GgufErrorCodes.KvArray);
        var minSize = MinEncodedSize(elementType);
        if (count > GgufLimits.MaxArrayElements || count * (ulong)minSize > (ulong)cursor.Remaining)
        {
            throw new InvalidModelFileException(GgufErrorCodes.KvArray, countAt, "A metadata array is longer than allowed or than the file.");
        }

        var n = (int)count;
        Array values = elementType switch
        {
            GgufValueType.String => ReadStrings(ref cursor, n),
            GgufValueType.Bool => ReadBools(ref cursor, n),
            GgufValueType.UInt8 => ReadBlittable<byte>(ref cursor, n),
            GgufValueType.Int8 => ReadBlittable<sbyte>(ref cursor, n),
            GgufValueType.UInt16 => ReadBlittable<ushort>(ref cursor, n),
            GgufValueType.Int16 => ReadBlittable<short>(ref cursor, n),
            GgufValueType.UInt32 => ReadBlittable<uint>(ref cursor, n),
            GgufValueType.Int32 => ReadBlittable<int>(ref cursor, n),
            GgufValueType.UInt64 => ReadBlittable<ulong>(ref cursor, n),
            GgufValueType.Int64 => ReadBlittable<long>(ref cursor, n),
            GgufValueType.Float32 => ReadBlittable<float>(ref cursor, n),
            GgufValueType.Float64 => ReadBlittable<double>(ref cursor, n),
            _ => throw new InvalidModelFileException(GgufErrorCodes.KvType, at, "A metadata array has an unknown element type."),
        };
        return GgufValue.Array(elementType, values);
    }

    private static string[] ReadStrings(ref GgufCursor cursor, int n)
    {
        var result = new string[n];
        for (var i = 0; i < n; i++)
        {
            result[i] = cursor.ReadString(GgufLimits.MaxStringBytes, GgufErrorCodes.KvString, strictUtf8: false);
        }

        return result;
    }

    private static bool[] ReadBools(ref GgufCursor cursor, int n)
    {
        var at = cursor.Position;
        var raw = cursor.Take(n, GgufErrorCodes.KvArray);
        var result = new bool[n];
        for (var i = 0; i < n; i++)
        {
            result[i] = raw[i] switch
            {
                0 => false,
                1 => true,
                _ => throw new InvalidModelFileException(GgufErrorCodes.KvBool, at + i, "A metadata bool is neither 0 nor 1."),
            };
        }

        return result;
    }

    private static T[] ReadBlittable<T>(ref GgufCursor cursor, int n)
        where T : unmanaged
    {
        var size = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        var raw = cursor.Take(checked(n * size), GgufErrorCodes.KvArray);
        var result = new T[n];
        raw.CopyTo(MemoryMarshal.AsBytes(result.AsSpan()));
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Big-endian hosts are not supported.");
        }

        return result;
    }

    private static int MinEncodedSize(GgufValueType t) => t switch
    {
        GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
        GgufValueType.UInt16 or GgufValueType.Int16 => 2,
        GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
        _ => 8,
    };
}
