using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Edgewise.Numerics.Kernels;

/// <summary>
/// Q4_0 · Q8_0 (Σ (q − 8)·a · d_w·d_a) and Q4_1 · Q8_1 (Σ q·a · d_w·d_a + m_w·s_a). Byte j of a weight block holds
/// element j (low nibble) and j + 16 (high nibble). Vector paths compute (q − 8)·a as q·a − 8·a pairwise, exactly.
/// </summary>
internal static class Q4LegacyDot
{
    private const int Q40Bytes = 18;
    private const int Q41Bytes = 20;
    private const int Q80Bytes = 34;
    private const int Q81Bytes = 36;

    public static float ScalarQ40(ref byte w, ref byte a, int blocks)
    {
        var sum = 0.0f;
        for (var i = 0; i < blocks; i++)
        {
            ref var x = ref Unsafe.Add(ref w, i * Q40Bytes);
            ref var y = ref Unsafe.Add(ref a, i * Q80Bytes);
            var isum = 0;
            for (var j = 0; j < 16; j++)
            {
                int q = Unsafe.Add(ref x, 2 + j);
                isum += ((q & 0x0F) - 8) * (sbyte)Unsafe.Add(ref y, 2 + j) + ((q >> 4) - 8) * (sbyte)Unsafe.Add(ref y, 18 + j);
            }

            sum += isum * (Simd.HalfAt(ref x, 0) * Simd.HalfAt(ref y, 0));
        }

        return sum;
    }

    public static float ScalarQ41(ref byte w, ref byte a, int blocks)
    {
        var sum = 0.0f;
        for (var i = 0; i < blocks; i++)
        {
            ref var x = ref Unsafe.Add(ref w, i * Q41Bytes);
            ref var y = ref Unsafe.Add(ref a, i * Q81Bytes);
            var isum = 0;
            for (var j = 0; j < 16; j++)
            {
                int q = Unsafe.Add(ref x, 4 + j);
                isum += (q & 0x0F) * (sbyte)Unsafe.Add(ref y, 4 + j) + (q >> 4) * (sbyte)Unsafe.Add(ref y, 20 + j);
            }

            sum += Simd.HalfAt(ref x, 0) * Simd.HalfAt(ref y, 0) * isum + Simd.HalfAt(ref x, 2) * Simd.HalfAt(ref y, 2);
        }

        return sum;
    }

    public static float Vector128Q40(ref byte w, ref byte a, int blocks)
    {
        var acc = Vector128<float>.Zero;
        var eight = Vector128.Create((sbyte)8);
        for (var i = 0; i < blocks; i++)
        {
            ref var x = ref Unsafe.Add(ref w, i * Q40Bytes);
            ref var y = ref Unsafe.Add(ref a, i * Q80Bytes);
            var packed = Vector128.LoadUnsafe(ref x, 2);
            var lo = (packed & Vector128.Create((byte)0x0F)).AsSByte() - eight;
            var hi = Vector128.ShiftRightLogical(packed, 4).AsSByte() - eight;
            var dot = Simd.Dot(lo, Vector128.LoadUnsafe(ref y, 2).AsSByte()) + Simd.Dot(hi, Vector128.LoadUnsafe(ref y, 18).AsSByte());
            acc += Vector128.ConvertToSingle(dot) * Vector128.Create(Simd.HalfAt(ref x, 0) * Simd.HalfAt(ref y, 0));
        }

        return Vector128.Sum(acc);
    }

    public static float Vector128Q41(ref byte w, ref byte a, int blocks)
    {
        var acc = Vector128<float>.Zero;
        var mins = 0.0f;
        for (var i = 0; i < blocks; i++)
        {
            ref var x = ref Unsafe.Add(ref w, i * Q41Bytes);
            ref var y = ref Unsafe.Add(ref a, i * Q81Bytes);
            var packed = Vector128.LoadUnsafe(ref x, 4);
            var lo = (packed & Vector128.Create((byte)0x0F)).AsSByte();
            var hi = Vector128.ShiftRightLogical(packed, 4).AsSByte();
            var dot = Simd.Dot(lo, Vector128.LoadUnsafe(ref y, 4).AsSByte()) + Simd.Dot(hi, Vector128.LoadUnsafe(ref y, 20).AsSByte());
            acc += Vector128.ConvertToSingle(dot) * Vector128.Create(Simd.HalfAt(ref x, 0) * Simd.HalfAt(ref y, 0));
            mins += Simd.HalfAt(ref x, 2) * Simd.HalfAt(ref y, 2);
        }

        return Vector128.Sum(acc) + mins;
    }

    public static float Vector256Q40(ref byte w, ref byte a, int blocks)
    {
        var acc = Vector256<float>.Zero;
        var eight = Vector256.Create((byte)8);
        for (var i = 0; i < blocks; i++)
        {
            ref var x = ref Unsafe.Add(ref w, i * Q40Bytes);
            ref var y = ref Unsafe.Add(ref a, i * Q80Bytes);
            var q = Simd.Nibbles(Vector128.LoadUnsafe(ref x, 2));
            var ay = Vector256.LoadUnsafe(ref y, 2).AsSByte();
            var dot = Avx2.MultiplyAddAdjacent(Simd.Pairs(q, ay) - Simd.Pairs(eight, ay), Vector256.Create((short)1));
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot), Vector256.Create(Simd.HalfAt(ref x, 0) * Simd.HalfAt(ref y, 0)), acc);
        }

        return Simd.Sum(acc);
    }

    public static float Vector256Q41(ref byte w, ref byte a, int blocks)
    {
        var acc = Vector256<float>.Zero;
        var mins = 0.0f;
        for (var i = 0; i < blocks; i++)
        {
            ref var x = ref Unsafe.Add(ref w, i * Q41Bytes);
            ref var y = ref Unsafe.Add(ref a, i * Q81Bytes);
            var q = Simd.Nibbles(Vector128.LoadUnsafe(ref x, 4));
            var dot = Simd.DotU(q, Vector256.LoadUnsafe(ref y, 4).AsSByte());
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot), Vector256.Create(Simd.HalfAt(ref x, 0) * Simd.HalfAt(ref y, 0)), acc);
            mins += Simd.HalfAt(ref x, 2) * Simd.HalfAt(ref y, 2);
        }

        return Simd.Sum(acc) + mins;
    }

    public static float Vector512Q40(ref byte w, ref byte a, int blocks)
    {
        var acc = Vector512<float>.Zero;
        var eight = Vector512.Create((byte)8);
        var i = 0;
        for (; i + 1 < blocks; i += 2)
        {
            ref var x0 = ref Unsafe.Add(ref w, i * Q40Bytes);
            ref var x1 = ref Unsafe.Add(ref x0, Q40Bytes);
            ref var y0 = ref Unsafe.Add(ref a, i * Q80Bytes);
            ref var y1 = ref Unsafe.Add(ref y0, Q80Bytes);
            var q = Vector512.Create(Simd.Nibbles(Vector128.LoadUnsafe(ref x0, 2)), Simd.Nibbles(Vector128.LoadUnsafe(ref x1, 2)));
            var ay = Simd.Load2x32(ref Unsafe.Add(ref y0, 2), ref Unsafe.Add(ref y1, 2)).AsSByte();
            var dot = Avx512BW.MultiplyAddAdjacent(Simd.Pairs(q, ay) - Simd.Pairs(eight, ay), Vector512.Create((short)1));
            var scale = Vector512.Create(
                Vector256.Create(Simd.HalfAt(ref x0, 0) * Simd.HalfAt(ref y0, 0)),
                Vector256.Create(Simd.HalfAt(ref x1, 0) * Simd.HalfAt(ref y1, 0)));
            acc = Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(dot), scale, acc);
        }

        var sum = Simd.Sum(acc);
        return i < blocks ? sum + Vector256Q40(ref Unsafe.Add(ref w, i * Q40Bytes), ref Unsafe.Add(ref a, i * Q80Bytes), 1) : sum;
    }

    public static float Vector512Q41(ref byte w, ref byte a, int blocks)
    {
        var acc = Vector512<float>.Zero;
        var mins = 0.0f;
        var i = 0;
        for (; i + 1 < blocks; i += 2)
        {
            ref var x0 = ref Unsafe.Add(ref w, i * Q41Bytes);
            ref var x1 = ref Unsafe.Add(ref x0, Q41Bytes);
            ref var y0 = ref Unsafe.Add(ref a, i * Q81Bytes);
            ref var y1 = ref Unsafe.Add(ref y0, Q81Bytes);
            var q = Vector512.Create(Simd.Nibbles(Vector128.LoadUnsafe(ref x0, 4)), Simd.Nibbles(Vector128.LoadUnsafe(ref x1, 4)));
            var dot = Simd.DotU(q, Simd.Load2x32(ref Unsafe.Add(ref y0, 4), ref Unsafe.Add(ref y1, 4)).AsSByte());
            var scale = Vector512.Create(
                Vector256.Create(Simd.HalfAt(ref x0, 0) * Simd.HalfAt(ref y0, 0)),
                Vector256.Create(Simd.HalfAt(ref x1, 0) * Simd.HalfAt(ref y1, 0)));
            acc = Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(dot), scale, acc);
            mins += Simd.HalfAt(ref x0, 2) * Simd.HalfAt(ref y0, 2) + Simd.HalfAt(ref x1, 2) * Simd.HalfAt(ref y1, 2);
        }

        var sum = Simd.Sum(acc) + mins;
        return i < blocks ? sum + Vector256Q41(ref Unsafe.Add(ref w, i * Q41Bytes), ref Unsafe.Add(ref a, i * Q81Bytes), 1) : sum;
    }
}
