using Edgewise.Numerics.Kernels;

namespace Edgewise.Numerics.Tests;

/// <summary>
/// Q4_0, Q5_0 and Q8_0 weights re-laid into <see cref="WeightLayout.BlockGroups"/> (<see cref="WeightPacking"/>, <see cref="BlockGroups"/>):
/// the layout is a lossless permutation of the stored bytes; single-token products agree with the scalar reference
/// and have the bits of the stored-layout prompt-batch kernel (<see cref="LegacyGemm"/>); a token gets the same bits
/// alone as inside a batch; every partial last group (1 to 7 blocks) and special fp16 scales are covered.
/// </summary>
public sealed class BlockGroupsTests
{
    private const string NoVnni = "This CPU has no AVX-VNNI; the BlockGroups layout is never chosen here.";

    public static TheoryData<TensorType, int, int> Shapes()
    {
        var data = new TheoryData<TensorType, int, int>();
        foreach (var type in new[] { TensorType.Q4_0, TensorType.Q5_0, TensorType.Q8_0 })
        {
            foreach (var (rows, cols) in new[] { (1, 32), (3, 64), (2, 96), (3, 160), (5, 224), (2, 256), (7, 576), (4, 896), (6, 960), (9, 1024), (3, 2016), (17, 2048), (2, 4864) })
            {
                data.Add(type, rows, cols);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void PackThenUnpack_RestoresEveryStoredRow(TensorType type, int rows, int cols)
    {
        var stored = Weights(type, rows, cols);
        var packed = Pack(type, stored, rows, cols);
        var rowBytes = stored.Length / rows;
        Assert.NotEqual(stored, packed);
        var back = new byte[rowBytes];
        for (var r = 0; r < rows; r++)
        {
            WeightPacking.UnpackRow(WeightLayout.BlockGroups, type, packed.AsSpan(r * rowBytes, rowBytes), back);
            Assert.Equal(stored.AsSpan(r * rowBytes, rowBytes).ToArray(), back);
        }
    }

    [Theory]
    [InlineData(TensorType.Q4_0)]
    [InlineData(TensorType.Q5_0)]
    [InlineData(TensorType.Q8_0)]
    public void Pack_PutsQuantWordsByGroupLaneAndScalesLast(TensorType type)
    {
        // 12 blocks: one full group of 8, then a partial group of 4 whose vectors hold 4 lanes (16 bytes) each.
        // Q8_0 quants are stored plus 128 (each byte's top bit flipped); a Q5_0 block's words are its four nibble
        // words (stored after its scale and fifth bits) and then its spread fifth bits.
        const int blocks = 12;
        var blockBytes = type switch { TensorType.Q4_0 => 18, TensorType.Q5_0 => 22, _ => 34 };
        var vectors = (blockBytes - 2) / 4;
        var flip = type == TensorType.Q8_0 ? (byte)0x80 : (byte)0;
        var stored = TestData.Bytes(blocks * blockBytes, 3);
        var packed = Pack(type, stored, 1, blocks * 32);
        for (var b = 0; b < blocks; b++)
        {
            Assert.Equal(stored.AsSpan(b * blockBytes, 2).ToArray(), packed.AsSpan((blocks * (blockBytes - 2)) + (2 * b), 2).ToArray());
            for (var j = 0; j < vectors; j++)
            {
                var at = b < 8 ? (32 * j) + (4 * b) : (8 * (blockBytes - 2)) + (16 * j) + (4 * (b - 8));
                byte[] expected;
                if (type == TensorType.Q5_0 && j == 4)
                {
                    expected = BitConverter.GetBytes(BlockGroups.SpreadHighBits(BitConverter.ToUInt32(stored, (b * blockBytes) + 2)));
                }
                else
                {
                    var from = (b * blockBytes) + (type == TensorType.Q5_0 ? 6 : 2) + (4 * j);
                    expected = stored.AsSpan(from, 4).ToArray().Select(x => (byte)(x ^ flip)).ToArray();
                }

                Assert.Equal(expected, packed.AsSpan(at, 4).ToArray());
            }
        }
    }

    [Fact]
    public void SpreadHighBits_PutsElementBitsWhereEachTokenVectorReadsThem()
    {
        for (var e = 0; e < 32; e++)
        {
            // Element e = 4m + i is read by token vector m from byte i; its bit must sit at bit m of that byte.
            var spread = BlockGroups.SpreadHighBits(1u << e);
            Assert.Equal(1u << ((8 * (e % 4)) + (e / 4)), spread);
            Assert.Equal(1u << e, BlockGroups.GatherHighBits(spread));
        }

        Assert.Equal(0xDEADBEEFu, BlockGroups.GatherHighBits(BlockGroups.SpreadHighBits(0xDEADBEEFu)));
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Compute_OneToken_MatchesScalarAndStoredBatchKernelBits(TensorType type, int rows, int cols)
    {
        if (!WeightPacking.IsSupported(WeightLayout.BlockGroups, TensorType.Q4_0))
        {
            Assert.Skip(NoVnni);
        }

        var stored = Weights(type, rows, cols);
        var packed = Pack(type, stored, rows, cols);
        var input = TestData.Gaussian(cols, (ulong)(cols + 11), 1.0f);
        var expected = TestData.ScalarProducts(type, stored, rows, cols, input, out var magnitude);
        var alone = Run(type, packed, WeightLayout.BlockGroups, rows, cols, input, 1, null);
        for (var r = 0; r < rows; r++)
        {
            Assert.True(
                Math.Abs(alone[r] - expected[r]) <= 2e-5 * magnitude[r] + 1e-30,
                $"row {r}: {alone[r]} vs scalar {expected[r]} (magnitude {magnitude[r]})");
        }

        // The stored layout's prompt-batch kernel (n = 2) runs the same chain: the first token's results must have
        // the same bits as the re-laid single-token kernel's.
        var twice = input.Concat(input).ToArray();
        var batch = Run(type, stored, WeightLayout.Stored, rows, cols, twice, 2, null);
        Assert.Equal(Bits(alone), Bits(batch.AsSpan(0, rows).ToArray()));
    }

    [Theory]
    [InlineData(TensorType.Q4_0, 2, 4, 896)]
    [InlineData(TensorType.Q4_0, 5, 9, 960)]
    [InlineData(TensorType.Q4_0, 9, 6, 2048)]
    [InlineData(TensorType.Q4_0, 4, 5, 576)]
    [InlineData(TensorType.Q5_0, 2, 4, 896)]
    [InlineData(TensorType.Q5_0, 5, 9, 960)]
    [InlineData(TensorType.Q5_0, 9, 6, 2048)]
    [InlineData(TensorType.Q8_0, 2, 4, 896)]
    [InlineData(TensorType.Q8_0, 5, 9, 960)]
    [InlineData(TensorType.Q8_0, 9, 6, 2048)]
    [InlineData(TensorType.Q8_0, 4, 5, 576)]
    public void Compute_TokenInBatch_SameBitsAsAlone(TensorType type, int n, int rows, int cols)
    {
        if (!WeightPacking.IsSupported(WeightLayout.BlockGroups, TensorType.Q4_0))
        {
            Assert.Skip(NoVnni);
        }

        var stored = Weights(type, rows, cols);
        var packed = Pack(type, stored, rows, cols);
        var input = TestData.Gaussian(n * cols, (ulong)(n + cols), 1.0f);
        var together = Run(type, packed, WeightLayout.BlockGroups, rows, cols, input, n, null);
        Assert.Equal(Bits(Run(type, stored, WeightLayout.Stored, rows, cols, input, n, null)), Bits(together));
        for (var t = 0; t < n; t++)
        {
            var alone = Run(type, packed, WeightLayout.BlockGroups, rows, cols, input.AsSpan(t * cols, cols).ToArray(), 1, null);
            Assert.Equal(Bits(alone), Bits(together.AsSpan(t * rows, rows).ToArray()));
        }
    }

    [Theory]
    [InlineData(TensorType.Q4_0, 0x0001)]
    [InlineData(TensorType.Q4_0, 0x03FF)]
    [InlineData(TensorType.Q4_0, 0x0000)]
    [InlineData(TensorType.Q4_0, 0x8400)]
    [InlineData(TensorType.Q4_0, 0x7C00)]
    [InlineData(TensorType.Q4_0, 0xFE00)]
    [InlineData(TensorType.Q5_0, 0x0001)]
    [InlineData(TensorType.Q5_0, 0x7C00)]
    [InlineData(TensorType.Q5_0, 0xFE00)]
    [InlineData(TensorType.Q8_0, 0x0001)]
    [InlineData(TensorType.Q8_0, 0x7C00)]
    [InlineData(TensorType.Q8_0, 0xFE00)]
    public void Compute_SpecialScaleInEveryPosition_SameBitsAsStoredBatchKernel(TensorType type, int special)
    {
        if (!WeightPacking.IsSupported(WeightLayout.BlockGroups, TensorType.Q4_0))
        {
            Assert.Skip(NoVnni);
        }

        const int rows = 28, cols = 28 * 32;
        var blockBytes = type switch { TensorType.Q4_0 => 18, TensorType.Q5_0 => 22, _ => 34 };
        var stored = TestData.Bytes(rows * 28 * blockBytes, (ulong)special + 9);
        for (var b = 0; b < rows * 28; b++)
        {
            // Finite scales near 0.01 everywhere except one block per row, which moves along the row (and into the tail).
            var scale = b % 28 == b / 28 ? special : 0x2000 + (b % 300);
            stored[b * blockBytes] = (byte)scale;
            stored[(b * blockBytes) + 1] = (byte)(scale >> 8);
        }

        var packed = Pack(type, stored, rows, cols);
        var input = TestData.Gaussian(cols, 13, 1.0f);
        var alone = Run(type, packed, WeightLayout.BlockGroups, rows, cols, input, 1, null);
        var batch = Run(type, stored, WeightLayout.Stored, rows, cols, input.Concat(input).ToArray(), 2, null);
        Assert.Equal(Bits(batch.AsSpan(0, rows).ToArray()), Bits(alone));
        Assert.Contains(alone, v => v != 0);
    }

    [Theory]
    [InlineData(TensorType.Q4_0, 1)]
    [InlineData(TensorType.Q4_0, 2)]
    [InlineData(TensorType.Q5_0, 2)]
    [InlineData(TensorType.Q8_0, 2)]
    public void Compute_OnPoolOddRows_SameBitsAsInline(TensorType type, int threads)
    {
        if (!WeightPacking.IsSupported(WeightLayout.BlockGroups, TensorType.Q4_0))
        {
            Assert.Skip(NoVnni);
        }

        const int rows = 517, cols = 896;
        var packed = Pack(type, Weights(type, rows, cols), rows, cols);
        var input = TestData.Gaussian(3 * cols, 17, 1.0f);
        using var pool = new ComputePool(threads);
        foreach (var n in new[] { 1, 3 })
        {
            var x = input.AsSpan(0, n * cols).ToArray();
            Assert.Equal(
                Bits(Run(type, packed, WeightLayout.BlockGroups, rows, cols, x, n, null)), Bits(Run(type, packed, WeightLayout.BlockGroups, rows, cols, x, n, pool)));
        }
    }

    [Fact]
    public void Layout_OnlyForLegacyTypesWithItsKernel()
    {
        var expected = WeightPacking.IsSupported(WeightLayout.BlockGroups, TensorType.Q4_0) ? WeightLayout.BlockGroups : WeightLayout.Stored;
        var rowGroups = RowGroups.IsSupported && !System.Runtime.Intrinsics.X86.AvxVnni.IsSupported;
        Assert.Equal(expected == WeightLayout.Stored && rowGroups ? WeightLayout.RowGroups : expected, WeightPacking.Preferred(TensorType.Q4_0));
        Assert.Equal(expected, WeightPacking.Preferred(TensorType.Q5_0));
        Assert.Equal(expected, WeightPacking.Preferred(TensorType.Q8_0));
        Assert.Equal(rowGroups ? WeightLayout.RowGroups : WeightLayout.Stored, WeightPacking.Preferred(TensorType.Q4_K));
        Assert.False(WeightPacking.IsSupported(WeightLayout.BlockGroups, TensorType.Q4_1));
        Assert.Throws<ArgumentException>(() => WeightPacking.Pack(WeightLayout.BlockGroups, TensorType.Q4_K, 1, 2, 1, 256));
        Assert.Throws<ArgumentException>(() => WeightPacking.Pack(WeightLayout.BlockGroups, TensorType.Q4_0, 1, 2, 1, 33));
        Assert.Throws<ArgumentException>(() => WeightPacking.Pack(WeightLayout.BlockGroups, TensorType.Q4_0, 0, 2, 1, 32));
        Assert.Throws<ArgumentException>(() => WeightPacking.UnpackRow(WeightLayout.BlockGroups, TensorType.Q4_0, new byte[18], new byte[17]));

        var packed = Pack(TensorType.Q4_0, Weights(TensorType.Q4_0, 2, 64), 2, 64);
        var error = Assert.Throws<ArgumentException>(() => Run(TensorType.Q4_0, packed, WeightLayout.BlockGroups, 2, 64, new float[64], 1, null, SimdPath.Scalar));
        Assert.Contains("BlockGroups", error.Message, StringComparison.Ordinal);
    }

    private static int[] Bits(float[] values) => LayoutTestData.Bits(values);

    private static byte[] Weights(TensorType type, int rows, int cols) => LayoutTestData.Weights(type, rows, cols);

    private static byte[] Pack(TensorType type, byte[] stored, int rows, int cols) => LayoutTestData.Pack(WeightLayout.BlockGroups, type, stored, rows, cols);

    private static float[] Run(
        TensorType type, byte[] weights, WeightLayout layout, int rows, int cols, float[] input, int n, ComputePool? pool, SimdPath? path = null) =>
        LayoutTestData.Run(type, weights, layout, rows, cols, input, n, pool, path);
}
