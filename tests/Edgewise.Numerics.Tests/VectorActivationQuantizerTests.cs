using Edgewise.Numerics.Formats;
using Edgewise.Numerics.Kernels;

namespace Edgewise.Numerics.Tests;

/// <summary>The vector activation quantizers against the scalar definitions, byte for byte.</summary>
public sealed class VectorActivationQuantizerTests
{
    public static TheoryData<int> Seeds() => new(1, 2, 3);

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Q80Row_MixedBlocks_SameBytesAsScalar(int seed)
    {
        var x = WithTies(TestData.MixedBlocks(4864, (ulong)seed));
        var expected = new byte[TensorTypeInfo.Get(TensorType.Q8_0).RowBytes(x.Length)];
        var actual = new byte[expected.Length];
        Q80.QuantizeActivations(x, expected);
        ActivationQuantizer.Q80Row(x, actual);
        Assert.Equal(expected, actual);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Q8KRow_MixedBlocks_SameBytesAsScalar(int seed)
    {
        var x = WithTies(TestData.MixedBlocks(8192, (ulong)seed));
        var expected = new byte[TensorTypeInfo.Get(TensorType.Q8_K).RowBytes(x.Length)];
        var actual = new byte[expected.Length];
        Q8K.Quantize(x, expected);
        ActivationQuantizer.Q8KRow(x, actual);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void ActivationRow_TiesZerosAndEqualMagnitudes_MatchScalar()
    {
        var x = new float[512];
        for (var i = 0; i < 256; i++)
        {
            x[i] = (i % 5) - 2.5f;
        }

        x[3] = 127.0f;
        x[200] = -127.0f;
        x[300] = -4.0f;
        x[301] = 4.0f;
        foreach (var type in new[] { TensorType.Q8_0, TensorType.Q8_K })
        {
            var expected = new byte[TensorTypeInfo.Get(type).RowBytes(x.Length)];
            var actual = new byte[expected.Length];
            if (type == TensorType.Q8_0)
            {
                Q80.QuantizeActivations(x, expected);
            }
            else
            {
                Q8K.Quantize(x, expected);
            }

            Quantize.ActivationRow(type, x, actual);
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void ActivationRow_NonFiniteBlock_MatchesScalar()
    {
        var x = TestData.Gaussian(512, 5, 1.0f);
        x[7] = float.PositiveInfinity;
        x[300] = float.NaN;
        foreach (var type in new[] { TensorType.Q8_0, TensorType.Q8_K })
        {
            var expected = new byte[TensorTypeInfo.Get(type).RowBytes(x.Length)];
            var actual = new byte[expected.Length];
            if (type == TensorType.Q8_0)
            {
                Q80.QuantizeActivations(x, expected);
            }
            else
            {
                Q8K.Quantize(x, expected);
            }

            Quantize.ActivationRow(type, x, actual);
            Assert.Equal(expected, actual);
        }
    }

    /// <summary>Adds exact ties (x.5 after scaling by 1) and repeated largest magnitudes to a few blocks.</summary>
    private static float[] WithTies(float[] x)
    {
        for (var b = 0; b + 32 <= x.Length; b += 32 * 7)
        {
            x[b] = 127.0f;
            x[b + 1] = 2.5f;
            x[b + 2] = -3.5f;
            x[b + 5] = -127.0f;
        }

        return x;
    }
}
