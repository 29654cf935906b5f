using Edgewise.Numerics.Kernels;

namespace Edgewise.Numerics.Tests;

/// <summary>
/// The single-pass single-token Q8_0 and Q5_0 rows of <see cref="LegacyMatVec.Row"/> (scales gathered eight blocks at
/// a time inside the dot loop) against the two-pass path that several tokens take (all the row's scales first, then
/// the dots): the same bits, for block counts with and without a group of four and a last odd block after the full
/// groups of eight.
/// </summary>
public sealed class LegacyMatVecTests
{
    [Theory]
    [InlineData(TensorType.Q8_0, 1)]
    [InlineData(TensorType.Q8_0, 7)]
    [InlineData(TensorType.Q8_0, 13)]
    [InlineData(TensorType.Q8_0, 28)]
    [InlineData(TensorType.Q8_0, 64)]
    [InlineData(TensorType.Q5_0, 3)]
    [InlineData(TensorType.Q5_0, 13)]
    [InlineData(TensorType.Q5_0, 28)]
    [InlineData(TensorType.Q5_0, 152)]
    public unsafe void Row_OneToken_SameBitsAsTheTwoPassPath(TensorType type, int blocks)
    {
        Assert.SkipUnless(LegacyMatVec.IsSupported, "the in-place byte-dot kernels need AVX2 and FMA");
        var cols = blocks * 32;
        var weights = new byte[blocks * LegacyMatVec.BlockBytes(type)];
        Quantize.Row(type, TestData.Gaussian(cols, (ulong)blocks, 0.05f), weights);
        var input = TestData.Gaussian(cols, (ulong)blocks + 1, 1.0f);
        var bytes = LegacyMatVec.PreparedBytes(cols);
        var activations = new byte[2 * bytes];
        var q80 = new byte[blocks * 34];
        var one = new float[1];
        var two = new float[2];
        var scratch = new float[2 * blocks];
        fixed (byte* a = activations, w = weights)
        fixed (float* y1 = one, y2 = two, s = scratch)
        {
            LegacyMatVec.Prepare(type, input, a, q80);
            new ReadOnlySpan<byte>(a, bytes).CopyTo(new Span<byte>(a + bytes, bytes));
            LegacyMatVec.Row(type, w, blocks, a, bytes, 1, y1, 1, s);
            LegacyMatVec.Row(type, w, blocks, a, bytes, 2, y2, 1, s);
        }

        Assert.Equal(BitConverter.SingleToUInt32Bits(two[0]), BitConverter.SingleToUInt32Bits(one[0]));
        Assert.Equal(BitConverter.SingleToUInt32Bits(two[1]), BitConverter.SingleToUInt32Bits(one[0]));
        Assert.True(float.IsFinite(one[0]) && one[0] != 0, $"{type} × {blocks} blocks: {one[0]}");
    }
}
