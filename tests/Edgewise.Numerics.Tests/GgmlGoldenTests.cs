using System.Runtime.InteropServices;

namespace Edgewise.Numerics.Tests;

/// <summary>
/// Digests recorded by running ggml's own reference code (ggml-quants.c and ggml-impl.h of the llama.cpp commit
/// named in shared/reference/README.md, gcc 12.2 -O3, x86-64) on <see cref="TestData.MixedBlocks"/>(12288, 2026):
/// the quantized bytes, the floats dequantized from them, and the floats dequantized from random bytes.
/// </summary>
public sealed class GgmlGoldenTests
{
    private const int Length = 256 * 48;
    private const ulong InputDigest = 0xfba32648fa5cebedUL;

    private static readonly Dictionary<TensorType, (ulong Quantized, ulong Dequantized, ulong RandomBlocks)> s_digests = new()
    {
        { TensorType.F16, (0xabbc1de735541321UL, 0x43a399d70e347aedUL, 0xbea245f124c319cdUL) },
        { TensorType.BF16, (0x4adadfbdc0ae5bdeUL, 0x7a7a82c646637f5eUL, 0x41631d68e2a30642UL) },
        { TensorType.Q4_0, (0x48f99f7fb539d5bbUL, 0x9dbc4291e84eed5bUL, 0x407d90880920e5b7UL) },
        { TensorType.Q4_1, (0x28fe60bcd37102eeUL, 0x95057076ee881458UL, 0x17df1ecaabdb0077UL) },
        { TensorType.Q5_0, (0x6d3d507c41bf0c6eUL, 0xc67bd67aad6956e0UL, 0x7ee6048db7e67fcdUL) },
        { TensorType.Q5_1, (0x8bbb30272b6066a9UL, 0x34b9f75363d7a5d3UL, 0x0e6cad2dafbb9b08UL) },
        { TensorType.Q8_0, (0x4a64c090e6d971dcUL, 0x6608e20e051fe35cUL, 0x5267e3f47a4e2242UL) },
        { TensorType.Q8_1, (0x6359f9e7efdb825cUL, 0, 0) },
        { TensorType.Q2_K, (0x29dcb7392ee84329UL, 0x3923fd47e66ee4cbUL, 0x095e9b21eb7ccecbUL) },
        { TensorType.Q3_K, (0x03ef2206ed653700UL, 0xf3e79ef75a9a6f91UL, 0x37befc29674fd985UL) },
        { TensorType.Q4_K, (0x9aa5254745d956cdUL, 0x7131b45efca9ce69UL, 0x21567956343cd77cUL) },
        { TensorType.Q5_K, (0xbae7d0d674dabaecUL, 0x49c669330ff0c4f1UL, 0x617aea00931a935fUL) },
        { TensorType.Q6_K, (0x2a72bdc3dac678f8UL, 0xc0d8b9cceeffbf1eUL, 0xf28b11930de0118cUL) },
        { TensorType.Q8_K, (0x0053f0744d3fd337UL, 0x357a5845606267acUL, 0x04f5ebfdc441e91eUL) },
    };

    /// <summary>The seed ggml's random blocks were drawn with: 77 + the type's position in the table above.</summary>
    private static readonly TensorType[] s_order =
    [
        TensorType.F16, TensorType.BF16, TensorType.Q4_0, TensorType.Q4_1, TensorType.Q5_0, TensorType.Q5_1, TensorType.Q8_0,
        TensorType.Q8_1, TensorType.Q2_K, TensorType.Q3_K, TensorType.Q4_K, TensorType.Q5_K, TensorType.Q6_K, TensorType.Q8_K,
    ];

    public static TheoryData<TensorType> Types => new(s_order);

    [Fact]
    public void MixedBlocks_Seed2026_MatchesTheInputGgmlSaw()
    {
        var x = TestData.MixedBlocks(Length, 2026);

        Assert.Equal(InputDigest, TestData.Fnv1a(MemoryMarshal.AsBytes(x.AsSpan())));
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void Row_MixedBlocks_MatchesGgmlReferenceQuantizer(TensorType type)
    {
        var x = TestData.MixedBlocks(Length, 2026);
        var q = new byte[TensorTypeInfo.Get(type).RowBytes(Length)];

        Quantize.Row(type, x, q);

        Assert.Equal(s_digests[type].Quantized, TestData.Fnv1a(q));
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void Row_GgmlQuantizedAndRandomBlocks_DequantizeToGgmlBits(TensorType type)
    {
        if (type == TensorType.Q8_1)
        {
            return;
        }

        var bytes = TensorTypeInfo.Get(type).RowBytes(Length);
        var q = new byte[bytes];
        Quantize.Row(type, TestData.MixedBlocks(Length, 2026), q);
        var y = new float[Length];

        Dequantize.Row(type, q, y);
        Assert.Equal(s_digests[type].Dequantized, TestData.Fnv1a(MemoryMarshal.AsBytes(y.AsSpan())));

        var random = TestData.Bytes((int)bytes, 77 + (ulong)Array.IndexOf(s_order, type));
        Dequantize.Row(type, random, y);
        Assert.Equal(s_digests[type].RandomBlocks, TestData.Fnv1a(MemoryMarshal.AsBytes(y.AsSpan())));
    }
}
