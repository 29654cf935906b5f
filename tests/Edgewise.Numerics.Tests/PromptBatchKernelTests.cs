using Edgewise.Numerics.Kernels;

namespace Edgewise.Numerics.Tests;

/// <summary>
/// The prompt-batch kernels (register tiles of weight rows × tokens; with AVX-VNNI the block-regrouped Q8_0/Q4_0/Q5_0
/// layout and the run- and group-transposed Q4_K/Q6_K layouts): against the scalar dot products at sizes that leave
/// partial tiles, and a product's bits independent of where its row and token fall and of pooling.
/// </summary>
public sealed class PromptBatchKernelTests
{
    public static TheoryData<TensorType, int, int, int> Shapes()
    {
        var data = new TheoryData<TensorType, int, int, int>();
        foreach (var type in new[] { TensorType.Q8_0, TensorType.Q4_0, TensorType.Q5_0 })
        {
            data.Add(type, 4, 64, 4);
            data.Add(type, 9, 96, 7);
            data.Add(type, 67, 288, 37);
            data.Add(type, 130, 32, 2);
            data.Add(type, 6, 320, 70);
            data.Add(type, 5, 224, 9);
            data.Add(type, 11, 896, 13);
        }

        foreach (var type in new[] { TensorType.Q4_K, TensorType.Q6_K })
        {
            data.Add(type, 4, 256, 4);
            data.Add(type, 9, 768, 7);
            data.Add(type, 67, 512, 37);
            data.Add(type, 3, 2048, 2);
            data.Add(type, 6, 256, 70);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Compute_PartialTilesEveryPath_MatchScalarRowDots(TensorType type, int rows, int cols, int n)
    {
        var (weights, input) = Operands(type, rows, cols, n);
        var rowBytes = (int)TensorTypeInfo.Get(type).RowBytes(cols);
        var act = new byte[VecDot.ActivationRowBytes(type, cols)];
        var wq = new float[cols];
        foreach (var path in SimdSupport.Available)
        {
            var output = Run(type, weights, rows, cols, input, n, path);
            for (var t = 0; t < n; t++)
            {
                VecDot.ConvertActivations(type, input.AsSpan(t * cols, cols), act);
                for (var r = 0; r < rows; r++)
                {
                    var expected = VecDot.Compute(type, weights.AsSpan(r * rowBytes, rowBytes), act, cols, SimdPath.Scalar);
                    Dequantize.Row(type, weights.AsSpan(r * rowBytes, rowBytes), wq);
                    var magnitude = 0.0;
                    for (var c = 0; c < cols; c++)
                    {
                        magnitude += Math.Abs(wq[c] * input[t * cols + c]);
                    }

                    var actual = output[t * rows + r];
                    Assert.True(
                        Math.Abs(actual - expected) <= 2e-5 * magnitude + 1e-30,
                        $"{type} {path} row {r} token {t}: {actual} vs scalar {expected} (magnitude {magnitude})");
                }
            }
        }
    }

    [Theory]
    [InlineData(TensorType.Q8_0, 160)]
    [InlineData(TensorType.Q4_0, 160)]
    [InlineData(TensorType.Q5_0, 160)]
    [InlineData(TensorType.Q4_K, 512)]
    [InlineData(TensorType.Q6_K, 512)]
    public void Compute_TokensReversed_SameBitsPerToken(TensorType type, int cols)
    {
        const int rows = 11, n = 23;
        var (weights, input) = Operands(type, rows, cols, n);
        var reversed = new float[input.Length];
        for (var t = 0; t < n; t++)
        {
            input.AsSpan(t * cols, cols).CopyTo(reversed.AsSpan((n - 1 - t) * cols, cols));
        }

        foreach (var path in SimdSupport.Available)
        {
            var forward = Run(type, weights, rows, cols, input, n, path);
            var backward = Run(type, weights, rows, cols, reversed, n, path);
            for (var t = 0; t < n; t++)
            {
                Assert.Equal(forward.AsSpan(t * rows, rows).ToArray(), backward.AsSpan((n - 1 - t) * rows, rows).ToArray());
            }

            var pair = Run(type, weights, rows, cols, input.AsSpan(5 * cols, 2 * cols).ToArray(), 2, path);
            Assert.Equal(forward.AsSpan(5 * rows, 2 * rows).ToArray(), pair);
        }
    }

    [Theory]
    [InlineData(TensorType.Q8_0, 96)]
    [InlineData(TensorType.Q4_0, 96)]
    [InlineData(TensorType.Q5_0, 96)]
    [InlineData(TensorType.Q4_K, 768)]
    [InlineData(TensorType.Q6_K, 768)]
    public void Compute_RowsShiftedByOne_SameBitsPerRow(TensorType type, int cols)
    {
        const int rows = 14, n = 9;
        var (weights, input) = Operands(type, rows, cols, n);
        var rowBytes = (int)TensorTypeInfo.Get(type).RowBytes(cols);
        var shifted = weights.AsSpan(rowBytes).ToArray();
        foreach (var path in SimdSupport.Available)
        {
            var all = Run(type, weights, rows, cols, input, n, path);
            var rest = Run(type, shifted, rows - 1, cols, input, n, path);
            for (var t = 0; t < n; t++)
            {
                Assert.Equal(all.AsSpan(t * rows + 1, rows - 1).ToArray(), rest.AsSpan(t * (rows - 1), rows - 1).ToArray());
            }
        }
    }

    [Theory]
    [InlineData(TensorType.Q8_0, 256)]
    [InlineData(TensorType.Q4_0, 256)]
    [InlineData(TensorType.Q5_0, 256)]
    [InlineData(TensorType.Q4_K, 512)]
    [InlineData(TensorType.Q6_K, 512)]
    public void Compute_PooledBatch_SameBitsAsSerial(TensorType type, int cols)
    {
        const int rows = 203, n = 19;
        var (weights, input) = Operands(type, rows, cols, n);
        var serial = Run(type, weights, rows, cols, input, n, SimdSupport.Best);
        var pooled = new float[n * rows];
        using var pool = new ComputePool(2);
        MatMul.Compute(type, weights, rows, cols, input, pooled, n, pool);
        Assert.Equal(serial, pooled);
    }

    private static (byte[] Weights, float[] Input) Operands(TensorType type, int rows, int cols, int n)
    {
        var rowBytes = (int)TensorTypeInfo.Get(type).RowBytes(cols);
        var weights = new byte[rows * rowBytes];
        var w = TestData.Gaussian(rows * cols, (ulong)(rows + cols), 0.05f);
        for (var r = 0; r < rows; r++)
        {
            Quantize.Row(type, w.AsSpan(r * cols, cols), weights.AsSpan(r * rowBytes, rowBytes));
        }

        return (weights, TestData.Gaussian(n * cols, (ulong)(n + 17), 1.0f));
    }

    private static float[] Run(TensorType type, byte[] weights, int rows, int cols, float[] input, int n, SimdPath path)
    {
        var output = new float[n * rows];
        unsafe
        {
            fixed (byte* p = weights)
            {
                MatMul.Compute(type, (nint)p, rows, cols, input, output, n, null, default, path);
            }
        }

        return output;
    }
}
