namespace Edgewise.Numerics.Tests;

public sealed class ConversionTests
{
    [Theory]
    [InlineData(1.0f, 0x3C00)]
    [InlineData(-2.0f, 0xC000)]
    [InlineData(65504.0f, 0x7BFF)]
    [InlineData(65519.996f, 0x7BFF)]
    [InlineData(65520.0f, 0x7C00)]
    [InlineData(-1e10f, 0xFC00)]
    [InlineData(float.PositiveInfinity, 0x7C00)]
    [InlineData(float.NegativeInfinity, 0xFC00)]
    [InlineData(5.9604645e-8f, 0x0001)]
    [InlineData(2.9802322e-8f, 0x0000)]
    [InlineData(2.9802326e-8f, 0x0001)]
    [InlineData(8.940697e-8f, 0x0002)]
    [InlineData(-0.0f, 0x8000)]
    [InlineData(1.00048828125f, 0x3C00)]
    [InlineData(1.00146484375f, 0x3C02)]
    [InlineData(6.097555e-5f, 0x03FF)]
    public void Fp16FromSingle_RoundsToNearestEven(float value, int expected)
    {
        Assert.Equal((ushort)expected, Fp16.FromSingle(value));
    }

    [Theory]
    [InlineData(0x7FC00000u, 0x7E00)]
    [InlineData(0xFFC00000u, 0xFE00)]
    [InlineData(0x7F800001u, 0x7E00)]
    [InlineData(0x7FFFFFFFu, 0x7E00)]
    [InlineData(0xFF812345u, 0xFE00)]
    public void Fp16FromSingle_NaN_BecomesCanonicalQuietNaNWithSign(uint bits, int expected)
    {
        Assert.Equal((ushort)expected, Fp16.FromSingle(BitConverter.UInt32BitsToSingle(bits)));
    }

    [Fact]
    public void Fp16FromSingle_RandomFinite_MatchesBclHalf()
    {
        var rng = new TestData.SplitMix64(3);
        for (var i = 0; i < 100_000; i++)
        {
            var value = BitConverter.UInt32BitsToSingle((uint)rng.Next());
            if (float.IsNaN(value))
            {
                continue;
            }

            Assert.Equal(BitConverter.HalfToUInt16Bits((Half)value), Fp16.FromSingle(value));
        }
    }

    [Fact]
    public void Fp16_RoundTrip_EveryNonNaNPatternSurvives()
    {
        for (var h = 0; h < 65536; h++)
        {
            var value = Fp16.ToSingle((ushort)h);
            if (!float.IsNaN(value))
            {
                Assert.Equal((ushort)h, Fp16.FromSingle(value));
            }
        }
    }

    [Theory]
    [InlineData(0x3F800000u, 0x3F80)]
    [InlineData(0x3F808000u, 0x3F80)]
    [InlineData(0x3F818000u, 0x3F82)]
    [InlineData(0x3F808001u, 0x3F81)]
    [InlineData(0xBF80FFFFu, 0xBF81)]
    [InlineData(0x7F7FFFFFu, 0x7F80)]
    [InlineData(0x7F800000u, 0x7F80)]
    [InlineData(0xFF800000u, 0xFF80)]
    [InlineData(0x00000001u, 0x0000)]
    [InlineData(0x00008000u, 0x0000)]
    [InlineData(0x00018000u, 0x0002)]
    [InlineData(0x7F800001u, 0x7FC0)]
    [InlineData(0xFF812345u, 0xFFC1)]
    [InlineData(0x7FC00000u, 0x7FC0)]
    public void Bf16FromSingle_RoundsToNearestEvenAndQuietsNaN(uint bits, int expected)
    {
        Assert.Equal((ushort)expected, Bf16.FromSingle(BitConverter.UInt32BitsToSingle(bits)));
    }

    [Fact]
    public void Bf16ToSingle_IsA16BitShift()
    {
        Assert.Equal(0x3F80_0000u, BitConverter.SingleToUInt32Bits(Bf16.ToSingle(0x3F80)));
        Assert.Equal(0xFFC1_0000u, BitConverter.SingleToUInt32Bits(Bf16.ToSingle(0xFFC1)));
        Assert.Equal(0x0001_0000u, BitConverter.SingleToUInt32Bits(Bf16.ToSingle(0x0001)));
    }

    [Fact]
    public void Fp16ToSingle_SignallingNaN_ComesBackQuietWithPayload()
    {
        Assert.Equal(0x7FC0_2000u, BitConverter.SingleToUInt32Bits(Fp16.ToSingle(0x7C01)));
        Assert.Equal(0xFFC0_0000u | (0x3FFu << 13), BitConverter.SingleToUInt32Bits(Fp16.ToSingle(0xFFFF)));
    }
}
