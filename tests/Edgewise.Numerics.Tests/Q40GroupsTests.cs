using Edgewise.Numerics.Kernels;

namespace Edgewise.Numerics.Tests;

/// <summary>
/// Q4_0 weights re-laid into <see cref="WeightLayout.Q40Groups"/> (<see cref="WeightPacking"/>, <see cref="Q40Groups"/>):
/// the layout is a lossless permutation of the stored bytes; single-token products agree with the scalar reference
/// and have the bits of the stored-layout prompt-batch kernel (<see cref="LegacyGemm"/>); a token gets the same bits
/// alone as inside a batch; every partial last group (1 to 7 blocks) and special fp16 scales are covered.
/// </summary>
public sealed class Q40GroupsTests
{
    public static TheoryData<int, int> Shapes() => new()
    {
        { 1, 32 },
        { 3, 64 },
        { 5, 224 },
        { 2, 256 },
        { 7, 576 },
        { 4, 896 },
        { 6, 960 },
        { 9, 1024 },
        { 3, 2016 },
        { 17, 2048 },
        { 2, 4864 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void PackThenUnpack_RestoresEveryStoredRow(int rows, int cols)
    {
        var stored = Weights(rows, cols);
        var packed = Pack(stored, rows, cols);
        var rowBytes = stored.Length / rows;
        Assert.NotEqual(stored, packed);
        var back = new byte[rowBytes];
        for (var r = 0; r < rows; r++)
        {
            WeightPacking.UnpackRow(WeightLayout.Q40Groups, TensorType.Q4_0, packed.AsSpan(r * rowBytes, rowBytes), back);
            Assert.Equal(stored.AsSpan(r * rowBytes, rowBytes).ToArray(), back);
        }
    }

    [Fact]
    public void Pack_PutsQuantWordsByGroupLaneAndScalesLast()
    {
        // 12 blocks: one full group of 8, then a partial group of 4 whose vectors hold 4 lanes (16 bytes) each.
        const int blocks = 12;
        var stored = TestData.Bytes(blocks * 18, 3);
        var packed = Pack(stored, 1, blocks * 32);
        for (var b = 0; b < blocks; b++)
        {
            Assert.Equal(stored.AsSpan(b * 18, 2).ToArray(), packed.AsSpan((blocks * 16) + (2 * b), 2).ToArray());
            for (var j = 0; j < 4; j++)
            {
                var at = b < 8 ? (32 * j) + (4 * b) : 128 + (16 * j) + (4 * (b - 8));
                Assert.Equal(stored.AsSpan((b * 18) + 2 + (4 * j), 4).ToArray(), packed.AsSpan(at, 4).ToArray());
            }
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Compute_OneToken_MatchesScalarAndStoredBatchKernelBits(int rows, int cols)
    {
        if (!WeightPacking.IsSupported(WeightLayout.Q40Groups, TensorType.Q4_0))
        {
            Assert.Skip("This CPU has no AVX-VNNI; the Q40Groups layout is never chosen here.");
        }

        var stored = Weights(rows, cols);
        var packed = Pack(stored, rows, cols);
        var input = TestData.Gaussian(cols, (ulong)(cols + 11), 1.0f);
        var expected = ScalarProducts(stored, rows, cols, input, out var magnitude);
        var alone = Run(packed, WeightLayout.Q40Groups, rows, cols, input, 1, null);
        for (var r = 0; r < rows; r++)
        {
            Assert.True(
                Math.Abs(alone[r] - expected[r]) <= 2e-5 * magnitude[r] + 1e-30,
                $"row {r}: {alone[r]} vs scalar {expected[r]} (magnitude {magnitude[r]})");
        }

        // The stored layout's prompt-batch kernel (n = 2) runs the same chain: the first token's results must have
        // the same bits as the re-laid single-token kernel's.
        var twice = input.Concat(input).ToArray();
        var batch = Run(stored, WeightLayout.Stored, rows, cols, twice, 2, null);
        Assert.Equal(Bits(alone), Bits(batch.AsSpan(0, rows).ToArray()));
    }

    [Theory]
    [InlineData(2, 4, 896)]
    [InlineData(5, 9, 960)]
    [InlineData(9, 6, 2048)]
    [InlineData(4, 5, 576)]
    public void Compute_TokenInBatch_SameBitsAsAlone(int n, int rows, int cols)
    {
        if (!WeightPacking.IsSupported(WeightLayout.Q40Groups, TensorType.Q4_0))
        {
            Assert.Skip("This CPU has no AVX-VNNI; the Q40Groups layout is never chosen here.");
        }

        var stored = Weights(rows, cols);
        var packed = Pack(stored, rows, cols);
        var input = TestData.Gaussian(n * cols, (ulong)(n + cols), 1.0f);
        var together = Run(packed, WeightLayout.Q40Groups, rows, cols, input, n, null);
        Assert.Equal(Bits(Run(stored, WeightLayout.Stored, rows, cols, input, n, null)), Bits(together));
        for (var t = 0; t < n; t++)
        {
            var alone = Run(packed, WeightLayout.Q40Groups, rows, cols, input.AsSpan(t * cols, cols).ToArray(), 1, null);
            Assert.Equal(Bits(alone), Bits(together.AsSpan(t * rows, rows).ToArray()));
        }
    }

    [Theory]
    [InlineData(0x0001)]
    [InlineData(0x03FF)]
    [InlineData(0x0000)]
    [InlineData(0x8400)]
    [InlineData(0x7C00)]
    [InlineData(0xFE00)]
    public void Compute_SpecialScaleInEveryPosition_SameBitsAsStoredBatchKernel(int special)
    {
        if (!WeightPacking.IsSupported(WeightLayout.Q40Groups, TensorType.Q4_0))
        {
            Assert.Skip("This CPU has no AVX-VNNI; the Q40Groups layout is never chosen here.");
        }

        const int rows = 28, cols = 28 * 32;
        var stored = TestData.Bytes(rows * 28 * 18, (ulong)special + 9);
        for (var b = 0; b < rows * 28; b++)
        {
            // Finite scales near 0.01 everywhere except one block per row, which moves along the row (and into the tail).
            var scale = b % 28 == b / 28 ? special : 0x2000 + (b % 300);
            stored[b * 18] = (byte)scale;
            stored[(b * 18) + 1] = (byte)(scale >> 8);
        }

        var packed = Pack(stored, rows, cols);
        var input = TestData.Gaussian(cols, 13, 1.0f);
        var alone = Run(packed, WeightLayout.Q40Groups, rows, cols, input, 1, null);
        var batch = Run(stored, WeightLayout.Stored, rows, cols, input.Concat(input).ToArray(), 2, null);
        Assert.Equal(Bits(batch.AsSpan(0, rows).ToArray()), Bits(alone));
        Assert.Contains(alone, v => v != 0);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Compute_OnPoolOddRows_SameBitsAsInline(int threads)
    {
        if (!WeightPacking.IsSupported(WeightLayout.Q40Groups, TensorType.Q4_0))
        {
            Assert.Skip("This CPU has no AVX-VNNI; the Q40Groups layout is never chosen here.");
        }

        const int rows = 517, cols = 896;
        var packed = Pack(Weights(rows, cols), rows, cols);
        var input = TestData.Gaussian(3 * cols, 17, 1.0f);
        using var pool = new ComputePool(threads);
        foreach (var n in new[] { 1, 3 })
        {
            var x = input.AsSpan(0, n * cols).ToArray();
            Assert.Equal(Bits(Run(packed, WeightLayout.Q40Groups, rows, cols, x, n, null)), Bits(Run(packed, WeightLayout.Q40Groups, rows, cols, x, n, pool)));
        }
    }

    [Fact]
    public void Layout_OnlyForQ40_AndOnlyOnPathsWithItsKernel()
    {
        Assert.Equal(
            WeightPacking.IsSupported(WeightLayout.Q40Groups, TensorType.Q4_0) ? WeightLayout.Q40Groups : WeightLayout.Stored,
            WeightPacking.Preferred(TensorType.Q4_0));
        Assert.Equal(WeightLayout.Stored, WeightPacking.Preferred(TensorType.Q8_0));
        Assert.False(WeightPacking.IsSupported(WeightLayout.Q40Groups, TensorType.Q5_0));
        Assert.Throws<ArgumentException>(() => WeightPacking.Pack(WeightLayout.Q40Groups, TensorType.Q8_0, 1, 2, 1, 32));
        Assert.Throws<ArgumentException>(() => WeightPacking.Pack(WeightLayout.Q40Groups, TensorType.Q4_0, 1, 2, 1, 33));
        Assert.Throws<ArgumentException>(() => WeightPacking.Pack(WeightLayout.Q40Groups, TensorType.Q4_0, 0, 2, 1, 32));
        Assert.Throws<ArgumentException>(() => WeightPacking.UnpackRow(WeightLayout.Q40Groups, TensorType.Q4_0, new byte[18], new byte[17]));

        var packed = Pack(Weights(2, 64), 2, 64);
        var error = Assert.Throws<ArgumentException>(() => Run(packed, WeightLayout.Q40Groups, 2, 64, new float[64], 1, null, SimdPath.Scalar));
        Assert.Contains("Q40Groups", error.Message, StringComparison.Ordinal);
    }

    private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();

    private static byte[] Weights(int rows, int cols)
    {
        var rowBytes = (int)TensorTypeInfo.Get(TensorType.Q4_0).RowBytes(cols);
        var weights = new byte[rows * rowBytes];
        var w = TestData.Gaussian(rows * cols, (ulong)((rows * 41) + cols), 0.02f);
        for (var r = 0; r < rows; r++)
        {
            Quantize.Row(TensorType.Q4_0, w.AsSpan(r * cols, cols), weights.AsSpan(r * rowBytes, rowBytes));
        }

        return weights;
    }

    private static unsafe byte[] Pack(byte[] stored, int rows, int cols)
    {
        var packed = new byte[stored.Length];
        fixed (byte* s = stored)
        fixed (byte* p = packed)
        {
            WeightPacking.Pack(WeightLayout.Q40Groups, TensorType.Q4_0, (nint)s, (nint)p, rows, cols);
        }

        return packed;
    }

    private static float[] ScalarProducts(byte[] weights, int rows, int cols, float[] input, out double[] magnitude)
    {
        var rowBytes = weights.Length / rows;
        var act = new byte[VecDot.ActivationRowBytes(TensorType.Q4_0, cols)];
        VecDot.ConvertActivations(TensorType.Q4_0, input, act);
        var expected = new float[rows];
        magnitude = new double[rows];
        var wq = new float[cols];
        for (var r = 0; r < rows; r++)
        {
            expected[r] = VecDot.Compute(TensorType.Q4_0, weights.AsSpan(r * rowBytes, rowBytes), act, cols, SimdPath.Scalar);
            Dequantize.Row(TensorType.Q4_0, weights.AsSpan(r * rowBytes, rowBytes), wq);
            for (var c = 0; c < cols; c++)
            {
                magnitude[r] += Math.Abs(wq[c] * input[c]);
            }
        }

        return expected;
    }

    private static float[] Run(
        byte[] weights, WeightLayout layout, int rows, int cols, float[] input, int n, ComputePool? pool, SimdPath? path = null)
    {
        var output = new float[rows * n];
        unsafe
        {
            fixed (byte* p = weights)
            {
                MatMul.Compute(TensorType.Q4_0, (nint)p, rows, cols, input, output, n, pool, default, path ?? SimdSupport.Best, layout);
            }
        }

        return output;
    }
}
