using Edgewise.Gguf;

namespace Edgewise.Numerics.Tests;

public sealed class TensorTypeInfoTests
{
    [Fact]
    public void TensorType_Values_AreGgmlTypeIds()
    {
        Assert.Equal(0, (int)TensorType.F32);
        Assert.Equal(1, (int)TensorType.F16);
        Assert.Equal(2, (int)TensorType.Q4_0);
        Assert.Equal(3, (int)TensorType.Q4_1);
        Assert.Equal(6, (int)TensorType.Q5_0);
        Assert.Equal(7, (int)TensorType.Q5_1);
        Assert.Equal(8, (int)TensorType.Q8_0);
        Assert.Equal(9, (int)TensorType.Q8_1);
        Assert.Equal(10, (int)TensorType.Q2_K);
        Assert.Equal(11, (int)TensorType.Q3_K);
        Assert.Equal(12, (int)TensorType.Q4_K);
        Assert.Equal(13, (int)TensorType.Q5_K);
        Assert.Equal(14, (int)TensorType.Q6_K);
        Assert.Equal(15, (int)TensorType.Q8_K);
        Assert.Equal(30, (int)TensorType.BF16);
    }

    [Theory]
    [InlineData(TensorType.F32, "F32", 1, 4)]
    [InlineData(TensorType.F16, "F16", 1, 2)]
    [InlineData(TensorType.BF16, "BF16", 1, 2)]
    [InlineData(TensorType.Q4_0, "Q4_0", 32, 18)]
    [InlineData(TensorType.Q4_1, "Q4_1", 32, 20)]
    [InlineData(TensorType.Q5_0, "Q5_0", 32, 22)]
    [InlineData(TensorType.Q5_1, "Q5_1", 32, 24)]
    [InlineData(TensorType.Q8_0, "Q8_0", 32, 34)]
    [InlineData(TensorType.Q8_1, "Q8_1", 32, 36)]
    [InlineData(TensorType.Q2_K, "Q2_K", 256, 84)]
    [InlineData(TensorType.Q3_K, "Q3_K", 256, 110)]
    [InlineData(TensorType.Q4_K, "Q4_K", 256, 144)]
    [InlineData(TensorType.Q5_K, "Q5_K", 256, 176)]
    [InlineData(TensorType.Q6_K, "Q6_K", 256, 210)]
    [InlineData(TensorType.Q8_K, "Q8_K", 256, 292)]
    public void Get_KnownType_HasGgmlGeometry(TensorType type, string name, int blockSize, int bytes)
    {
        var info = TensorTypeInfo.Get(type);

        Assert.Equal(type, info.Type);
        Assert.Equal(name, info.Name);
        Assert.Equal(name, info.ToString());
        Assert.Equal(blockSize, info.BlockSize);
        Assert.Equal(bytes, info.BytesPerBlock);
        Assert.Equal(blockSize > 1, info.IsQuantized);
        Assert.True(TensorTypeInfo.TryGetByName(name.ToLowerInvariant(), out var byName));
        Assert.Same(info, byName);
    }

    [Fact]
    public void All_ListsFifteenTypesInIdOrder()
    {
        Assert.Equal(15, TensorTypeInfo.All.Count);
        for (var i = 1; i < TensorTypeInfo.All.Count; i++)
        {
            Assert.True(TensorTypeInfo.All[i - 1].Type < TensorTypeInfo.All[i].Type);
        }
    }

    [Fact]
    public void All_AgreesWithTheGgufReadersTable()
    {
        foreach (var info in TensorTypeInfo.All)
        {
            var ggml = (GgmlType)(int)info.Type;
            Assert.True(GgmlTypeTraits.IsKnown((int)info.Type), info.Name);
            Assert.Equal(GgmlTypeTraits.BlockSize(ggml), info.BlockSize);
            Assert.Equal(GgmlTypeTraits.BlockBytes(ggml), info.BytesPerBlock);
            Assert.Equal(GgmlTypeTraits.RowBytes(ggml, 4096), info.RowBytes(4096));
        }
    }

    [Theory]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(16)]
    [InlineData(29)]
    [InlineData(31)]
    [InlineData(-1)]
    public void Get_UnknownId_Throws(int id)
    {
        Assert.False(TensorTypeInfo.TryGet((TensorType)id, out var info));
        Assert.Null(info);
        Assert.Throws<ArgumentOutOfRangeException>(() => TensorTypeInfo.Get((TensorType)id));
    }

    [Fact]
    public void TryGetByName_UnknownName_ReturnsFalse()
    {
        Assert.False(TensorTypeInfo.TryGetByName("Q4_K_M", out _));
        Assert.False(TensorTypeInfo.TryGetByName("", out _));
        Assert.Throws<ArgumentNullException>(() => TensorTypeInfo.TryGetByName(null!, out _));
    }

    [Fact]
    public void RowBytes_WholeBlocks_MultipliesOut()
    {
        Assert.Equal(0, TensorTypeInfo.Get(TensorType.Q4_K).RowBytes(0));
        Assert.Equal(144 * 14, TensorTypeInfo.Get(TensorType.Q4_K).RowBytes(3584));
        Assert.Equal(34 * 28, TensorTypeInfo.Get(TensorType.Q8_0).RowBytes(896));
        Assert.Equal(4 * 7, TensorTypeInfo.Get(TensorType.F32).RowBytes(7));
    }

    [Fact]
    public void RowBytes_PartialBlockOrNegative_Throws()
    {
        var q4k = TensorTypeInfo.Get(TensorType.Q4_K);

        Assert.Throws<ArgumentException>(() => q4k.RowBytes(100));
        Assert.Throws<ArgumentOutOfRangeException>(() => q4k.RowBytes(-256));
        Assert.False(q4k.TryGetRowBytes(100, out _));
        Assert.False(q4k.TryGetRowBytes(-256, out _));
    }

    [Fact]
    public void RowBytes_Overflow_ThrowsAndTryReturnsFalse()
    {
        var q8k = TensorTypeInfo.Get(TensorType.Q8_K);
        var huge = long.MaxValue / 256 * 256;

        Assert.Throws<OverflowException>(() => q8k.RowBytes(huge));
        Assert.False(q8k.TryGetRowBytes(huge, out var bytes));
        Assert.Equal(0, bytes);
        Assert.Throws<OverflowException>(() => TensorTypeInfo.Get(TensorType.F32).RowBytes(long.MaxValue / 2));
    }

    [Fact]
    public void TryGetRowBytes_LargestRepresentable_Succeeds()
    {
        var f16 = TensorTypeInfo.Get(TensorType.F16);

        Assert.True(f16.TryGetRowBytes(long.MaxValue / 2, out var bytes));
        Assert.Equal(long.MaxValue / 2 * 2, bytes);
    }
}
