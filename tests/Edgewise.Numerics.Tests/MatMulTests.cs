using Edgewise.Numerics.Kernels;

namespace Edgewise.Numerics.Tests;

/// <summary>Matrix products against the scalar dot products, on every path, with and without a pool (which must agree exactly).</summary>
public sealed class MatMulTests
{
    public static TheoryData<TensorType, int, int, int> Shapes()
    {
        var data = new TheoryData<TensorType, int, int, int>();
        foreach (var type in VecDotTests.Types)
        {
            var block = TensorTypeInfo.Get(type).BlockSize;
            data.Add(type, 37, 3 * Math.Max(block, 32), 1);
            data.Add(type, 65, 2 * Math.Max(block, 32), 5);
            data.Add(type, 3, Math.Max(block, 32), 40);
            data.Add(type, 7, 13 * Math.Max(block, 32), 2);
            data.Add(type, 5, (block == 256 ? 19 : 152) * Math.Max(block, 32), 1);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Compute_EveryPathAndPool_MatchesScalarRowDots(TensorType type, int rows, int cols, int n)
    {
        var rowBytes = (int)TensorTypeInfo.Get(type).RowBytes(cols);
        var weights = new byte[rows * rowBytes];
        var w = TestData.Gaussian(rows * cols, 3, 0.05f);
        for (var r = 0; r < rows; r++)
        {
            Quantize.Row(type, w.AsSpan(r * cols, cols), weights.AsSpan(r * rowBytes, rowBytes));
        }

        var input = TestData.Gaussian(n * cols, 4, 1.0f);
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

        using var pool = new ComputePool(2);
        foreach (var path in SimdSupport.Available)
        {
            var serial = new float[n * rows];
            var pooled = new float[n * rows];
            unsafe
            {
                fixed (byte* p = weights)
                {
                    MatMul.Compute(type, (nint)p, rows, cols, input, serial, n, null, default, path);
                    MatMul.Compute(type, (nint)p, rows, cols, input, pooled, n, pool, default, path);
                }
            }

            Assert.Equal(serial, pooled);
            for (var i = 0; i < serial.Length; i++)
            {
                Assert.True(
                    Math.Abs(serial[i] - expected[i]) <= 2e-5 * magnitude[i] + 1e-30,
                    $"{type} {path} [{i}]: {serial[i]} vs scalar {expected[i]} (magnitude {magnitude[i]})");
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(6)]
    public void Compute_F16RowWithInfinityOrNaN_MatchesScalar(int n)
    {
        const int rows = 3, cols = 64;
        var w = TestData.Gaussian(rows * cols, 11, 0.1f);
        var weights = new byte[rows * cols * 2];
        Quantize.Row(TensorType.F16, w, weights);
        weights[(0 * cols + 5) * 2] = 0x00;
        weights[(0 * cols + 5) * 2 + 1] = 0x7C;
        weights[(2 * cols + 40) * 2] = 0x01;
        weights[(2 * cols + 40) * 2 + 1] = 0xFE;
        var input = TestData.Gaussian(n * cols, 12, 1.0f);
        var act = new byte[VecDot.ActivationRowBytes(TensorType.F16, cols)];
        foreach (var path in SimdSupport.Available)
        {
            var output = new float[n * rows];
            unsafe
            {
                fixed (byte* p = weights)
                {
                    MatMul.Compute(TensorType.F16, (nint)p, rows, cols, input, output, n, null, default, path);
                }
            }

            for (var t = 0; t < n; t++)
            {
                VecDot.ConvertActivations(TensorType.F16, input.AsSpan(t * cols, cols), act);
                for (var r = 0; r < rows; r++)
                {
                    var expected = VecDot.Compute(TensorType.F16, weights.AsSpan(r * cols * 2, cols * 2), act, cols, SimdPath.Scalar);
                    var actual = output[t * rows + r];
                    if (r == 1)
                    {
                        Assert.True(float.IsFinite(actual), $"{path} t={t}: {actual}");
                    }
                    else
                    {
                        Assert.Equal(expected, actual);
                    }
                }
            }
        }
    }

    [Fact]
    public void Compute_CallerScratch_SameResultAsThreadScratch()
    {
        const int rows = 48, cols = 256, n = 3;
        var weights = new byte[rows * 144];
        for (var r = 0; r < rows; r++)
        {
            Quantize.Row(TensorType.Q4_K, TestData.Gaussian(cols, (ulong)r, 0.1f), weights.AsSpan(r * 144, 144));
        }

        var input = TestData.Gaussian(n * cols, 9, 1.0f);
        var a = new float[n * rows];
        var b = new float[n * rows];
        MatMul.Compute(TensorType.Q4_K, weights, rows, cols, input, a, n);
        MatMul.Compute(TensorType.Q4_K, weights, rows, cols, input, b, n, null, new byte[MatMul.ScratchBytes(TensorType.Q4_K, cols, n)]);
        Assert.Equal(a, b);
        Assert.Contains(a, v => v != 0);
    }

    [Fact]
    public void Compute_BadLengths_Throw()
    {
        var weights = new byte[4 * 18];
        Assert.Throws<ArgumentException>(() => MatMul.Compute(TensorType.Q4_0, weights, 5, 32, new float[32], new float[5], 1));
        Assert.Throws<ArgumentException>(() => MatMul.Compute(TensorType.Q4_0, weights, 4, 32, new float[31], new float[4], 1));
        Assert.Throws<ArgumentException>(() => MatMul.Compute(TensorType.Q4_0, weights, 4, 32, new float[32], new float[3], 1));
        Assert.Throws<ArgumentException>(() => MatMul.Compute(TensorType.Q4_0, weights, 4, 32, new float[32], new float[4], 1, null, new byte[10]));
        Assert.Throws<ArgumentOutOfRangeException>(() => MatMul.Compute(TensorType.Q8_K, new byte[292], 1, 256, new float[256], new float[1], 1));
        Assert.Throws<ArgumentException>(() => MatMul.Compute(TensorType.Q4_0, 0, 4, 32, new float[32], new float[4], 1));
    }

    [Fact]
    public void Compute_ZeroRowsOrTokens_LeavesOutputEmpty()
    {
        MatMul.Compute(TensorType.F32, [], 0, 8, new float[8], [], 1);
        MatMul.Compute(TensorType.F32, new byte[32], 1, 8, [], [], 0);
        var output = new float[] { 5 };
        MatMul.Compute(TensorType.F32, [], 1, 0, [], output, 1);
        Assert.Equal(0, output[0]);
    }
}
