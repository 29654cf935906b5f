namespace Edgewise.Numerics.Tests;

public sealed class ArgumentTests
{
    public static TheoryData<TensorType> AllTypes()
    {
        var data = new TheoryData<TensorType>();
        foreach (var info in TensorTypeInfo.All)
        {
            data.Add(info.Type);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void Row_LengthNotMultipleOfBlock_Throws(TensorType type)
    {
        var info = TensorTypeInfo.Get(type);
        if (!info.IsQuantized)
        {
            return;
        }

        var elements = info.BlockSize + 1;
        var bytes = new byte[info.BytesPerBlock * 2];

        var dq = Assert.Throws<ArgumentException>(() => Dequantize.Row(type, bytes, new float[elements]));
        var q = Assert.Throws<ArgumentException>(() => Quantize.Row(type, new float[elements], bytes));

        Assert.Equal("dst", dq.ParamName);
        Assert.Equal("src", q.ParamName);
    }

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void Row_ByteCountOffByOne_Throws(TensorType type)
    {
        var info = TensorTypeInfo.Get(type);
        var elements = info.BlockSize * 2;
        var exact = (int)info.RowBytes(elements);

        foreach (var wrong in new[] { exact - 1, exact + 1 })
        {
            var dq = Assert.Throws<ArgumentException>(() => Dequantize.Row(type, new byte[wrong], new float[elements]));
            var q = Assert.Throws<ArgumentException>(() => Quantize.Row(type, new float[elements], new byte[wrong]));
            Assert.Equal("src", dq.ParamName);
            Assert.Equal("dst", q.ParamName);
        }
    }

    [Fact]
    public void Row_UnknownType_ThrowsArgumentOutOfRange()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Dequantize.Row((TensorType)4, new byte[18], new float[32]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Quantize.Row((TensorType)16, new float[256], new byte[300]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Dequantize.Row((TensorType)(-1), [], []));
    }

    [Fact]
    public void ActivationRow_WeightOnlyType_ThrowsArgumentOutOfRange()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Quantize.ActivationRow(TensorType.Q4_0, new float[32], new byte[18]));
    }

    [Fact]
    public void ActivationRow_WrongByteCount_Throws()
    {
        Assert.Throws<ArgumentException>(() => Quantize.ActivationRow(TensorType.Q8_0, new float[32], new byte[33]));
    }

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void Row_ZeroToFourBlocks_EachBlockIsIndependent(TensorType type)
    {
        var info = TensorTypeInfo.Get(type);
        var perBlock = info.IsQuantized ? info.BlockSize : 7;
        var all = TestData.MixedBlocks(Math.Max(32, 4 * perBlock), 5);
        for (var blocks = 0; blocks <= 4; blocks++)
        {
            var x = all.AsSpan(0, blocks * perBlock);
            var q = new byte[info.RowBytes(x.Length)];
            var y = new float[x.Length];

            Quantize.Row(type, x, q);
            Dequantize.Row(type, q, y);

            for (var b = 0; b < blocks; b++)
            {
                var one = new byte[info.RowBytes(perBlock)];
                Quantize.Row(type, x.Slice(b * perBlock, perBlock), one);
                Assert.Equal(one, q.AsSpan(b * one.Length, one.Length).ToArray());

                var single = new float[perBlock];
                Dequantize.Row(type, one, single);
                Assert.Equal(single, y.AsSpan(b * perBlock, perBlock).ToArray());
            }
        }
    }

    [Fact]
    public void Row_DestinationIsOnlyWrittenWithinItsLength()
    {
        // Guarded buffers: the row sits in the middle of a larger array whose borders must stay untouched.
        foreach (var info in TensorTypeInfo.All)
        {
            var elements = info.IsQuantized ? 2 * info.BlockSize : 64;
            var bytes = (int)info.RowBytes(elements);
            var floats = new float[elements + 16];
            floats.AsSpan().Fill(7.0f);
            var raw = new byte[bytes + 16];
            raw.AsSpan().Fill(0xA5);

            Quantize.Row(info.Type, TestData.Gaussian(elements, 9, 1.0f), raw.AsSpan(8, bytes));
            Dequantize.Row(info.Type, raw.AsSpan(8, bytes), floats.AsSpan(8, elements));

            Assert.All(raw[..8], b => Assert.Equal(0xA5, b));
            Assert.All(raw[^8..], b => Assert.Equal(0xA5, b));
            Assert.All(floats[..8], v => Assert.Equal(7.0f, v));
            Assert.All(floats[^8..], v => Assert.Equal(7.0f, v));
        }
    }
}
