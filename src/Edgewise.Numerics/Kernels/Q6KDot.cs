using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Edgewise.Numerics.Kernels;

/// <summary>
/// Q6_K · Q8_K: d_w·d_a·Σ_16 scale_j·Σ (q − 32)·a with signed 8-bit sub-block scales. Layout (210 bytes): ql[128]
/// (low nibbles), qh[64] (2-bit high parts), scales[16], fp16 d. Vector paths multiply the unsigned 6-bit q and
/// subtract 32·Σ scale_j·bsums_j once per super-block.
/// </summary>
internal static class Q6KDot
{
    private const int BlockBytes = 210;
    private const int Q8KBytes = 292;

    public static float Scalar(ref byte w, ref byte a, int blocks)
    {
        var sum = 0.0f;
        for (var i = 0; i < blocks; i++)
        {
            ref var x = ref Unsafe.Add(ref w, i * BlockBytes);
            ref var y = ref Unsafe.Add(ref a, i * Q8KBytes);
            var isum = 0;
            for (var e = 0; e < 256; e++)
            {
                var half = e / 128;
                var group = (e % 128) / 32;
                var l = e % 32;
                int ql = Unsafe.Add(ref x, 64 * half + l + (group & 1) * 32);
                var low = group < 2 ? ql & 0x0F : ql >> 4;
                var high = (Unsafe.Add(ref x, 128 + 32 * half + l) >> (2 * group)) & 3;
                var q = (low | (high << 4)) - 32;
                isum += (sbyte)Unsafe.Add(ref x, 192 + e / 16) * q * (sbyte)Unsafe.Add(ref y, 4 + e);
            }

            sum += Simd.HalfAt(ref x, 208) * Unsafe.ReadUnaligned<float>(ref y) * isum;
        }

        return sum;
    }

    /// <summary>32·Σ_16 scale_j·bsums_j, exact.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int OffsetSum(ref byte y, Vector128<sbyte> scales, int offset)
    {
        var (s0, s1) = Vector128.Widen(scales);
        var b0 = Vector128.LoadUnsafe(ref Unsafe.Add(ref y, 260)).AsInt16();
        var b1 = Vector128.LoadUnsafe(ref Unsafe.Add(ref y, 276)).AsInt16();
        var (p0, p1) = Vector128.Widen(s0);
        var (p2, p3) = Vector128.Widen(s1);
        var (c0, c1) = Vector128.Widen(b0);
        var (c2, c3) = Vector128.Widen(b1);
        return offset * Vector128.Sum((p0 * c0) + (p1 * c1) + (p2 * c2) + (p3 * c3));
    }

    public static float Vector128Path(ref byte w, ref byte a, int blocks)
    {
        var acc = Vector128<float>.Zero;
        var mask = Vector128.Create((byte)0x0F);
        var three = Vector128.Create((byte)3);
        for (var i = 0; i < blocks; i++)
        {
            ref var x = ref Unsafe.Add(ref w, i * BlockBytes);
            ref var y = ref Unsafe.Add(ref a, i * Q8KBytes);
            var isum = Vector128<int>.Zero;
            for (var half = 0; half < 2; half++)
            {
                for (var part = 0; part < 2; part++)
                {
                    var p = (nuint)(16 * part);
                    var low0 = Vector128.LoadUnsafe(ref x, (nuint)(64 * half) + p);
                    var low1 = Vector128.LoadUnsafe(ref x, (nuint)(64 * half + 32) + p);
                    var high = Vector128.LoadUnsafe(ref x, (nuint)(128 + 32 * half) + p);
                    var q0 = (low0 & mask) | ((high & three) << 4);
                    var q1 = (low1 & mask) | ((Vector128.ShiftRightLogical(high, 2) & three) << 4);
                    var q2 = Vector128.ShiftRightLogical(low0, 4) | ((Vector128.ShiftRightLogical(high, 4) & three) << 4);
                    var q3 = Vector128.ShiftRightLogical(low1, 4) | (Vector128.ShiftRightLogical(high, 6) << 4);
                    var e = (nuint)(4 + 128 * half) + p;
                    var s = 192 + 8 * half + part;
                    isum += Simd.DotScaled(q0.AsSByte(), Vector128.LoadUnsafe(ref y, e).AsSByte(), (sbyte)Unsafe.Add(ref x, s));
                    isum += Simd.DotScaled(q1.AsSByte(), Vector128.LoadUnsafe(ref y, e + 32).AsSByte(), (sbyte)Unsafe.Add(ref x, s + 2));
                    isum += Simd.DotScaled(q2.AsSByte(), Vector128.LoadUnsafe(ref y, e + 64).AsSByte(), (sbyte)Unsafe.Add(ref x, s + 4));
                    isum += Simd.DotScaled(q3.AsSByte(), Vector128.LoadUnsafe(ref y, e + 96).AsSByte(), (sbyte)Unsafe.Add(ref x, s + 6));
                }
            }

            var total = Vector128.Sum(isum) - OffsetSum(ref y, Vector128.LoadUnsafe(ref x, 192).AsSByte(), 32);
            acc += Vector128.CreateScalar(Simd.HalfAt(ref x, 208) * Unsafe.ReadUnaligned<float>(ref y) * total);
        }

        return acc.ToScalar();
    }

    public static float Vector256Path(ref byte w, ref byte a, int blocks)
    {
        var acc = Vector256<float>.Zero;
        var mask = Vector256.Create((byte)0x0F);
        var three = Vector256.Create((byte)3);
        for (var i = 0; i < blocks; i++)
        {
            ref var x = ref Unsafe.Add(ref w, i * BlockBytes);
            ref var y = ref Unsafe.Add(ref a, i * Q8KBytes);
            var scaleBytes = Vector128.LoadUnsafe(ref x, 192).AsSByte();
            var scales = Avx2.ConvertToVector256Int16(scaleBytes);
            var isum = Vector256<int>.Zero;
            for (var half = 0; half < 2; half++)
            {
                var low0 = Vector256.LoadUnsafe(ref x, (nuint)(64 * half));
                var low1 = Vector256.LoadUnsafe(ref x, (nuint)(64 * half + 32));
                var high = Vector256.LoadUnsafe(ref x, (nuint)(128 + 32 * half));
                var q0 = (low0 & mask) | ((high & three) << 4);
                var q1 = (low1 & mask) | ((Vector256.ShiftRightLogical(high, 2) & three) << 4);
                var q2 = (Vector256.ShiftRightLogical(low0, 4) & mask) | ((Vector256.ShiftRightLogical(high, 4) & three) << 4);
                var q3 = (Vector256.ShiftRightLogical(low1, 4) & mask) | ((Vector256.ShiftRightLogical(high, 6) & three) << 4);
                ref var yh = ref Unsafe.Add(ref y, 4 + 128 * half);
                isum += Avx2.MultiplyAddAdjacent(Simd.Pairs(q0, Vector256.LoadUnsafe(ref yh).AsSByte()), Scale256(scales, 8 * half));
                isum += Avx2.MultiplyAddAdjacent(Simd.Pairs(q1, Vector256.LoadUnsafe(ref yh, 32).AsSByte()), Scale256(scales, 8 * half + 2));
                isum += Avx2.MultiplyAddAdjacent(Simd.Pairs(q2, Vector256.LoadUnsafe(ref yh, 64).AsSByte()), Scale256(scales, 8 * half + 4));
                isum += Avx2.MultiplyAddAdjacent(Simd.Pairs(q3, Vector256.LoadUnsafe(ref yh, 96).AsSByte()), Scale256(scales, 8 * half + 6));
            }

            var scale = Simd.HalfAt(ref x, 208) * Unsafe.ReadUnaligned<float>(ref y);
            var offset = OffsetSum(ref y, scaleBytes, 32);
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(isum - Vector256.CreateScalar(offset)), Vector256.Create(scale), acc);
        }

        return Simd.Sum(acc);
    }

    public static float Vector512Path(ref byte w, ref byte a, int blocks)
    {
        var acc = Vector512<float>.Zero;
        var mask = Vector512.Create((byte)0x0F);
        var three = Vector512.Create((byte)3);
        var group = Vector512.ShiftRightLogical(Vector512<short>.Indices, 3);
        for (var i = 0; i < blocks; i++)
        {
            ref var x = ref Unsafe.Add(ref w, i * BlockBytes);
            ref var y = ref Unsafe.Add(ref a, i * Q8KBytes);
            var scaleBytes = Vector128.LoadUnsafe(ref x, 192).AsSByte();
            var scales = Avx2.ConvertToVector256Int16(scaleBytes).ToVector512Unsafe();
            var isum = Vector512<int>.Zero;
            for (var half = 0; half < 2; half++)
            {
                // ql[0..63] of this half: bytes 0–31 hold elements 0–31 (+64 in the high nibble), bytes 32–63 elements 32–63 (+96).
                var low = Vector512.LoadUnsafe(ref x, (nuint)(64 * half));
                var qh = Vector256.LoadUnsafe(ref x, (nuint)(128 + 32 * half));
                var high = Vector512.Create(qh, Vector256.ShiftRightLogical(qh, 2));
                var q01 = (low & mask) | ((high & three) << 4);
                var q23 = (Vector512.ShiftRightLogical(low, 4) & mask) | ((Vector512.ShiftRightLogical(high, 4) & three) << 4);
                ref var yh = ref Unsafe.Add(ref y, 4 + 128 * half);
                var s01 = Avx512BW.PermuteVar32x16(scales, group + Vector512.Create((short)(8 * half)));
                var s23 = Avx512BW.PermuteVar32x16(scales, group + Vector512.Create((short)(8 * half + 4)));
                isum += Avx512BW.MultiplyAddAdjacent(Simd.Pairs(q01, Vector512.LoadUnsafe(ref yh).AsSByte()), s01);
                isum += Avx512BW.MultiplyAddAdjacent(Simd.Pairs(q23, Vector512.LoadUnsafe(ref yh, 64).AsSByte()), s23);
            }

            var scale = Simd.HalfAt(ref x, 208) * Unsafe.ReadUnaligned<float>(ref y);
            var offset = OffsetSum(ref y, scaleBytes, 32);
            acc = Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(isum - Vector512.CreateScalar(offset)), Vector512.Create(scale), acc);
        }

        return Simd.Sum(acc);
    }

    /// <summary>Scales j and j + 1 as 16-bit lanes: 8 pairs (16 elements) each.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> Scale256(Vector256<short> scales, int j) =>
        Vector256.Create(Vector128.Create(scales.GetElement(j)), Vector128.Create(scales.GetElement(j + 1)));
}
