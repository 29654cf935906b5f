using Edgewise.Numerics.Kernels;

namespace Edgewise.Numerics.Tests;

/// <summary>K-quant matrix products on real widths (2048, 4864, 8192 columns) on every path, and their independence of a token's place in a batch.</summary>
public sealed class KQuantMatVecTests
{
    public static TheoryData<TensorType, int, int, int> Shapes()
    {
        var data = new TheoryData<TensorType, int, int, int>();
        foreach (var type in new[] { TensorType.Q4_K, TensorType.Q5_K, TensorType.Q6_K })
        {
            data.Add(type, 9, 2048, 6);
            data.Add(type, 6, 512, 9);
            data.Add(type, 5, 4864, 1);
            data.Add(type, 3, 8192, 1);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Compute_RealWidthsEveryPath_MatchScalarRowDots(TensorType type, int rows, int cols, int n)
    {
        var (weights, input) = Operands(type, rows, cols, n);
        var rowBytes = weights.Length / rows;
        var act = new byte[VecDot.ActivationRowBytes(type, cols)];
        var expected = new float[n * rows];
        var magnitude = new double[n * rows];
        var wq = new float[cols];
        for (var t = 0; t < n; t++)
        {
            VecDot.ConvertActivations(type, input.AsSpan(t * cols, cols), act);
            for (var r = 0; r < rows; r++)
            {
                expected[t * rows + r] = VecDot.Compute(type, weights.AsSpan(r * rowBytes, rowBytes), act, cols, SimdPath.Scalar);
                Dequantize.Row(type, weights.AsSpan(r * rowBytes, rowBytes), wq);
                for (var c = 0; c < cols; c++)
                {
                    magnitude[t * rows + r] += Math.Abs(wq[c] * input[t * cols + c]);
                }
            }
        }

        foreach (var path in SimdSupport.Available)
        {
            var actual = Run(type, weights, rows, cols, input, n, path);
            for (var i = 0; i < actual.Length; i++)
            {
                Assert.True(
                    Math.Abs(actual[i] - expected[i]) <= 2e-5 * magnitude[i] + 1e-30,
                    $"{type} {path} [{i}]: {actual[i]} vs scalar {expected[i]} (magnitude {magnitude[i]})");
            }
        }
    }

    [Theory]
    [InlineData(TensorType.Q5_K)]
    public void Compute_TokenInBatch_SameBitsAsAlone(TensorType type)
    {
        const int rows = 7, cols = 768, n = 39;
        var (weights, input) = Operands(type, rows, cols, n);
        foreach (var path in SimdSupport.Available)
        {
            var batch = Run(type, weights, rows, cols, input, n, path);
            for (var t = 0; t < n; t += 5)
            {
                var alone = Run(type, weights, rows, cols, input.AsSpan(t * cols, cols).ToArray(), 1, path);
                Assert.Equal(alone, batch.AsSpan(t * rows, rows).ToArray());
            }
        }
    }

    [Theory]
    [InlineData(TensorType.Q4_K)]
    [InlineData(TensorType.Q5_K)]
    [InlineData(TensorType.Q6_K)]
    public void Compute_RowsShiftedByOne_SameBitsPerRow(TensorType type)
    {
        const int rows = 8, cols = 512, n = 6;
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
