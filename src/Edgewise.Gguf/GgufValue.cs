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

    /// <summary>
    /// Creates an array value; <paramref name="values"/> must be the one-dimensional .NET array type matching
    /// <paramref name="elementType"/> (<c>byte[]</c> for UINT8, <c>sbyte[]</c> for INT8, ..., <c>string[]</c> for STRING).
    /// </summary>
    /// <exception cref="ArgumentException">The array type does not match <paramref name="elementType"/>, or that is ARRAY.</exception>
    public static GgufValue Array(GgufValueType elementType, Array values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var clrType = values.GetType();
        if (!clrType.IsSZArray || ElementTypeOf(clrType.GetElementType()!) != elementType)
        {
            throw new ArgumentException("The array's .NET type does not match the element type.", nameof(values));
        }

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
    /// <remarks>The match is exact: the runtime lets <c>uint[]</c> pass as <c>int[]</c> (and so on), this method does not.</remarks>
    public T[]? AsArray<T>() => _value.GetType() == typeof(T[]) ? (T[])_value : null;

    /// <summary>An integer array converted to <see cref="int"/>; null when it is not an integer array or an element does not fit.</summary>
    public int[]? AsInt32Array() => !IsArray ? null : ElementType switch
    {
        GgufValueType.Int32 => (int[])_value,
        GgufValueType.UInt8 => Widen((byte[])_value, static v => (int)v),
        GgufValueType.Int8 => Widen((sbyte[])_value, static v => (int)v),
        GgufValueType.UInt16 => Widen((ushort[])_value, static v => (int)v),
        GgufValueType.Int16 => Widen((short[])_value, static v => (int)v),
        GgufValueType.UInt32 => Narrow((uint[])_value, static v => v <= int.MaxValue ? (int)v : null),
        GgufValueType.UInt64 => Narrow((ulong[])_value, static v => v <= int.MaxValue ? (int)v : null),
        GgufValueType.Int64 => Narrow((long[])_value, static v => v is >= int.MinValue and <= int.MaxValue ? (int)v : null),
        _ => null,
    };

    /// <summary>A numeric array converted to <see cref="float"/>; null when it is not numeric.</summary>
    public float[]? AsFloatArray() => !IsArray ? null : ElementType switch
    {
        GgufValueType.Float32 => (float[])_value,
        GgufValueType.Float64 => Widen((double[])_value, static v => (float)v),
        GgufValueType.UInt8 => Widen((byte[])_value, static v => (float)v),
        GgufValueType.Int8 => Widen((sbyte[])_value, static v => (float)v),
        GgufValueType.UInt16 => Widen((ushort[])_value, static v => (float)v),
        GgufValueType.Int16 => Widen((short[])_value, static v => (float)v),
        GgufValueType.UInt32 => Widen((uint[])_value, static v => (float)v),
        GgufValueType.Int32 => Widen((int[])_value, static v => (float)v),
        GgufValueType.UInt64 => Widen((ulong[])_value, static v => (float)v),
        GgufValueType.Int64 => Widen((long[])_value, static v => (float)v),
        _ => null,
    };

    /// <inheritdoc/>
    public override string ToString() => _value switch
    {
        string s => s,
        Array a => $"[{ElementType} × {a.Length}]",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => _value.ToString() ?? string.Empty,
    };

    private static TOut[] Widen<TIn, TOut>(TIn[] source, Func<TIn, TOut> convert)
    {
        var result = new TOut[source.Length];
        for (var i = 0; i < source.Length; i++)
        {
            result[i] = convert(source[i]);
        }

        return result;
    }

    private static int[]? Narrow<TIn>(TIn[] source, Func<TIn, int?> convert)
    {
        var result = new int[source.Length];
        for (var i = 0; i < source.Length; i++)
        {
            if (convert(source[i]) is not { } v)
            {
                return null;
            }

            result[i] = v;
        }

        return result;
    }

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
