using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Edgewise.Numerics.Kernels;

/// <summary>
/// Q2_K · Q8_K and Q3_K · Q8_K. Both store 2-bit planes: in each 128-element half, byte l of the 32 quant bytes holds
/// elements l, l + 32, l + 64, l + 96 in bits 0–1, 2–3, 4–5, 6–7. Q2_K (84 bytes: scales[16] with 4-bit scale and
/// minimum, qs[64], fp16 d, fp16 dmin): d_a·d·Σ scale·Σ q·a − d_a·dmin·Σ bsums·min. Q3_K (110 bytes: hmask[32],
/// qs[64], 12 bytes of 6-bit scales, fp16 d): q = bits − 4 unless the hmask bit is set; d_a·d·Σ (scale − 32)·Σ q·a.
/// Vector paths use q + 4 (unsigned) and subtract 4·Σ scale·bsums.
/// </summary>
internal static class Q23KDot
{
    private const int Q2KBytes = 84;
    private const int Q3KBytes = 110;
    private const int Q8KBytes = 292;

    public static float ScalarQ2K(ref byte w, ref byte a, int blocks)
    {
        var sum = 0.0f;
        for (var i = 0; i < blocks; i++)
        {
            ref var x = ref Unsafe.Add(ref w, i * Q2KBytes);
            ref var y = ref Unsafe.Add(ref a, i * Q8KBytes);
            var minSum = 0;
            for (var j = 0; j < 16; j++)
            {
                minSum += Unsafe.ReadUnaligned<short>(ref Unsafe.Add(ref y, 260 + 2 * j)) * (Unsafe.Add(ref x, j) >> 4);
            }

            var isum = 0;
            for (var e = 0; e < 256; e++)
            {
                var q = (Unsafe.Add(ref x, 16 + 32 * (e / 128) + e % 32) >> (2 * ((e % 128) / 32))) & 3;
                isum += (Unsafe.Add(ref x, e / 16) & 0x0F) * q * (sbyte)Unsafe.Add(ref y, 4 + e);
            }

            var dy = Unsafe.ReadUnaligned<float>(ref y);
            sum += dy * Simd.HalfAt(ref x, 80) * isum - dy * Simd.HalfAt(ref x, 82) * minSum;
        }

        return sum;
    }

    public static float ScalarQ3K(ref byte w, ref byte a, int blocks)
    {
        var sum = 0.0f;
        Span<sbyte> scales = stackalloc sbyte[16];
        for (var i = 0; i < blocks; i++)
        {
            ref var x = ref Unsafe.Add(ref w, i * Q3KBytes);
            ref var y = ref Unsafe.Add(ref a, i * Q8KBytes);
            Q3Scales(ref x).AsSByte().CopyTo(scales);
            var isum = 0;
            for (var e = 0; e < 256; e++)
            {
                var half = e / 128;
                var j = (e % 128) / 32;
                var l = e % 32;
                var q = (Unsafe.Add(ref x, 32 + 32 * half + l) >> (2 * j)) & 3;
                if ((Unsafe.Add(ref x, l) >> (4 * half + j) & 1) == 0)
                {
                    q -= 4;
                }

                isum += scales[e / 16] * q * (sbyte)Unsafe.Add(ref y, 4 + e);
            }

            sum += Simd.HalfAt(ref x, 108) * Unsafe.ReadUnaligned<float>(ref y) * isum;
        }

        return sum;
    }

    /// <summary>The 16 signed Q3_K sub-block scales (6-bit value − 32).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<sbyte> Q3Scales(ref byte x)
    {
        ref var packed = ref Unsafe.Add(ref x, 96);
        var a0 = Unsafe.ReadUnaligned<uint>(ref packed);
        var a1 = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref packed, 4));
        var t = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref packed, 8));
        var v = Vector128.Create(
            (a0 & 0x0F0F0F0F) | ((t & 0x03030303) << 4),
            (a1 & 0x0F0F0F0F) | (((t >> 2) & 0x03030303) << 4),
            ((a0 >> 4) & 0x0F0F0F0F) | (((t >> 4) & 0x03030303) << 4),
            ((a1 >> 4) & 0x0F0F0F0F) | (((t >> 6) & 0x03030303) << 4));
        return v.AsSByte() - Vector128.Create((sbyte)32);
    }

    public static float Vector128Q2K(ref byte w, ref byte a, int blocks) => Vector128Path(ref w, ref a, blocks, false);

    public static float Vector128Q3K(ref byte w, ref byte a, int blocks) => Vector128Path(ref w, ref a, blocks, true);

    public static float Vector256Q2K(ref byte w, ref byte a, int blocks) => Vector256Path(ref w, ref a, blocks, false);

    public static float Vector256Q3K(ref byte w, ref byte a, int blocks) => Vector256Path(ref w, ref a, blocks, true);

    public static float Vector512Q2K(ref byte w, ref byte a, int blocks) => Vector512Path(ref w, ref a, blocks, false);

    public static float Vector512Q3K(ref byte w, ref byte a, int blocks) => Vector512Path(ref w, ref a, blocks, true);

    /// <summary>Scales, the offset to subtract (integer, already scaled) and the float scale of one super-block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<sbyte> Prepare(ref byte x, ref byte y, bool three, out int offset, out float scale, out float minScale)
    {
        var dy = Unsafe.ReadUnaligned<float>(ref y);
        if (three)
        {
            var s3 = Q3Scales(ref x);
            offset = Q6KDot.OffsetSum(ref y, s3, 4);
            scale = Simd.HalfAt(ref x, 108) * dy;
            minScale = 0;
            return s3;
        }

        var packed = Vector128.LoadUnsafe(ref x);
        offset = Q6KDot.OffsetSum(ref y, Vector128.ShiftRightLogical(packed, 4).AsSByte(), 1);
        scale = dy * Simd.HalfAt(ref x, 80);
        minScale = dy * Simd.HalfAt(ref x, 82);
        return (packed & Vector128.Create((byte)0x0F)).AsSByte();
    }

    private static float Vector128Path(ref byte w, ref byte a, int blocks, bool three)
    {
        var blockBytes = three ? Q3KBytes : Q2KBytes;
        var qs = three ? 32 : 16;
        var sum = 0.0f;
        var bitsMask = Vector128.Create((byte)3);
        for (var i = 0; i < blocks; i++)
        {
            ref var x = ref Unsafe.Add(ref w, i * blockBytes);
            ref var y = ref Unsafe.Add(ref a, i * Q8KBytes);
            var scales = Prepare(ref x, ref y, three, out var offset, out var scale, out var minScale);
            var isum = Vector128<int>.Zero;
            for (var half = 0; half < 2; half++)
            {
                for (var part = 0; part < 2; part++)
                {
                    var qv = Vector128.LoadUnsafe(ref x, (nuint)(qs + 32 * half + 16 * part));
                    var hm = three ? Vector128.LoadUnsafe(ref x, (nuint)(16 * part)) : Vector128<byte>.Zero;
                    for (var j = 0; j < 4; j++)
                    {
                        var q = Vector128.ShiftRightLogical(qv, 2 * j) & bitsMask;
                        if (three)
                        {
                            q |= Vector128.ShiftLeft(Vector128.ShiftRightLogical(hm, 4 * half + j) & Vector128<byte>.One, 2);
                        }

                        var e = (nuint)(4 + 128 * half + 32 * j + 16 * part);
                        isum += Simd.DotScaled(q.AsSByte(), Vector128.LoadUnsafe(ref y, e).AsSByte(), scales.GetElement(8 * half + 2 * j + part));
                    }
                }
            }

            sum += scale * (Vector128.Sum(isum) - (three ? offset : 0)) - (three ? 0 : minScale * offset);
        }

        return sum;
    }

    private static float Vector256Path(ref byte w, ref byte a, int blocks, bool three)
    {
        var blockBytes = three ? Q3KBytes : Q2KBytes;
        var qs = three ? 32 : 16;
        var acc = Vector256<float>.Zero;
        var mins = 0.0f;
        var bitsMask = Vector256.Create((byte)3);
        for (var i = 0; i < blocks; i++)
        {
            ref var x = ref Unsafe.Add(ref w, i * blockBytes);
            ref var y = ref Unsafe.Add(ref a, i * Q8KBytes);
            var scales = Avx2.ConvertToVector256Int16(Prepare(ref x, ref y, three, out var offset, out var scale, out var minScale));
            var hm = three ? Vector256.LoadUnsafe(ref x) : Vector256<byte>.Zero;
            var isum = Vector256<int>.Zero;
            for (var half = 0; half < 2; half++)
            {
                var qv = Vector256.LoadUnsafe(ref x, (nuint)(qs + 32 * half));
                for (var j = 0; j < 4; j++)
                {
                    var q = Vector256.ShiftRightLogical(qv, 2 * j) & bitsMask;
                    if (three)
                    {
                        q |= Vector256.ShiftLeft(Vector256.ShiftRightLogical(hm, 4 * half + j) & Vector256<byte>.One, 2);
                    }

                    var pairs = Simd.Pairs(q, Vector256.LoadUnsafe(ref y, (nuint)(4 + 128 * half + 32 * j)).AsSByte());
                    var k = 8 * half + 2 * j;
                    isum += Avx2.MultiplyAddAdjacent(pairs, Vector256.Create(Vector128.Create(scales.GetElement(k)), Vector128.Create(scales.GetElement(k + 1))));
                }
            }

            if (three)
            {
                isum -= Vector256.CreateScalar(offset);
            }
            else
            {
                mins += minScale * offset;
            }

            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(isum), Vector256.Create(scale), acc);
        }

        return Simd.Sum(acc) - mins;
    }

    private static float Vector512Path(ref byte w, ref byte a, int blocks, bool three)
    {
        var blockBytes = three ? Q3KBytes : Q2KBytes;
        var qs = three ? 32 : 16;
        var acc = Vector512<float>.Zero;
        var mins = 0.0f;
        var bitsMask = Vector512.Create((byte)3);
        var group = Vector512.ShiftRightLogical(Vector512<short>.Indices, 3);
        for (var i = 0; i < blocks; i++)
        {
            ref var x = ref Unsafe.Add(ref w, i * blockBytes);
            ref var y = ref Unsafe.Add(ref a, i * Q8KBytes);
            var scales = Avx2.ConvertToVector256Int16(Prepare(ref x, ref y, three, out var offset, out var scale, out var minScale)).ToVector512Unsafe();
            var hm = three ? Vector256.LoadUnsafe(ref x) : Vector256<byte>.Zero;
            var isum = Vector512<int>.Zero;
            for (var half = 0; half < 2; half++)
            {
                var qv = Vector256.LoadUnsafe(ref x, (nuint)(qs + 32 * half));
                var q2 = Vector512.Create(qv, Vector256.ShiftRightLogical(qv, 2));
                var q01 = q2 & bitsMask;
                var q23 = Vector512.ShiftRightLogical(q2, 4) & bitsMask;
                if (three)
                {
                    var h2 = Vector512.Create(Vector256.ShiftRightLogical(hm, 4 * half), Vector256.ShiftRightLogical(hm, 4 * half + 1));
                    q01 |= Vector512.ShiftLeft(h2 & Vector512<byte>.One, 2);
                    q23 |= Vector512.ShiftLeft(Vector512.ShiftRightLogical(h2, 2) & Vector512<byte>.One, 2);
                }

                ref var yh = ref Unsafe.Add(ref y, 4 + 128 * half);
                var s01 = Avx512BW.PermuteVar32x16(scales, group + Vector512.Create((short)(8 * half)));
                var s23 = Avx512BW.PermuteVar32x16(scales, group + Vector512.Create((short)(8 * half + 4)));
                isum += Avx512BW.MultiplyAddAdjacent(Simd.Pairs(q01, Vector512.LoadUnsafe(ref yh).AsSByte()), s01);
                isum += Avx512BW.MultiplyAddAdjacent(Simd.Pairs(q23, Vector512.LoadUnsafe(ref yh, 64).AsSByte()), s23);
            }

            if (three)
            {
                isum -= Vector512.CreateScalar(offset);
            }
            else
            {
                mins += minScale * offset;
            }

            acc = Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(isum), Vector512.Create(scale), acc);
        }

        return Simd.Sum(acc) - mins;
    }
}
