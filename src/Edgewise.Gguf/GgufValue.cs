using System.Globalization;

namespace Edgewise.Gguf;

/// <summary>
/// One metadata value. Scalars keep their declared type; arrays are typed .NET arrays (<c>string[]</c>,
/// <c>int[]</c>, <c>float[]</c>, ...). Accessors convert between integer widths only when the value fits.
/// </summary>
public sealed class GgufValue
{
    private readonly object _value;

    private GgufValue(GgufValueType type, GgufValueType elementType, object value)
    {
        Type = type;
        ElementType = elementType;
        _value = value;
    }

    /// <summary>The declared type.</summary>
    public GgufValueType Type { get; }

    /// <summary>For arrays, the element type; otherwise equal to <see cref="Type"/>.</summary>
    public GgufValueType ElementType { get; }

    /// <summary>True for arrays.</summary>
    public bool IsArray => Type == GgufValueType.Array;

    /// <summary>Number of elements of an array; 1 for scalars.</summary>
    public int Count => _value is Array a ? a.Length : 1;

    /// <summary>The raw value: a boxed scalar (long, ulong, double, bool, string) or a typed array.</summary>
    public object RawValue => _value;

    /// <summary>Creates a scalar or string value.</summary>
    public static GgufValue Scalar(GgufValueType type, object value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return type == GgufValueType.Array ? throw new ArgumentException("Use Array for arrays.", nameof(type)) : new GgufValue(type, type, value);
    }

    /// <summary>Creates an array value; <paramref name="values"/> must be the .NET array type matching <paramref name="elementType"/>.</summary>
    public static GgufValue Array(GgufValueType elementType, Array values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return new GgufValue(GgufValueType.Array, elementType, values);
    }

    /// <summary>
    /// Creates an array value whose element type follows from <typeparamref name="T"/>: <see cref="byte"/>,
    /// <see cref="sbyte"/>, <see cref="ushort"/>, <see cref="short"/>, <see cref="uint"/>, <see cref="int"/>,
    /// <see cref="ulong"/>, <see cref="long"/>, <see cref="float"/>, <see cref="double"/>, <see cref="bool"/> or
    /// <see cref="string"/>. The array is kept, not copied.
    /// </summary>
    /// <exception cref="ArgumentException"><typeparamref name="T"/> is not one of those types.</exception>
    public static GgufValue Array<T>(T[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return new GgufValue(GgufValueType.Array, ElementTypeOf(typeof(T)), values);
    }

    /// <summary>Creates a UINT8 value.</summary>
    public static GgufValue UInt8(byte value) => new(GgufValueType.UInt8, GgufValueType.UInt8, (ulong)value);

    /// <summary>Creates an INT8 value.</summary>
    public static GgufValue Int8(sbyte value) => new(GgufValueType.Int8, GgufValueType.Int8, (long)value);

    /// <summary>Creates a UINT16 value.</summary>
    public static GgufValue UInt16(ushort value) => new(GgufValueType.UInt16, GgufValueType.UInt16, (ulong)value);

    /// <summary>Creates an INT16 value.</summary>
    public static GgufValue Int16(short value) => new(GgufValueType.Int16, GgufValueType.Int16, (long)value);

    /// <summary>Creates an INT64 value.</summary>
    public static GgufValue Int64(long value) => new(GgufValueType.Int64, GgufValueType.Int64, value);

    /// <summary>Creates a FLOAT64 value.</summary>
    public static GgufValue Float64(double value) => new(GgufValueType.Float64, GgufValueType.Float64, value);

    /// <summary>Creates a string value.</summary>
    public static GgufValue String(string value) => new(GgufValueType.String, GgufValueType.String, value);

    /// <summary>Creates a UINT32 value.</summary>
    public static GgufValue UInt32(uint value) => new(GgufValueType.UInt32, GgufValueType.UInt32, (ulong)value);

    /// <summary>Creates an INT32 value.</summary>
    public static GgufValue Int32(int value) => new(GgufValueType.Int32, GgufValueType.Int32, (long)value);

    /// <summary>Creates a UINT64 value.</summary>
    public static GgufValue UInt64(ulong value) => new(GgufValueType.UInt64, GgufValueType.UInt64, value);

    /// <summary>Creates a FLOAT32 value.</summary>
    public static GgufValue Float32(float value) => new(GgufValueType.Float32, GgufValueType.Float32, (double)value);

    /// <summary>Creates a BOOL value.</summary>
    public static GgufValue Bool(bool value) => new(GgufValueType.Bool, GgufValueType.Bool, value);

    /// <summary>The value as a string, or null when it is not a string.</summary>
    public string? AsString() => _value as string;

    /// <summary>The value as a signed 64-bit integer, or null when it is not an integer or does not fit.</summary>
    public long? AsInt64() => _value switch
    {
        long l => l,
        ulong u when u <= long.MaxValue => (long)u,
        _ => null,
    };

    /// <summary>The value as a double, or null when it is not a number (integers convert).</summary>
    public double? AsDouble() => _value switch
    {
        double d => d,
        long l => l,
        ulong u => u,
        _ => null,
    };

    /// <summary>The value as a bool, or null when it is not a bool.</summary>
    public bool? AsBool() => _value as bool?;

    /// <summary>The array as <typeparamref name="T"/>[] when that is its element representation, else null.</summary>
    public T[]? AsArray<T>() => _value as T[];

    /// <summary>An integer array converted to <see cref="int"/>; null when it is not an integer array or an element does not fit.</summary>
    public int[]? AsInt32Array()
    {
        switch (_value)
        {
            case int[] ints:
                return ints;
            case Array a when IsIntegerType(ElementType):
                var result = new int[a.Length];
                for (var i = 0; i < a.Length; i++)
                {
                    var v = Convert.ToDecimal(a.GetValue(i), CultureInfo.InvariantCulture);
                    if (v is < int.MinValue or > int.MaxValue)
                    {
                        return null;
                    }

                    result[i] = (int)v;
                }

                return result;
            default:
                return null;
        }
    }

    /// <summary>A numeric array converted to <see cref="float"/>; null when it is not numeric.</summary>
    public float[]? AsFloatArray()
    {
        switch (_value)
        {
            case float[] floats:
                return floats;
            case Array a when IsIntegerType(ElementType) || ElementType == GgufValueType.Float64:
                var result = new float[a.Length];
                for (var i = 0; i < a.Length; i++)
                {
                    result[i] = Convert.ToSingle(a.GetValue(i), CultureInfo.InvariantCulture);
                }

                return result;
            default:
                return null;
        }
    }

    /// <inheritdoc/>
    public override string ToString() => _value switch
    {
        string s => s,
        Array a => $"[{ElementType} × {a.Length}]",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => _value.ToString() ?? string.Empty,
    };

    internal static GgufValueType ElementTypeOf(Type type) =>
        type == typeof(byte) ? GgufValueType.UInt8
        : type == typeof(sbyte) ? GgufValueType.Int8
        : type == typeof(ushort) ? GgufValueType.UInt16
        : type == typeof(short) ? GgufValueType.Int16
        : type == typeof(uint) ? GgufValueType.UInt32
        : type == typeof(int) ? GgufValueType.Int32
        : type == typeof(ulong) ? GgufValueType.UInt64
        : type == typeof(long) ? GgufValueType.Int64
        : type == typeof(float) ? GgufValueType.Float32
        : type == typeof(double) ? GgufValueType.Float64
        : type == typeof(bool) ? GgufValueType.Bool
        : type == typeof(string) ? GgufValueType.String
        : throw new ArgumentException("The element type cannot be stored in a GGUF array.", nameof(type));

    internal static bool IsIntegerType(GgufValueType t) => t is GgufValueType.UInt8 or GgufValueType.Int8
        or GgufValueType.UInt16 or GgufValueType.Int16 or GgufValueType.UInt32 or GgufValueType.Int32
        or GgufValueType.UInt64 or GgufValueType.Int64;
}
