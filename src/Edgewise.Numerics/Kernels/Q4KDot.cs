using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Edgewise.Numerics.Kernels;

/// <summary>
/// Q4_K · Q8_K and Q5_K · Q8_K. Per super-block: d_a·d_w·Σ_sub scale_sub·Σ q·a − d_a·dmin_w·Σ_16 bsums·min, where the
/// minimum of each 32-element sub-block meets the activation's precomputed 16-element sums (the bsums trick).
/// Q4_K: fp16 d, fp16 dmin, 12 bytes of 6-bit scales/mins, 128 bytes of nibbles (144 bytes). Q5_K adds 32 bytes of
/// high bits after the scales (176 bytes).
/// </summary>
internal static class Q4KDot
{
    private const int Q4KBytes = 144;
    private const int Q5KBytes = 176;
    private const int Q8KBytes = 292;

    public static float ScalarQ4K(ref byte w, ref byte a, int blocks) => Scalar(ref w, ref a, blocks, false);

    public static float ScalarQ5K(ref byte w, ref byte a, int blocks) => Scalar(ref w, ref a, blocks, true);

    public static float Vector128Q4K(ref byte w, ref byte a, int blocks) => Vector128Path(ref w, ref a, blocks, false);

    public static float Vector128Q5K(ref byte w, ref byte a, int blocks) => Vector128Path(ref w, ref a, blocks, true);

    public static float Vector256Q4K(ref byte w, ref byte a, int blocks) => Vector256Path(ref w, ref a, blocks, false);

    public static float Vector256Q5K(ref byte w, ref byte a, int blocks) => Vector256Path(ref w, ref a, blocks, true);

    public static float Vector512Q4K(ref byte w, ref byte a, int blocks) => Vector512Path(ref w, ref a, blocks, false);

    public static float Vector512Q5K(ref byte w, ref byte a, int blocks) => Vector512Path(ref w, ref a, blocks, true);

    /// <summary>Unpacks the 8 six-bit scales (bytes 0–7) and 8 minimums (bytes 8–15) of the 12 packed bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<byte> ScalesAndMins(ref byte packed)
    {
        var u0 = Unsafe.ReadUnaligned<uint>(ref packed);
        var u1 = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref packed, 4));
        var u2 = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref packed, 8));
        var scalesHigh = (u2 & 0x0F0F0F0F) | (((u0 >> 6) & 0x03030303) << 4);
        var minsLow = u1 & 0x3F3F3F3F;
        var minsHigh = ((u2 >> 4) & 0x0F0F0F0F) | (((u1 >> 6) & 0x03030303) << 4);
        return Vector128.Create(u0 & 0x3F3F3F3F, scalesHigh, minsLow, minsHigh).AsByte();
    }

    /// <summary>Σ_16 bsums_j · min_(j/2), exact.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int MinSum(ref byte y, Vector128<byte> scalesAndMins)
    {
        var bsums = Vector256.LoadUnsafe(ref Unsafe.Add(ref y, 260)).AsInt16();
        var mins = Vector128.Shuffle(scalesAndMins, Vector128.Create((byte)8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15));
        var (m0, m1) = Vector128.Widen(mins);
        var (b0, b1) = Vector128.Widen(bsums.GetLower());
        var (b2, b3) = Vector128.Widen(bsums.GetUpper());
        var (n0, n1) = Vector128.Widen(m0.AsInt16());
        var (n2, n3) = Vector128.Widen(m1.AsInt16());
        return Vector128.Sum((b0 * n0) + (b1 * n1) + (b2 * n2) + (b3 * n3));
    }

    private static float Scalar(ref byte w, ref byte a, int blocks, bool five)
    {
        var blockBytes = five ? Q5KBytes : Q4KBytes;
        var qsOffset = five ? 48 : 16;
        var sum = 0.0f;
        Span<byte> sm = stackalloc byte[16];
        for (var i = 0; i < blocks; i++)
        {
            ref var x = ref Unsafe.Add(ref w, i * blockBytes);
            ref var y = ref Unsafe.Add(ref a, i * Q8KBytes);
            ScalesAndMins(ref Unsafe.Add(ref x, 4)).CopyTo(sm);
            var minSum = 0;
            for (var j = 0; j < 16; j++)
            {
                minSum += Unsafe.ReadUnaligned<short>(ref Unsafe.Add(ref y, 260 + 2 * j)) * sm[8 + j / 2];
            }

            var isum = 0;
            for (var e = 0; e < 256; e++)
            {
                var chunk = e / 64;
                var high = (e / 32) & 1;
                var l = e % 32;
                int packed = Unsafe.Add(ref x, qsOffset + 32 * chunk + l);
                var q = high == 0 ? packed & 0x0F : packed >> 4;
                if (five && (Unsafe.Add(ref x, 16 + l) >> (2 * chunk + high) & 1) != 0)
                {
                    q += 16;
                }

                isum += sm[e / 32] * q * (sbyte)Unsafe.Add(ref y, 4 + e);
            }

            var dy = Unsafe.ReadUnaligned<float>(ref y);
            sum += dy * Simd.HalfAt(ref x, 0) * isum - dy * Simd.HalfAt(ref x, 2) * minSum;
        }

        return sum;
    }

    private static float Vector128Path(ref byte w, ref byte a, int blocks, bool five)
    {
        var blockBytes = five ? Q5KBytes : Q4KBytes;
        var qsOffset = five ? 48 : 16;
        var acc = Vector128<float>.Zero;
        var mins = 0.0f;
        var mask = Vector128.Create((byte)0x0F);
        for (var i = 0; i < blocks; i++)
        {
            ref var x = ref Unsafe.Add(ref w, i * blockBytes);
            ref var y = ref Unsafe.Add(ref a, i * Q8KBytes);
            var sm = ScalesAndMins(ref Unsafe.Add(ref x, 4));
            var isum = Vector128<int>.Zero;
            for (var chunk = 0; chunk < 4; chunk++)
            {
                var sLo = sm.GetElement(2 * chunk);
                var sHi = sm.GetElement(2 * chunk + 1);
                for (var part = 0; part < 2; part++)
                {
                    var packed = Vector128.LoadUnsafe(ref x, (nuint)(qsOffset + 32 * chunk + 16 * part));
                    var lo = packed & mask;
                    var hi = Vector128.ShiftRightLogical(packed, 4);
                    if (five)
                    {
                        var hb = Vector128.LoadUnsafe(ref x, (nuint)(16 + 16 * part));
                        lo |= Vector128.ShiftLeft(Vector128.ShiftRightLogical(hb, 2 * chunk) & Vector128<byte>.One, 4);
                        hi |= Vector128.ShiftLeft(Vector128.ShiftRightLogical(hb, 2 * chunk + 1) & Vector128<byte>.One, 4);
                    }

                    var e = (nuint)(4 + 64 * chunk + 16 * part);
                    isum += Simd.DotScaled(lo.AsSByte(), Vector128.LoadUnsafe(ref y, e).AsSByte(), sLo);
                    isum += Simd.DotScaled(hi.AsSByte(), Vector128.LoadUnsafe(ref y, e + 32).AsSByte(), sHi);
                }
            }

            var dy = Unsafe.ReadUnaligned<float>(ref y);
            acc += Vector128.ConvertToSingle(isum) * Vector128.Create(dy * Simd.HalfAt(ref x, 0));
            mins += dy * Simd.HalfAt(ref x, 2) * MinSum(ref y, sm);
        }

        return Vector128.Sum(acc) - mins;
    }

    private static float Vector256Path(ref byte w, ref byte a, int blocks, bool five)
    {
        var blockBytes = five ? Q5KBytes : Q4KBytes;
        var qsOffset = five ? 48 : 16;
        var acc = Vector256<float>.Zero;
        var mins = 0.0f;
        var mask = Vector256.Create((byte)0x0F);
        for (var i = 0; i < blocks; i++)
        {
            ref var x = ref Unsafe.Add(ref w, i * blockBytes);
            ref var y = ref Unsafe.Add(ref a, i * Q8KBytes);
            var sm = ScalesAndMins(ref Unsafe.Add(ref x, 4));
            var hb = five ? Vector256.LoadUnsafe(ref x, 16) : Vector256<byte>.Zero;
            var isum = Vector256<int>.Zero;
            for (var chunk = 0; chunk < 4; chunk++)
            {
                var packed = Vector256.LoadUnsafe(ref x, (nuint)(qsOffset + 32 * chunk));
                var lo = packed & mask;
                var hi = Vector256.ShiftRightLogical(packed, 4) & mask;
                if (five)
                {
                    lo |= Vector256.ShiftLeft(Vector256.ShiftRightLogical(hb, 2 * chunk) & Vector256<byte>.One, 4);
                    hi |= Vector256.ShiftLeft(Vector256.ShiftRightLogical(hb, 2 * chunk + 1) & Vector256<byte>.One, 4);
                }

                var e = (nuint)(4 + 64 * chunk);
                var pLo = Simd.Pairs(lo, Vector256.LoadUnsafe(ref y, e).AsSByte());
                var pHi = Simd.Pairs(hi, Vector256.LoadUnsafe(ref y, e + 32).AsSByte());
                isum += Avx2.MultiplyAddAdjacent(pLo, Vector256.Create((short)sm.GetElement(2 * chunk)));
                isum += Avx2.MultiplyAddAdjacent(pHi, Vector256.Create((short)sm.GetElement(2 * chunk + 1)));
            }

            var dy = Unsafe.ReadUnaligned<float>(ref y);
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(isum), Vector256.Create(dy * Simd.HalfAt(ref x, 0)), acc);
            mins += dy * Simd.HalfAt(ref x, 2) * MinSum(ref y, sm);
        }

        return Simd.Sum(acc) - mins;
    }

    private static float Vector512Path(ref byte w, ref byte a, int blocks, bool five)
    {
        var blockBytes = five ? Q5KBytes : Q4KBytes;
        var qsOffset = five ? 48 : 16;
        var acc = Vector512<float>.Zero;
        var mins = 0.0f;
        var mask = Vector512.Create((byte)0x0F);
        for (var i = 0; i < blocks; i++)
        {
            ref var x = ref Unsafe.Add(ref w, i * blockBytes);
            ref var y = ref Unsafe.Add(ref a, i * Q8KBytes);
            var sm = ScalesAndMins(ref Unsafe.Add(ref x, 4));
            var scales = Avx2.ConvertToVector256Int16(sm).ToVector512Unsafe();
            var hb256 = five ? Vector256.LoadUnsafe(ref x, 16) : Vector256<byte>.Zero;
            var hb = Vector512.Create(hb256, hb256);
            var isum = Vector512<int>.Zero;
            for (var pair = 0; pair < 2; pair++)
            {
                // Chunks 2·pair and 2·pair + 1: low nibbles are sub-blocks 4·pair and 4·pair + 2, high ones 4·pair + 1 and + 3.
                var packed = Vector512.LoadUnsafe(ref x, (nuint)(qsOffset + 64 * pair));
                var lo = packed & mask;
                var hi = Vector512.ShiftRightLogical(packed, 4) & mask;
                if (five)
                {
                    var shiftLo = Vector512.Create(Vector256.Create((ushort)(4 * pair)), Vector256.Create((ushort)(4 * pair + 2)));
                    var shifted = Avx512BW.ShiftRightLogicalVariable(hb.AsUInt16(), shiftLo).AsByte();
                    lo |= Vector512.ShiftLeft(shifted & Vector512<byte>.One, 4);
                    hi |= Vector512.ShiftLeft(Vector512.ShiftRightLogical(shifted, 1) & Vector512<byte>.One, 4);
                }

                ref var yp = ref Unsafe.Add(ref y, 4 + 128 * pair);
                var aLo = Simd.Load2x32(ref yp, ref Unsafe.Add(ref yp, 64)).AsSByte();
                var aHi = Simd.Load2x32(ref Unsafe.Add(ref yp, 32), ref Unsafe.Add(ref yp, 96)).AsSByte();
                var index = Vector512.ShiftRightLogical(Vector512<short>.Indices, 4) * 2 + Vector512.Create((short)(4 * pair));
                var sLo = Avx512BW.PermuteVar32x16(scales, index);
                var sHi = Avx512BW.PermuteVar32x16(scales, index + Vector512<short>.One);
                isum += Avx512BW.MultiplyAddAdjacent(Simd.Pairs(lo, aLo), sLo);
                isum += Avx512BW.MultiplyAddAdjacent(Simd.Pairs(hi, aHi), sHi);
            }

            var dy = Unsafe.ReadUnaligned<float>(ref y);
            acc = Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(isum), Vector512.Create(dy * Simd.HalfAt(ref x, 0)), acc);
            mins += dy * Simd.HalfAt(ref x, 2) * MinSum(ref y, sm);
        }

        return Simd.Sum(acc) - mins;
    }
}
