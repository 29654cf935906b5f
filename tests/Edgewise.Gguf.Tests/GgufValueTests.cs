namespace Edgewise.Gguf.Tests;

public class GgufValueTests
{
    public static TheoryData<Array> IntegerArrays => new()
    {
        new byte[] { 0, 200 },
        new sbyte[] { -5, 100 },
        new ushort[] { 1, 65535 },
        new short[] { -32768, 7 },
        new uint[] { 0, int.MaxValue },
        new[] { -1, 2 },
        new ulong[] { 3, int.MaxValue },
        new long[] { int.MinValue, int.MaxValue },
    };

    [Theory]
    [MemberData(nameof(IntegerArrays))]
    public void AsInt32Array_EveryIntegerElementType_Converts(Array values)
    {
        var value = GgufValue.Array(GgufValue.ElementTypeOf(values.GetType().GetElementType()!), values);
        var ints = value.AsInt32Array()!;
        var floats = value.AsFloatArray()!;
        for (var i = 0; i < values.Length; i++)
        {
            var expected = Convert.ToInt64(values.GetValue(i), System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(expected, ints[i]);
            Assert.Equal(expected, floats[i], 1e-3 * Math.Abs(expected));
        }
    }

    [Fact]
    public void AsInt32Array_ElementDoesNotFit_Null()
    {
        Assert.Null(GgufValue.Array(new uint[] { 1, uint.MaxValue }).AsInt32Array());
        Assert.Null(GgufValue.Array(new ulong[] { ulong.MaxValue }).AsInt32Array());
        Assert.Null(GgufValue.Array(new long[] { long.MinValue }).AsInt32Array());
    }

    [Fact]
    public void AsArrays_NonNumeric_Null()
    {
        Assert.Null(GgufValue.Array(new[] { "a" }).AsInt32Array());
        Assert.Null(GgufValue.Array(new[] { 1.5f }).AsInt32Array());
        Assert.Null(GgufValue.Array(new[] { true }).AsFloatArray());
        Assert.Null(GgufValue.UInt32(1).AsFloatArray());
        Assert.Equal([0.25f], GgufValue.Array(new[] { 0.25 }).AsFloatArray()!);
    }

    [Fact]
    public void Array_TypeMismatchOrNested_Throws()
    {
        Assert.Throws<ArgumentException>(() => GgufValue.Array(GgufValueType.Array, Array.Empty<object>()));
        Assert.Throws<ArgumentException>(() => GgufValue.Array(GgufValueType.Int32, new uint[] { 1 }));
        Assert.Throws<ArgumentException>(() => GgufValue.Array(GgufValueType.UInt8, new sbyte[] { 1 }));
        Assert.Throws<ArgumentException>(() => GgufValue.Array(GgufValueType.Float32, new float[1, 1]));
        Assert.Throws<ArgumentException>(() => GgufValue.Array((GgufValueType)13, new int[1]));
    }

    [Fact]
    public void AsArray_CovariantArrayType_Null()
    {
        // The runtime treats a uint[] as an int[]; AsArray must not.
        var value = GgufValue.Array(new uint[] { uint.MaxValue });
        Assert.Null(value.AsArray<int>());
        Assert.Equal([uint.MaxValue], value.AsArray<uint>()!);
    }

    [Fact]
    public void Array_UnsupportedElementType_Throws()
    {
        Assert.Throws<ArgumentException>(() => GgufValue.Array(new[] { 'c' }));
        Assert.Throws<ArgumentException>(() => GgufValue.Array(new decimal[1]));
    }

    [Fact]
    public void Factories_EveryScalarType_DeclaredTypeAndCanonicalRaw()
    {
        Assert.Equal((GgufValueType.UInt8, (object)255UL), (GgufValue.UInt8(255).Type, GgufValue.UInt8(255).RawValue));
        Assert.Equal((GgufValueType.Int8, (object)-1L), (GgufValue.Int8(-1).Type, GgufValue.Int8(-1).RawValue));
        Assert.Equal((GgufValueType.UInt16, (object)9UL), (GgufValue.UInt16(9).Type, GgufValue.UInt16(9).RawValue));
        Assert.Equal((GgufValueType.Int16, (object)-9L), (GgufValue.Int16(-9).Type, GgufValue.Int16(-9).RawValue));
        Assert.Equal((GgufValueType.Int64, (object)-9L), (GgufValue.Int64(-9).Type, GgufValue.Int64(-9).RawValue));
        Assert.Equal((GgufValueType.Float64, (object)0.5), (GgufValue.Float64(0.5).Type, GgufValue.Float64(0.5).RawValue));
        Assert.Equal(-9, GgufValue.Int16(-9).AsInt64());
    }
}
