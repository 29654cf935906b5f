using Edgewise.Numerics.Kernels;

namespace Edgewise.Numerics.Tests;

/// <summary>
/// Q4_0 weights re-laid into <see cref="WeightLayout.RowGroups"/> (<see cref="WeightPacking"/>, <see cref="RowGroups"/>):
/// the layout is a lossless permutation of the stored bytes (rows past the last group of eight stay stored); one
/// token's products agree with the scalar reference and have the bits of the stored-layout prompt-batch kernel
/// (<see cref="LegacyGemm"/>), alone, in a batch and split over a pool; every partial last block group and row group
/// is covered; subnormal and zero scales keep those bits, and a matrix with an infinite or NaN scale is refused and
/// stays stored.
/// </summary>
public sealed class RowGroupsTests
{
    private const string NoAvx2 = "This CPU has no AVX2 with FMA; the RowGroups layout is never chosen here.";

    public static TheoryData<int, int> Shapes()
    {
        var data = new TheoryData<int, int>();
        foreach (var (rows, cols) in new[]
        {
            (8, 32), (1, 64), (7, 96), (9, 160), (16, 224), (17, 256), (24, 576), (31, 896), (8, 960), (40, 1024), (13, 2016), (24, 2048), (16, 4864), (8, 8192),
        })
        {
            data.Add(rows, cols);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void PackThenUnpack_RestoresEveryStoredRow(int rows, int cols)
    {
        var stored = Weights(rows, cols);
        var packed = Pack(stored, rows, cols);
        var rowBytes = stored.Length / rows;
        if (rows >= 8)
        {
            Assert.NotEqual(stored, packed);
        }

        var back = new byte[rowBytes];
        for (var r = 0; r < rows; r++)
        {
            Unpack(packed, rows, cols, r, back);
            Assert.Equal(stored.AsSpan(r * rowBytes, rowBytes).ToArray(), back);
        }
    }

    [Fact]
    public void Pack_PutsEightRowsQuantWordsByLaneThenTheirScales_RestStored()
    {
        // 11 rows of 3 blocks: one group of eight rows, then three rows as stored.
        const int rows = 11, blocks = 3;
        var stored = TestData.Bytes(rows * blocks * 18, 5);
        for (var b = 0; b < rows * blocks; b++)
        {
            stored[(b * 18) + 1] &= 0x3B; // a finite scale: its exponent bits are not all ones
        }

        var packed = Pack(stored, rows, blocks * 32);
        for (var r = 0; r < 8; r++)
        {
            for (var b = 0; b < blocks; b++)
            {
                var block = ((r * blocks) + b) * 18;
                Assert.Equal(stored.AsSpan(block, 2).ToArray(), packed.AsSpan((blocks * 128) + (16 * b) + (2 * r), 2).ToArray());
                for (var j = 0; j < 4; j++)
                {
                    Assert.Equal(stored.AsSpan(block + 2 + (4 * j), 4).ToArray(), packed.AsSpan((128 * b) + (32 * j) + (4 * r), 4).ToArray());
                }
            }
        }

        var rest = 8 * blocks * 18;
        Assert.Equal(stored.AsSpan(rest).ToArray(), packed.AsSpan(rest).ToArray());
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Compute_OneToken_MatchesScalarAndStoredBatchKernelBits(int rows, int cols)
    {
        SkipUnlessSupported();
        var stored = Weights(rows, cols);
        var packed = Pack(stored, rows, cols);
        var input = TestData.Gaussian(cols, (ulong)(cols + 11), 1.0f);
        var expected = TestData.ScalarProducts(TensorType.Q4_0, stored, rows, cols, input, out var magnitude);
        var alone = Run(packed, WeightLayout.RowGroups, rows, cols, input, 1, null);
        for (var r = 0; r < rows; r++)
        {
            Assert.True(
                Math.Abs(alone[r] - expected[r]) <= 2e-5 * magnitude[r] + 1e-30,
                $"row {r}: {alone[r]} vs scalar {expected[r]} (magnitude {magnitude[r]})");
        }

        // The stored layout's prompt-batch kernel (n = 2) runs the same chain: the first token's results must have
        // the same bits as the re-laid single-token kernel's.
        var batch = Run(stored, WeightLayout.Stored, rows, cols, input.Concat(input).ToArray(), 2, null);
        Assert.Equal(Bits(batch.AsSpan(0, rows).ToArray()), Bits(alone));
    }

    [Theory]
    [InlineData(2, 8, 896)]
    [InlineData(5, 17, 960)]
    [InlineData(9, 24, 2048)]
    [InlineData(4, 9, 576)]
    public void Compute_TokenInBatch_SameBitsAsAloneAndAsStored(int n, int rows, int cols)
    {
        SkipUnlessSupported();
        var stored = Weights(rows, cols);
        var packed = Pack(stored, rows, cols);
        var input = TestData.Gaussian(n * cols, (ulong)(n + cols), 1.0f);
        var together = Run(packed, WeightLayout.RowGroups, rows, cols, input, n, null);
        Assert.Equal(Bits(Run(stored, WeightLayout.Stored, rows, cols, input, n, null)), Bits(together));
        for (var t = 0; t < n; t++)
        {
            var alone = Run(packed, WeightLayout.RowGroups, rows, cols, input.AsSpan(t * cols, cols).ToArray(), 1, null);
            Assert.Equal(Bits(alone), Bits(together.AsSpan(t * rows, rows).ToArray()));
        }
    }

    [Theory]
    [InlineData(0x0001)]
    [InlineData(0x03FF)]
    [InlineData(0x0000)]
    [InlineData(0x8000)]
    [InlineData(0x8400)]
    [InlineData(0x7BFF)]
    [InlineData(0xFBFF)]
    public void Compute_FiniteSpecialScaleInEveryPosition_SameBitsAsStoredBatchKernel(int special)
    {
        SkipUnlessSupported();
        const int rows = 28, cols = 28 * 32;
        var stored = TestData.Bytes(rows * 28 * 18, (ulong)special + 9);
        for (var b = 0; b < rows * 28; b++)
        {
            // Finite scales near 0.01 everywhere except one block per row, which moves along the row (and into the tail rows).
            var scale = b % 28 == b / 28 ? special : 0x2000 + (b % 300);
            stored[b * 18] = (byte)scale;
            stored[(b * 18) + 1] = (byte)(scale >> 8);
        }

        var packed = Pack(stored, rows, cols);
        var input = TestData.Gaussian(cols, 13, 1.0f);
        var alone = Run(packed, WeightLayout.RowGroups, rows, cols, input, 1, null);
        var batch = Run(stored, WeightLayout.Stored, rows, cols, input.Concat(input).ToArray(), 2, null);
        Assert.Equal(Bits(batch.AsSpan(0, rows).ToArray()), Bits(alone));
        Assert.Contains(alone, v => v != 0);
    }

    [Theory]
    [InlineData(0x7C00)]
    [InlineData(0xFC00)]
    [InlineData(0x7E00)]
    [InlineData(0xFE01)]
    public unsafe void Pack_NonFiniteScale_RefusedAndPreferredStored(int special)
    {
        const int rows = 16, cols = 256;
        var stored = Weights(rows, cols);
        var at = ((13 * 8) + 5) * 18;
        stored[at] = (byte)special;
        stored[at + 1] = (byte)(special >> 8);
        var destination = new byte[stored.Length];
        fixed (byte* s = stored)
        fixed (byte* d = destination)
        {
            var source = (nint)s;
            var packed = (nint)d;
            var error = Assert.Throws<ArgumentException>(() => WeightPacking.Pack(WeightLayout.RowGroups, TensorType.Q4_0, source, packed, rows, cols));
            Assert.Contains("finite", error.Message, StringComparison.Ordinal);
            var preferred = WeightPacking.Preferred(TensorType.Q4_0);
            Assert.Equal(preferred == WeightLayout.RowGroups ? WeightLayout.Stored : preferred, WeightPacking.Preferred(TensorType.Q4_0, (nint)s, rows, cols));
            stored[at + 1] = 0x3C;
            Assert.Equal(preferred, WeightPacking.Preferred(TensorType.Q4_0, (nint)s, rows, cols));
        }
    }

    [Fact]
    public unsafe void Pack_NonFiniteScaleInARowPastTheLastGroup_AcceptedAndKeptAsStored()
    {
        // Rows past the last group of eight stay as stored, where the stored kernels carry an infinity through.
        SkipUnlessSupported();
        const int rows = 11, cols = 256;
        var stored = Weights(rows, cols);
        var at = ((9 * 8) + 3) * 18;
        stored[at] = 0x00;
        stored[at + 1] = 0x7C;
        fixed (byte* s = stored)
        {
            Assert.Equal(WeightPacking.Preferred(TensorType.Q4_0), WeightPacking.Preferred(TensorType.Q4_0, (nint)s, rows, cols));
        }

        var packed = Pack(stored, rows, cols);
        var input = TestData.Gaussian(cols, 23, 1.0f);
        var alone = Run(packed, WeightLayout.RowGroups, rows, cols, input, 1, null);
        var batch = Run(stored, WeightLayout.Stored, rows, cols, input.Concat(input).ToArray(), 2, null);
        Assert.Equal(Bits(batch.AsSpan(0, rows).ToArray()), Bits(alone));
        Assert.False(float.IsFinite(alone[9]));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Compute_OnPoolOddRows_SameBitsAsInline(int threads)
    {
        SkipUnlessSupported();
        const int rows = 517, cols = 896;
        var packed = Pack(Weights(rows, cols), rows, cols);
        var input = TestData.Gaussian(3 * cols, 17, 1.0f);
        using var pool = new ComputePool(threads);
        foreach (var n in new[] { 1, 3 })
        {
            var x = input.AsSpan(0, n * cols).ToArray();
            Assert.Equal(
                Bits(Run(packed, WeightLayout.RowGroups, rows, cols, x, n, null)), Bits(Run(packed, WeightLayout.RowGroups, rows, cols, x, n, pool)));
        }
    }

    [Fact]
    public void Layout_OnlyForQ40WithoutVnni_AndItsRowsOnlyByMatrix()
    {
        var expected = WeightPacking.IsSupported(WeightLayout.BlockGroups, TensorType.Q4_0) ? WeightLayout.BlockGroups
            : WeightPacking.IsSupported(WeightLayout.RowGroups, TensorType.Q4_0) && !System.Runtime.Intrinsics.X86.AvxVnni.IsSupported ? WeightLayout.RowGroups
            : WeightLayout.Stored;
        Assert.Equal(expected, WeightPacking.Preferred(TensorType.Q4_0));
        Assert.Equal(expected == WeightLayout.RowGroups ? WeightLayout.RowGroups : WeightLayout.Stored, WeightPacking.Preferred(TensorType.Q4_K));
        Assert.Equal(RowGroups.IsSupported, WeightPacking.IsSupported(WeightLayout.RowGroups, TensorType.Q4_0));
        Assert.False(WeightPacking.IsSupported(WeightLayout.RowGroups, TensorType.Q8_0));
        Assert.False(WeightPacking.IsSupported(WeightLayout.RowGroups, TensorType.Q6_K));
        Assert.False(WeightPacking.IsSupported(WeightLayout.RowGroups, TensorType.Q5_0));
        Assert.Throws<ArgumentException>(() => WeightPacking.Pack(WeightLayout.RowGroups, TensorType.Q8_0, 1, 2, 1, 32));
        Assert.Throws<ArgumentException>(() => WeightPacking.Pack(WeightLayout.RowGroups, TensorType.Q4_0, 1, 2, 1, 33));
        var whole = Assert.Throws<ArgumentException>(() => WeightPacking.UnpackRow(WeightLayout.RowGroups, TensorType.Q4_0, new byte[18], new byte[18]));
        Assert.Contains("matrix overload", whole.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => Unpack(new byte[8 * 18], 8, 32, 8, new byte[18]));
        Assert.Throws<ArgumentException>(() => Unpack(new byte[8 * 18], 8, 32, 0, new byte[17]));

        var packed = Pack(Weights(8, 64), 8, 64);
        var error = Assert.Throws<ArgumentException>(() => Run(packed, WeightLayout.RowGroups, 8, 64, new float[64], 1, null, SimdPath.Scalar));
        Assert.Contains("RowGroups", error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<int, int> KShapes()
    {
        var data = new TheoryData<int, int>();
        foreach (var (rows, cols) in new[] { (8, 256), (1, 256), (9, 512), (16, 768), (17, 2048), (24, 1024), (13, 4864), (8, 8192) })
        {
            data.Add(rows, cols);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(KShapes))]
    public void Q4K_PackThenUnpack_RestoresEveryStoredRow(int rows, int cols)
    {
        var stored = Weights(rows, cols, TensorType.Q4_K);
        var packed = Pack(stored, rows, cols, TensorType.Q4_K);
        var rowBytes = stored.Length / rows;
        if (rows >= 8)
        {
            Assert.NotEqual(stored, packed);
        }

        var back = new byte[rowBytes];
        for (var r = 0; r < rows; r++)
        {
            Unpack(packed, rows, cols, r, back, TensorType.Q4_K);
            Assert.Equal(stored.AsSpan(r * rowBytes, rowBytes).ToArray(), back);
        }
    }

    [Theory]
    [MemberData(nameof(KShapes))]
    public void Q4K_OneToken_BitsOfItsScalarModel_AndWithinScalarTolerance(int rows, int cols)
    {
        SkipUnlessSupported();
        var stored = Weights(rows, cols, TensorType.Q4_K);
        CheckQ4K(stored, rows, cols, TestData.Gaussian(cols, (ulong)(cols + 3), 1.0f), tolerance: true);
    }

    [Theory]
    [InlineData(1u)]
    [InlineData(2u)]
    [InlineData(3u)]
    public void Q4K_ArbitraryQuantAndScaleBytes_BitsOfItsScalarModel(uint seed)
    {
        // Every scale and min byte pattern, all 6-bit values and both halves of the packed words; d and dmin finite.
        SkipUnlessSupported();
        const int rows = 16, cols = 1024;
        var stored = TestData.Bytes(rows * (cols / 256) * 144, seed);
        for (var b = 0; b < rows * (cols / 256); b++)
        {
            stored[(b * 144) + 1] &= 0x3B;
            stored[(b * 144) + 3] &= 0x3B;
        }

        CheckQ4K(stored, rows, cols, TestData.Gaussian(cols, seed + 40, 3.0f), tolerance: false);
    }

    [Theory]
    [InlineData(3, 17, 1024)]
    [InlineData(8, 16, 2048)]
    [InlineData(12, 9, 512)]
    public void Q4K_TokenInBatch_SameBitsAsAlone_AndPromptsAsStored(int n, int rows, int cols)
    {
        SkipUnlessSupported();
        var stored = Weights(rows, cols, TensorType.Q4_K);
        var packed = Pack(stored, rows, cols, TensorType.Q4_K);
        var input = TestData.Gaussian(n * cols, (ulong)(n + cols), 1.0f);
        var together = Run(packed, WeightLayout.RowGroups, rows, cols, input, n, null, type: TensorType.Q4_K);
        if (n > RowGroups.MaxTokens)
        {
            // A prompt batch restores the rows and takes the stored layout's batch kernel.
            Assert.Equal(Bits(Run(stored, WeightLayout.Stored, rows, cols, input, n, null, type: TensorType.Q4_K)), Bits(together));
            return;
        }

        for (var t = 0; t < n; t++)
        {
            var alone = Run(packed, WeightLayout.RowGroups, rows, cols, input.AsSpan(t * cols, cols).ToArray(), 1, null, type: TensorType.Q4_K);
            Assert.Equal(Bits(alone), Bits(together.AsSpan(t * rows, rows).ToArray()));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Q4K_OnPoolOddRows_SameBitsAsInline(int threads)
    {
        SkipUnlessSupported();
        const int rows = 263, cols = 1024;
        var packed = Pack(Weights(rows, cols, TensorType.Q4_K), rows, cols, TensorType.Q4_K);
        var input = TestData.Gaussian(3 * cols, 19, 1.0f);
        using var pool = new ComputePool(threads);
        foreach (var n in new[] { 1, 3 })
        {
            var x = input.AsSpan(0, n * cols).ToArray();
            Assert.Equal(
                Bits(Run(packed, WeightLayout.RowGroups, rows, cols, x, n, null, type: TensorType.Q4_K)),
                Bits(Run(packed, WeightLayout.RowGroups, rows, cols, x, n, pool, type: TensorType.Q4_K)));
        }
    }

    private static void CheckQ4K(byte[] stored, int rows, int cols, float[] input, bool tolerance)
    {
        var packed = Pack(stored, rows, cols, TensorType.Q4_K);
        var actual = Run(packed, WeightLayout.RowGroups, rows, cols, input, 1, null, type: TensorType.Q4_K);
        var activation = new byte[VecDot.ActivationRowBytes(TensorType.Q4_K, cols)];
        VecDot.ConvertActivations(TensorType.Q4_K, input, activation);
        var rowBytes = stored.Length / rows;
        var inStored = Run(stored, WeightLayout.Stored, rows, cols, input, 1, null, type: TensorType.Q4_K);
        for (var r = 0; r < rows; r++)
        {
            if (r < rows / 8 * 8)
            {
                var model = RowGroups.ReferenceQ4K(stored.AsSpan(r * rowBytes, rowBytes), activation, cols / 256);
                Assert.True(BitConverter.SingleToInt32Bits(model) == BitConverter.SingleToInt32Bits(actual[r]), $"row {r}: {actual[r]} vs model {model}");
            }
            else
            {
                // Rows past the last group of eight are read as stored.
                Assert.Equal(BitConverter.SingleToInt32Bits(inStored[r]), BitConverter.SingleToInt32Bits(actual[r]));
            }
        }

        if (tolerance)
        {
            var expected = TestData.ScalarProducts(TensorType.Q4_K, stored, rows, cols, input, out var magnitude);
            for (var r = 0; r < rows; r++)
            {
                Assert.True(
                    Math.Abs(actual[r] - expected[r]) <= 2e-5 * magnitude[r] + 1e-30,
                    $"row {r}: {actual[r]} vs scalar {expected[r]} (magnitude {magnitude[r]})");
            }
        }
    }

    private static void SkipUnlessSupported()
    {
        if (!WeightPacking.IsSupported(WeightLayout.RowGroups, TensorType.Q4_0))
        {
            Assert.Skip(NoAvx2);
        }
    }

    private static int[] Bits(float[] values) => LayoutTestData.Bits(values);

    private static byte[] Weights(int rows, int cols, TensorType type = TensorType.Q4_0) => LayoutTestData.Weights(type, rows, cols);

    private static byte[] Pack(byte[] stored, int rows, int cols, TensorType type = TensorType.Q4_0) =>
        LayoutTestData.Pack(WeightLayout.RowGroups, type, stored, rows, cols);

    private static unsafe void Unpack(byte[] packed, int rows, int cols, int row, byte[] stored, TensorType type = TensorType.Q4_0)
    {
        fixed (byte* p = packed)
        {
            WeightPacking.UnpackRow(WeightLayout.RowGroups, type, (nint)p, rows, cols, row, stored);
        }
    }

    private static float[] Run(
        byte[] weights, WeightLayout layout, int rows, int cols, float[] input, int n, ComputePool? pool, SimdPath? path = null, TensorType type = TensorType.Q4_0) =>
        LayoutTestData.Run(type, weights, layout, rows, cols, input, n, pool, path);
}
