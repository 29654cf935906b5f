using Edgewise.Numerics.Kernels;

namespace Edgewise.Numerics.Tests;

/// <summary>
/// Single-token Q4_0 products (<see cref="LegacyDecode"/>, taken for n = 1 on the 512-bit path): within the scalar
/// tolerance and bit for bit the 256-bit kernel's results, for block counts that reach the sixteen-block, eight-block
/// and one-block scale steps, and for fp16 scales that are subnormal, zero, negative, infinite or NaN.
/// </summary>
public sealed class LegacyDecodeTests
{
    public static TheoryData<int, int> Shapes() => new()
    {
        { 1, 32 },
        { 3, 224 },
        { 5, 256 },
        { 2, 480 },
        { 4, 512 },
        { 9, 864 },
        { 17, 2048 },
        { 2, 8192 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Compute_OneToken_MatchesScalarAndSameBitsAs256(int rows, int cols)
    {
        var weights = Weights(rows, cols);
        var input = TestData.Gaussian(cols, (ulong)(cols + 3), 1.0f);
        var expected = TestData.ScalarProducts(TensorType.Q4_0, weights, rows, cols, input, out var magnitude);
        var narrow = Run(weights, rows, cols, input, 1, SimdPath.Vector256, null);
        foreach (var path in SimdSupport.Available)
        {
            if (path < SimdPath.Vector256)
            {
                continue;
            }

            var actual = Run(weights, rows, cols, input, 1, path, null);
            for (var r = 0; r < rows; r++)
            {
                Assert.True(
                    Math.Abs(actual[r] - expected[r]) <= 2e-5 * magnitude[r] + 1e-30,
                    $"{path} row {r}: {actual[r]} vs scalar {expected[r]} (magnitude {magnitude[r]})");
            }

            Assert.Equal(Bits(narrow), Bits(actual));
        }
    }

    [Theory]
    [InlineData(0x0001)]
    [InlineData(0x03FF)]
    [InlineData(0x0000)]
    [InlineData(0x8400)]
    [InlineData(0x7C00)]
    [InlineData(0xFE00)]
    public void Compute_SpecialScaleInEveryPosition_SameBitsOnEveryVectorPath(int special)
    {
        const int rows = 27, cols = 27 * 32;
        var weights = TestData.Bytes(rows * 27 * 18, (ulong)special + 5);
        for (var b = 0; b < rows * 27; b++)
        {
            // Finite scales near 0.01 everywhere except one block per row, which moves along the row.
            var scale = b % 27 == b / 27 ? special : 0x2000 + (b % 300);
            weights[b * 18] = (byte)scale;
            weights[(b * 18) + 1] = (byte)(scale >> 8);
        }

        var input = TestData.Gaussian(cols, 13, 1.0f);
        var narrow = Run(weights, rows, cols, input, 1, SimdPath.Vector256, null);
        foreach (var path in SimdSupport.Available)
        {
            if (path >= SimdPath.Vector256)
            {
                Assert.Equal(Bits(narrow), Bits(Run(weights, rows, cols, input, 1, path, null)));
            }
        }

        Assert.Contains(narrow, v => v != 0);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Compute_OnPoolOddRows_SameBitsAsInline(int threads)
    {
        const int rows = 517, cols = 1536;
        var weights = Weights(rows, cols);
        var input = TestData.Gaussian(cols, 17, 1.0f);
        using var pool = new ComputePool(threads);
        Assert.Equal(
            Bits(Run(weights, rows, cols, input, 1, SimdSupport.Best, null)),
            Bits(Run(weights, rows, cols, input, 1, SimdSupport.Best, pool)));
    }

    private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();

    private static byte[] Weights(int rows, int cols)
    {
        var rowBytes = (int)TensorTypeInfo.Get(TensorType.Q4_0).RowBytes(cols);
        var weights = new byte[rows * rowBytes];
        var w = TestData.Gaussian(rows * cols, (ulong)((rows * 37) + cols), 0.02f);
        for (var r = 0; r < rows; r++)
        {
            Quantize.Row(TensorType.Q4_0, w.AsSpan(r * cols, cols), weights.AsSpan(r * rowBytes, rowBytes));
        }

        return weights;
    }

    private static float[] Run(byte[] weights, int rows, int cols, float[] input, int n, SimdPath path, ComputePool? pool)
    {
        var output = new float[rows * n];
        unsafe
        {
            fixed (byte* p = weights)
            {
                MatMul.Compute(TensorType.Q4_0, (nint)p, rows, cols, input, output, n, pool, default, path);
            }
        }

        return output;
    }
}
