using System.Runtime.Intrinsics;
using Edgewise.Numerics.Kernels;

namespace Edgewise.Numerics.Tests;

/// <summary>
/// The F16 kernels (decode rows, the widened panel of prompt batches, the vector activation rounding) against the
/// scalar definitions, at sizes that leave partial row quads, partial token tiles and partial column steps.
/// </summary>
public sealed class F16KernelTests
{
    public static TheoryData<int, int, int> Shapes() => new()
    {
        { 1, 16, 2 },
        { 3, 13, 1 },
        { 5, 100, 1 },
        { 9, 100, 3 },
        { 6, 904, 5 },
        { 37, 40, 7 },
        { 4, 8, 4 },
        { 7, 2056, 33 },
        { 13, 24, 70 },
        { 2, 9000, 9 },
        { 9, 6150, 1 },
        { 5, 8192, 1 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Compute_OddSizes_MatchesScalarOnEveryPathAndPool(int rows, int cols, int n)
    {
        var weights = Weights(rows, cols, (ulong)(rows * 1000 + cols));
        var input = TestData.Gaussian(n * cols, (ulong)n, 1.0f);
        var (expected, magnitude) = Scalar(weights, rows, cols, input, n);
        using var pool = new ComputePool(2);
        foreach (var path in SimdSupport.Available)
        {
            var serial = Run(weights, rows, cols, input, n, null, path);
            var pooled = Run(weights, rows, cols, input, n, pool, path);
            Assert.Equal(serial, pooled);
            for (var i = 0; i < serial.Length; i++)
            {
                Assert.True(
                    Math.Abs(serial[i] - expected[i]) <= 2e-5 * magnitude[i] + 1e-30,
                    $"{path} [{i}]: {serial[i]} vs scalar {expected[i]} (magnitude {magnitude[i]})");
            }
        }
    }

    [Theory]
    [InlineData(2, 3, 3)]
    [InlineData(5, 1, 8)]
    [InlineData(8, 1, 4)]
    [InlineData(40, 3, 35)]
    [InlineData(70, 66, 0)]
    public void Compute_TokenInBatch_SameBitsWhereverItSits(int n, int token, int at)
    {
        // 300 columns: two column blocks of the 512-bit broadcast kernel; 40 and 70 tokens: two and three token blocks.
        const int rows = 13, cols = 300;
        var weights = Weights(rows, cols, 5);
        var single = TestData.Gaussian(cols, 6, 1.0f);
        var batch = TestData.Gaussian(Math.Max(n, at + 1) * cols, 7, 1.0f);
        single.CopyTo(batch.AsSpan(token * cols));
        var other = TestData.Gaussian(Math.Max(n, at + 1) * cols, 8, 1.0f);
        single.CopyTo(other.AsSpan(at * cols));
        foreach (var path in SimdSupport.Available)
        {
            var a = Run(weights, rows, cols, batch, batch.Length / cols, null, path);
            var b = Run(weights, rows, cols, other, other.Length / cols, null, path);
            Assert.Equal(a.AsSpan(token * rows, rows).ToArray(), b.AsSpan(at * rows, rows).ToArray());
        }
    }

    [Theory]
    [InlineData(1, 100)]
    [InlineData(3, 100)]
    [InlineData(70, 100)]
    [InlineData(1, 64)]
    [InlineData(6, 64)]
    [InlineData(5, 2056)]
    public void Compute_SpecialsInsidePanelAndTail_MatchScalarExactly(int n, int cols)
    {
        const int rows = 9;
        var weights = Weights(rows, cols, 21);
        SetHalf(weights, cols, 0, 3, 0x7C00);
        SetHalf(weights, cols, 2, cols - 1, 0xFC00);
        SetHalf(weights, cols, 5, 17, 0x7E01);
        SetHalf(weights, cols, 6, 1, 0x7C00);
        SetHalf(weights, cols, 6, cols - 2, 0xFC00);
        SetHalf(weights, cols, 8, cols / 2, 0xFC00);
        SetHalf(weights, cols, 3, 9, 0x7BFF);
        var input = TestData.Gaussian(n * cols, 22, 1.0f);
        input[cols / 2] = 0;
        var (expected, _) = Scalar(weights, rows, cols, input, n);
        using var pool = new ComputePool(2);
        foreach (var path in SimdSupport.Available)
        {
            foreach (var p in new[] { null, pool })
            {
                var output = Run(weights, rows, cols, input, n, p, path);
                for (var t = 0; t < n; t++)
                {
                    foreach (var r in new[] { 0, 2, 5, 6, 8 })
                    {
                        Assert.Equal(expected[t * rows + r], output[t * rows + r]);
                    }

                    foreach (var r in new[] { 1, 3, 4, 7 })
                    {
                        Assert.True(float.IsFinite(output[t * rows + r]), $"{path} t={t} r={r}: {output[t * rows + r]}");
                    }
                }
            }
        }

        Assert.True(float.IsNaN(expected[8]));
        Assert.True(float.IsPositiveInfinity(expected[0]) || float.IsNegativeInfinity(expected[0]));
    }

    [Fact]
    public void RoundToHalf_EdgesAndRandomBits_MatchScalarConversion()
    {
        var values = new List<uint>
        {
            0x00000000, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00001, 0x7F800001, 0x00000001, 0x807FFFFF,
            0x477FE000, 0x477FEFFF, 0x477FF000, 0x477FF001, 0xC77FF000, 0x38800000, 0x387FFFFF, 0x387FF000, 0x33000000,
            0x33000001, 0x33C00000, 0x3F801000, 0x3F803000, 0x3F800FFF, 0x3F801001, 0x4B000000, 0x7F7FFFFF, 0x35800000,
        };
        var rng = new TestData.SplitMix64(99);
        for (var i = 0; i < 200_000; i++)
        {
            var bits = (uint)rng.Next();
            values.Add(bits);
            values.Add((bits & 0x807FFFFFu) | ((uint)(0x66 + (i % 0x20)) << 23));
        }

        while (values.Count % 8 != 0)
        {
            values.Add(0x3F800000);
        }

        var source = values.ToArray();
        for (var i = 0; i < source.Length; i += 8)
        {
            var rounded = F16MatVec.RoundToHalf(Vector256.Create(source.AsSpan(i, 8)));
            for (var k = 0; k < 8; k++)
            {
                var expected = BitConverter.SingleToUInt32Bits(Simd.Half(Fp16.FromSingle(BitConverter.UInt32BitsToSingle(source[i + k]))));
                Assert.True(expected == rounded.GetElement(k), $"{source[i + k]:X8}: {rounded.GetElement(k):X8} vs scalar {expected:X8}");
            }
        }
    }

    [Fact]
    public void RawWidening_IsChosenOnAmdOnly_AndNamedInTheDispatch()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux() && File.Exists("/proc/cpuinfo"), "reads the CPU vendor from /proc/cpuinfo");
        var vendor = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("vendor_id", StringComparison.Ordinal));
        Assert.SkipUnless(vendor is not null, "no vendor_id line (not an x86 CPU)");
        Assert.Equal(vendor!.EndsWith("AuthenticAMD", StringComparison.Ordinal), F16Decode.RawWidening);
        Assert.Equal(F16Decode.RawWidening, KernelDispatch.DecodeKernel(TensorType.F16, WeightLayout.Stored).Contains("raw widening", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(6144)]
    [InlineData(6160)]
    [InlineData(6203)]
    public unsafe void Decode_LongRowsInFours_SameBitsAsAloneAndSpecialsFoundAnywhere(int cols)
    {
        Assert.SkipUnless(F16MatVec.IsSupported && Vector512.IsHardwareAccelerated, "the four-row decode kernel needs 512-bit vectors");
        Assert.True(cols >= F16Decode.LongRow);
        const int rows = 11;
        var weights = Weights(rows, cols, 51);

        // An infinity in a 64-column step, in the 16-column step after them, and in the scalar columns at the end; a
        // large negative normal in the same lane of a neighbouring row must not hide the first.
        SetHalf(weights, cols, 1, 70, 0x7C00);
        SetHalf(weights, cols, 0, 70, 0xFBFF);
        SetHalf(weights, cols, 6, cols % 64 >= 16 ? (cols / 64 * 64) + 3 : cols - 40, 0xFC00);
        SetHalf(weights, cols, 9, cols - 1, 0x7E00);
        var input = TestData.Gaussian(cols, 52, 1.0f);
        var (expected, _) = Scalar(weights, rows, cols, input, 1);
        foreach (var raw in new[] { false, true })
        {
            var together = Decode(weights, rows, cols, input, wide: true, raw);
            for (var r = 0; r < rows; r++)
            {
                var alone = Decode(weights, rows, cols, input, wide: true, raw, r, r + 1)[r];
                Assert.Equal(BitConverter.SingleToUInt32Bits(alone), BitConverter.SingleToUInt32Bits(together[r]));
            }

            foreach (var r in new[] { 1, 6, 9 })
            {
                Assert.False(float.IsFinite(together[r]), $"row {r}: {together[r]}");
                Assert.Equal(expected[r], together[r]);
            }

            Assert.True(float.IsFinite(together[0]), $"row 0: {together[0]}");
        }
    }

    [Theory]
    [InlineData(7, 15)]
    [InlineData(9, 100)]
    [InlineData(5, 904)]
    [InlineData(3, 2056)]
    public unsafe void Decode_RawAndScaledWidening_SameBitsOnBothWidths(int rows, int cols)
    {
        Assert.SkipUnless(F16MatVec.IsSupported, "the F16 decode kernel needs AVX2 and FMA");

        // Every kind of half: normals, subnormals, both zeros, the largest finite, and one row with an infinity.
        var weights = Weights(rows, cols, 41);
        var random = new Random(42);
        for (var i = 0; i < rows * cols / 3; i++)
        {
            var bits = random.Next(4) switch
            {
                0 => (ushort)random.Next(1, 0x400),
                1 => (ushort)(random.Next(2) * 0x8000),
                2 => (ushort)0x7BFF,
                _ => (ushort)random.Next(0x400, 0x7C00),
            };
            SetHalf(weights, cols, random.Next(rows), random.Next(cols), (ushort)(bits | (random.Next(2) << 15)));
        }

        SetHalf(weights, cols, rows - 1, cols - 1, 0xFC00);
        var input = TestData.Gaussian(cols, 43, 1.0f);
        var (expected, _) = Scalar(weights, rows, cols, input, 1);
        foreach (var wide in new[] { false, true })
        {
            if (wide && !Vector512.IsHardwareAccelerated)
            {
                continue;
            }

            var scaled = Decode(weights, rows, cols, input, wide, raw: false);
            var raw = Decode(weights, rows, cols, input, wide, raw: true);
            Assert.Equal(scaled.Select(BitConverter.SingleToUInt32Bits), raw.Select(BitConverter.SingleToUInt32Bits));
            Assert.Equal(expected[rows - 1], raw[rows - 1]);
            Assert.False(float.IsFinite(raw[rows - 1]), $"row with −inf: {raw[rows - 1]}");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(13)]
    [InlineData(64)]
    public unsafe void Prepare_AnyLength_RoundsAndZeroesPadding(int cols)
    {
        var input = TestData.Gaussian(cols, 31, 100.0f);
        var floats = F16MatVec.PreparedBytes(cols) / 4;
        var prepared = new float[floats];
        prepared.AsSpan().Fill(float.NaN);
        fixed (float* p = prepared)
        {
            F16MatVec.Prepare(input, p, 1f);
        }

        for (var i = 0; i < cols; i++)
        {
            Assert.Equal(Simd.Half(Fp16.FromSingle(input[i])), prepared[i]);
        }

        Assert.All(prepared[cols..], v => Assert.Equal(0f, v));
    }

    private static void SetHalf(byte[] weights, int cols, int row, int col, ushort bits)
    {
        weights[(row * cols + col) * 2] = (byte)bits;
        weights[(row * cols + col) * 2 + 1] = (byte)(bits >> 8);
    }

    private static byte[] Weights(int rows, int cols, ulong seed)
    {
        var weights = new byte[rows * cols * 2];
        Quantize.Row(TensorType.F16, TestData.Gaussian(rows * cols, seed, 0.05f), weights);
        return weights;
    }

    private static (float[] Expected, double[] Magnitude) Scalar(byte[] weights, int rows, int cols, float[] input, int n)
    {
        var act = new byte[VecDot.ActivationRowBytes(TensorType.F16, cols)];
        var expected = new float[n * rows];
        var magnitude = new double[n * rows];
        var wq = new float[cols];
        for (var t = 0; t < n; t++)
        {
            VecDot.ConvertActivations(TensorType.F16, input.AsSpan(t * cols, cols), act);
            for (var r = 0; r < rows; r++)
            {
                expected[t * rows + r] = VecDot.Compute(TensorType.F16, weights.AsSpan(r * cols * 2, cols * 2), act, cols, SimdPath.Scalar);
                Dequantize.Row(TensorType.F16, weights.AsSpan(r * cols * 2, cols * 2), wq);
                for (var c = 0; c < cols; c++)
                {
                    magnitude[t * rows + r] += Math.Abs(wq[c] * input[t * cols + c]);
                }
            }
        }

        return (expected, magnitude);
    }

    private static unsafe float[] Decode(byte[] weights, int rows, int cols, float[] input, bool wide, bool raw, int r0 = 0, int r1 = -1)
    {
        var output = new float[rows];
        var prepared = new float[F16MatVec.PreparedBytes(cols) / 4];
        fixed (byte* w = weights)
        fixed (float* x = prepared, o = output)
        {
            F16MatVec.Prepare(input, x, F16Decode.ActivationScale(raw));
            F16Decode.Rows(w, cols * 2, r0, r1 < 0 ? rows : r1, cols, x, o, wide, raw);
        }

        return output;
    }

    private static unsafe float[] Run(byte[] weights, int rows, int cols, float[] input, int n, ComputePool? pool, SimdPath path)
    {
        var output = new float[n * rows];
        fixed (byte* p = weights)
        {
            MatMul.Compute(TensorType.F16, (nint)p, rows, cols, input, output, n, pool, default, path);
        }

        return output;
    }
}
