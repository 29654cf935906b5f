using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Edgewise.Numerics.Formats;

namespace Edgewise.Numerics.Tests;

/// <summary>Every vector path this machine can run, against the scalar dequantizers, bit for bit.</summary>
public sealed class VectorDequantizeTests
{
    public static TheoryData<TensorType, string> Cases()
    {
        var data = new TheoryData<TensorType, string>();
        foreach (var type in new[] { TensorType.F16, TensorType.Q8_0, TensorType.Q4_0, TensorType.Q4_K, TensorType.Q6_K })
        {
            // The 128-bit path is always listed: without hardware acceleration it runs in software, still exact.
            data.Add(type, nameof(VectorPath.Vector128));
            if (Avx2.IsSupported)
            {
                data.Add(type, nameof(VectorPath.Avx2));
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TryRow_RandomBlocks_MatchesScalarBits(TensorType type, string pathName)
    {
        var path = Enum.Parse<VectorPath>(pathName);
        var info = TensorTypeInfo.Get(type);
        var perBlock = info.IsQuantized ? info.BlockSize : 1;
        var counts = info.IsQuantized ? new[] { 0, 1, 2, 3, 5, 17 } : Enumerable.Range(0, 41).Append(4097).ToArray();
        foreach (var blocks in counts)
        {
            var src = TestData.Bytes(blocks * info.BytesPerBlock, (ulong)(100 + blocks));
            Compare(type, path, src, blocks * perBlock);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TryRow_EdgeScalesAndExtremeQuants_MatchesScalarBits(TensorType type, string pathName)
    {
        var path = Enum.Parse<VectorPath>(pathName);
        var info = TensorTypeInfo.Get(type);
        var (halves, quants) = type switch
        {
            TensorType.Q8_0 => (new[] { 0 }, 2..34),
            TensorType.Q4_0 => (new[] { 0 }, 2..18),
            TensorType.Q4_K => (new[] { 0, 2 }, 4..144),
            TensorType.Q6_K => (new[] { 208 }, 0..208),
            _ => (Array.Empty<int>(), 0..2),
        };
        const int Blocks = 35;
        var src = BlockBuilder.Build(type, Blocks, 7, halves, quants);

        Compare(type, path, src, Blocks * info.BlockSize);
    }

    [Fact]
    public void TryRow_F16EveryBitPattern_MatchesScalarBits()
    {
        var src = new byte[2 * 65536];
        for (var h = 0; h < 65536; h++)
        {
            src[2 * h] = (byte)h;
            src[2 * h + 1] = (byte)(h >> 8);
        }

        Compare(TensorType.F16, VectorPath.Vector128, src, 65536);
        if (Avx2.IsSupported)
        {
            Compare(TensorType.F16, VectorPath.Avx2, src, 65536);
        }
    }

    [Fact]
    public void Best_OnAcceleratedHardware_IsChosen()
    {
        var expected = Avx2.IsSupported ? VectorPath.Avx2 : Vector128.IsHardwareAccelerated ? VectorPath.Vector128 : (VectorPath?)null;

        Assert.Equal(expected, VectorDequantize.Best);
        Assert.False(VectorDequantize.TryRow(TensorType.Q5_K, new byte[176], new float[256], VectorPath.Vector128));
    }

    private static void Compare(TensorType type, VectorPath path, byte[] src, int elements)
    {
        var expected = new float[elements];
        var actual = new float[elements + 8];
        actual.AsSpan().Fill(-1.0f);

        Dequantize.Scalar(type, src, expected);
        Assert.True(VectorDequantize.TryRow(type, src, actual.AsSpan(0, elements), path));

        for (var i = 0; i < elements; i++)
        {
            if (BitConverter.SingleToUInt32Bits(expected[i]) != BitConverter.SingleToUInt32Bits(actual[i]))
            {
                Assert.Fail($"{type} {path} element {i} of {elements}: expected 0x{BitConverter.SingleToUInt32Bits(expected[i]):X8}, got 0x{BitConverter.SingleToUInt32Bits(actual[i]):X8}");
            }
        }

        Assert.All(actual[elements..], v => Assert.Equal(-1.0f, v));
    }
}
