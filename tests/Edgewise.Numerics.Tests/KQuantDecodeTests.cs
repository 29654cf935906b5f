using Edgewise.Numerics.Kernels;

namespace Edgewise.Numerics.Tests;

/// <summary>
/// Single-token K-quant products (<see cref="KQuantDecode"/>, taken for n = 1 on the 512-bit path): within the
/// scalar tolerance, and bit for bit the 256-bit kernel's results, for odd row counts, on and off a pool, and for
/// arbitrary quant and scale bytes.
/// </summary>
public sealed class KQuantDecodeTests
{
    public static TheoryData<TensorType, int, int> Shapes()
    {
        var data = new TheoryData<TensorType, int, int>();
        foreach (var type in new[] { TensorType.Q4_K, TensorType.Q5_K, TensorType.Q6_K })
        {
            data.Add(type, 1, 256);
            data.Add(type, 7, 768);
            data.Add(type, 33, 2048);
            data.Add(type, 3, 8192);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Compute_OneToken_MatchesScalarAndSameBitsAs256(TensorType type, int rows, int cols)
    {
        var weights = Weights(type, rows, cols);
        var input = TestData.Gaussian(cols, (ulong)(cols + 5), 1.0f);
        var expected = TestData.ScalarProducts(type, weights, rows, cols, input, out var magnitude);
        var narrow = Run(type, weights, rows, cols, input, SimdPath.Vector256, null);
        foreach (var path in SimdSupport.Available)
        {
            if (path < SimdPath.Vector256)
            {
                continue;
            }

            var actual = Run(type, weights, rows, cols, input, path, null);
            for (var r = 0; r < rows; r++)
            {
                Assert.True(
                    Math.Abs(actual[r] - expected[r]) <= 2e-5 * magnitude[r] + 1e-30,
                    $"{type} {path} row {r}: {actual[r]} vs scalar {expected[r]} (magnitude {magnitude[r]})");
            }

            Assert.Equal(narrow, actual);
        }
    }

    [Theory]
    [InlineData(TensorType.Q4_K)]
    [InlineData(TensorType.Q5_K)]
    [InlineData(TensorType.Q6_K)]
    public void Compute_ArbitraryQuantAndScaleBytes_SameBitsOnEveryVectorPath(TensorType type)
    {
        const int rows = 5, cols = 1024;
        var blockBytes = (int)TensorTypeInfo.Get(type).RowBytes(256);
        var weights = TestData.Bytes(rows * (cols / 256) * blockBytes, 99);
        for (var b = 0; b < weights.Length; b += blockBytes)
        {
            // Finite super-block scales (0.01 and 0.002 as fp16), every other byte arbitrary.
            var dAt = type == TensorType.Q6_K ? b + 208 : b;
            weights[dAt] = 0x1F;
            weights[dAt + 1] = 0x21;
            if (type != TensorType.Q6_K)
            {
                weights[b + 2] = 0x19;
                weights[b + 3] = 0x18;
            }
        }

        var input = TestData.Gaussian(cols, 7, 1.0f);
        var expected = TestData.ScalarProducts(type, weights, rows, cols, input, out var magnitude);
        var narrow = Run(type, weights, rows, cols, input, SimdPath.Vector256, null);
        foreach (var path in SimdSupport.Available)
        {
            if (path >= SimdPath.Vector256)
            {
                Assert.Equal(narrow, Run(type, weights, rows, cols, input, path, null));
            }
        }

        for (var r = 0; r < rows; r++)
        {
            Assert.True(Math.Abs(narrow[r] - expected[r]) <= 2e-5 * magnitude[r] + 1e-30, $"{type} row {r}: {narrow[r]} vs {expected[r]}");
        }
    }

    [Theory]
    [InlineData(TensorType.Q4_K, 1)]
    [InlineData(TensorType.Q6_K, 2)]
    [InlineData(TensorType.Q5_K, 3)]
    public void Compute_OnPoolOddRows_SameBitsAsInline(TensorType type, int threads)
    {
        const int rows = 517, cols = 512;
        var weights = Weights(type, rows, cols);
        var input = TestData.Gaussian(cols, 11, 1.0f);
        using var pool = new ComputePool(threads);
        Assert.Equal(
            Run(type, weights, rows, cols, input, SimdSupport.Best, null),
            Run(type, weights, rows, cols, input, SimdSupport.Best, pool));
    }

    private static byte[] Weights(TensorType type, int rows, int cols)
    {
        var rowBytes = (int)TensorTypeInfo.Get(type).RowBytes(cols);
        var weights = new byte[rows * rowBytes];
        var w = TestData.Gaussian(rows * cols, (ulong)(rows * 31 + cols), 0.05f);
        for (var r = 0; r < rows; r++)
        {
            Quantize.Row(type, w.AsSpan(r * cols, cols), weights.AsSpan(r * rowBytes, rowBytes));
        }

        return weights;
    }

    private static float[] Run(TensorType type, byte[] weights, int rows, int cols, float[] input, SimdPath path, ComputePool? pool)
    {
        var output = new float[rows];
        unsafe
        {
            fixed (byte* p = weights)
            {
                MatMul.Compute(type, (nint)p, rows, cols, input, output, 1, pool, default, path);
            }
        }

        return output;
    }
}
