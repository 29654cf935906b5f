using System.Runtime.Intrinsics;
using Edgewise.Numerics.Kernels;

namespace Edgewise.Numerics.Tests;

/// <summary>
/// The fp16 → float conversions every kernel uses, checked on all 65536 bit patterns against the table-driven
/// <see cref="Fp16.ToSingle"/>: zeros, subnormals (the block scales of small weights), normals and specials.
/// </summary>
public sealed class HalfWideningTests
{
    [Fact]
    public void Half_EveryPattern_MatchesTable()
    {
        for (var h = 0; h <= ushort.MaxValue; h++)
        {
            AssertSame((ushort)h, Simd.Half((ushort)h));
        }
    }

    [Fact]
    public void HalfToSingle_EveryPatternAtEveryWidth_MatchesScalar()
    {
        var lanes = new int[16];
        for (var h = 0; h <= ushort.MaxValue; h += 16)
        {
            for (var k = 0; k < 16; k++)
            {
                lanes[k] = h + k;
            }

            var v128 = Simd.HalfToSingle(Vector128.Create(lanes, 0));
            var v256 = Simd.HalfToSingle(Vector256.Create(lanes, 0));
            var v512 = Simd.HalfToSingle(Vector512.Create(lanes));
            for (var k = 0; k < 16; k++)
            {
                var expected = BitConverter.SingleToUInt32Bits(Simd.Half((ushort)(h + k)));
                Assert.Equal(expected, BitConverter.SingleToUInt32Bits(v512.GetElement(k)));
                if (k < 8)
                {
                    Assert.Equal(expected, BitConverter.SingleToUInt32Bits(v256.GetElement(k)));
                }

                if (k < 4)
                {
                    Assert.Equal(expected, BitConverter.SingleToUInt32Bits(v128.GetElement(k)));
                }
            }
        }
    }

    [Fact]
    public void WidenScaled_EveryFinitePatternSignExtended_IsTableTimesTwoPow16()
    {
        Assert.SkipUnless(F16MatVec.IsSupported, "the F16 kernels' widening needs AVX2 and FMA");
        var lanes = new int[16];
        for (var h = 0; h <= ushort.MaxValue; h += 16)
        {
            for (var k = 0; k < 16; k++)
            {
                lanes[k] = (short)(h + k);
            }

            var v256 = F16MatVec.WidenScaled(Vector256.Create(lanes, 0));
            var v512 = Vector512.IsHardwareAccelerated ? F16MatVec.WidenScaled(Vector512.Create(lanes)) : default;
            for (var k = 0; k < 16; k++)
            {
                var bits = (ushort)(h + k);
                if ((bits & 0x7C00) == 0x7C00)
                {
                    continue;
                }

                // A zero may come out as +0 for −0 (the kernels add it to a sum, where the two are the same).
                var expected = BitConverter.SingleToUInt32Bits((Fp16.ToSingle(bits) * F16MatVec.WeightScale) + 0f);
                if (Vector512.IsHardwareAccelerated)
                {
                    Assert.Equal(expected, BitConverter.SingleToUInt32Bits(v512.GetElement(k) + 0f));
                }

                if (k < 8)
                {
                    Assert.Equal(expected, BitConverter.SingleToUInt32Bits(v256.GetElement(k) + 0f));
                }
            }
        }
    }

    [Fact]
    public unsafe void RawWidening_EveryFinitePattern_IsTableTimesTwoPowMinus112()
    {
        Assert.SkipUnless(F16MatVec.IsSupported, "the F16 kernels' widening needs AVX2 and FMA");
        var halves = new ushort[ushort.MaxValue + 1];
        for (var h = 0; h <= ushort.MaxValue; h++)
        {
            halves[h] = (ushort)h;
        }

        var scale = F16Decode.Raw.Scale;
        Assert.Equal(MathF.Pow(2, -112), scale);
        Assert.Equal(1f, scale * F16Decode.ActivationScale(raw: true));
        fixed (ushort* p = halves)
        {
            for (var h = 0; h <= ushort.MaxValue; h += 16)
            {
                var low = F16Decode.Raw.Widen8(p + h);
                var high = F16Decode.Raw.Widen8(p + h + 8);
                var v512 = Vector512.IsHardwareAccelerated ? F16Decode.Raw.Widen16(p + h) : default;
                for (var k = 0; k < 16; k++)
                {
                    var bits = (ushort)(h + k);
                    if ((bits & 0x7C00) == 0x7C00)
                    {
                        continue;
                    }

                    // Subnormal halves become binary32 subnormals: still exact, and −0 stays −0.
                    var expected = BitConverter.SingleToUInt32Bits(Fp16.ToSingle(bits) * scale);
                    Assert.Equal(expected, BitConverter.SingleToUInt32Bits(k < 8 ? low.GetElement(k) : high.GetElement(k - 8)));
                    if (Vector512.IsHardwareAccelerated)
                    {
                        Assert.Equal(expected, BitConverter.SingleToUInt32Bits(v512.GetElement(k)));
                    }
                }
            }
        }
    }

    [Theory]
    [InlineData(0x0001, 5.9604645e-8f)]
    [InlineData(0x8001, -5.9604645e-8f)]
    [InlineData(0x03FF, 6.097555e-5f)]
    [InlineData(0x0400, 6.1035156e-5f)]
    [InlineData(0x8000, -0.0f)]
    public void Half_Subnormals_AreExact(int bits, float expected)
    {
        Assert.Equal(BitConverter.SingleToUInt32Bits(expected), BitConverter.SingleToUInt32Bits(Simd.Half((ushort)bits)));
    }

    private static void AssertSame(ushort h, float actual)
    {
        var expected = Fp16.ToSingle(h);
        if (float.IsNaN(expected))
        {
            Assert.True(float.IsNaN(actual), $"0x{h:X4} should be NaN");
            Assert.Equal(float.IsNegative(expected), float.IsNegative(actual));
            return;
        }

        Assert.Equal(BitConverter.SingleToUInt32Bits(expected), BitConverter.SingleToUInt32Bits(actual));
    }
}
