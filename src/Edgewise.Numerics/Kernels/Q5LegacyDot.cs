using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Edgewise.Numerics.Kernels;

/// <summary>
/// Q5_0 · Q8_0 (Σ (q − 16)·a · d_w·d_a) and Q5_1 · Q8_1 (Σ q·a · d_w·d_a + m_w·s_a), where q = nibble | (bit j of the
/// 32-bit qh) · 16. Vector paths turn the 32 high bits into bytes with a shuffle and a bit test.
/// </summary>
internal static class Q5LegacyDot
{
    private const int Q50Bytes = 22;
    private const int Q51Bytes = 24;
    private const int Q80Bytes = 34;
    private const int Q81Bytes = 36;

    public static float ScalarQ50(ref byte w, ref byte a, int blocks) => Scalar(ref w, ref a, blocks, Q50Bytes, Q80Bytes, 16);

    public static float ScalarQ51(ref byte w, ref byte a, int blocks) => Scalar(ref w, ref a, blocks, Q51Bytes, Q81Bytes, 0);

    public static float Vector128Q50(ref byte w, ref byte a, int blocks) => Vector128Path(ref w, ref a, blocks, Q50Bytes, Q80Bytes, 16);

    public static float Vector128Q51(ref byte w, ref byte a, int blocks) => Vector128Path(ref w, ref a, blocks, Q51Bytes, Q81Bytes, 0);

    public static float Vector256Q50(ref byte w, ref byte a, int blocks) => Vector256Path(ref w, ref a, blocks, Q50Bytes, Q80Bytes, 16);

    public static float Vector256Q51(ref byte w, ref byte a, int blocks) => Vector256Path(ref w, ref a, blocks, Q51Bytes, Q81Bytes, 0);

    public static float Vector512Q50(ref byte w, ref byte a, int blocks) => Vector512Path(ref w, ref a, blocks, Q50Bytes, Q80Bytes, 16);

    public static float Vector512Q51(ref byte w, ref byte a, int blocks) => Vector512Path(ref w, ref a, blocks, Q51Bytes, Q81Bytes, 0);

    /// <summary>The quants start after d, (m), and the 4 bytes of qh; activation quants after d (and s).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int QuantOffset(int weightBytes) => weightBytes - 16;

    private static float Scalar(ref byte w, ref byte a, int blocks, int weightBytes, int actBytes, int offset)
    {
        var sum = 0.0f;
        var qs = QuantOffset(weightBytes);
        var ys = actBytes - 32;
        for (var i = 0; i < blocks; i++)
        {
            ref var x = ref Unsafe.Add(ref w, i * weightBytes);
            ref var y = ref Unsafe.Add(ref a, i * actBytes);
            var qh = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref x, qs - 4));
            var isum = 0;
            for (var j = 0; j < 16; j++)
            {
                int q = Unsafe.Add(ref x, qs + j);
                var q0 = ((q & 0x0F) | (int)((qh >> j) & 1) << 4) - offset;
                var q1 = ((q >> 4) | (int)((qh >> (j + 16)) & 1) << 4) - offset;
                isum += q0 * (sbyte)Unsafe.Add(ref y, ys + j) + q1 * (sbyte)Unsafe.Add(ref y, ys + 16 + j);
            }

            var scale = Simd.HalfAt(ref x, 0) * Simd.HalfAt(ref y, 0);
            sum += offset != 0 ? isum * scale : scale * isum + Simd.HalfAt(ref x, 2) * Simd.HalfAt(ref y, 2);
        }

        return sum;
    }

    private static float Vector128Path(ref byte w, ref byte a, int blocks, int weightBytes, int actBytes, int offset)
    {
        var acc = Vector128<float>.Zero;
        var mins = 0.0f;
        var qs = QuantOffset(weightBytes);
        var ys = actBytes - 32;
        var bias = Vector128.Create((sbyte)offset);
        for (var i = 0; i < blocks; i++)
        {
            ref var x = ref Unsafe.Add(ref w, i * weightBytes);
            ref var y = ref Unsafe.Add(ref a, i * actBytes);
            var qh = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref x, qs - 4));
            var packed = Vector128.LoadUnsafe(ref x, (nuint)qs);
            var lo = ((packed & Vector128.Create((byte)0x0F)) | HighBits128((ushort)qh)).AsSByte() - bias;
            var hi = (Vector128.ShiftRightLogical(packed, 4) | HighBits128((ushort)(qh >> 16))).AsSByte() - bias;
            var dot = Simd.Dot(lo, Vector128.LoadUnsafe(ref y, (nuint)ys).AsSByte()) + Simd.Dot(hi, Vector128.LoadUnsafe(ref y, (nuint)(ys + 16)).AsSByte());
            acc += Vector128.ConvertToSingle(dot) * Vector128.Create(Simd.HalfAt(ref x, 0) * Simd.HalfAt(ref y, 0));
            if (offset == 0)
            {
                mins += Simd.HalfAt(ref x, 2) * Simd.HalfAt(ref y, 2);
            }
        }

        return Vector128.Sum(acc) + mins;
    }

    private static float Vector256Path(ref byte w, ref byte a, int blocks, int weightBytes, int actBytes, int offset)
    {
        var acc = Vector256<float>.Zero;
        var mins = 0.0f;
        var qs = QuantOffset(weightBytes);
        var ys = actBytes - 32;
        var bias = Vector256.Create((byte)offset);
        for (var i = 0; i < blocks; i++)
        {
            ref var x = ref Unsafe.Add(ref w, i * weightBytes);
            ref var y = ref Unsafe.Add(ref a, i * actBytes);
            var q = Simd.Nibbles(Vector128.LoadUnsafe(ref x, (nuint)qs)) | HighBits256(Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref x, qs - 4)));
            var ay = Vector256.LoadUnsafe(ref y, (nuint)ys).AsSByte();
            var pairs = offset != 0 ? Simd.Pairs(q, ay) - Simd.Pairs(bias, ay) : Simd.Pairs(q, ay);
            var dot = Avx2.MultiplyAddAdjacent(pairs, Vector256.Create((short)1));
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot), Vector256.Create(Simd.HalfAt(ref x, 0) * Simd.HalfAt(ref y, 0)), acc);
            if (offset == 0)
            {
                mins += Simd.HalfAt(ref x, 2) * Simd.HalfAt(ref y, 2);
            }
        }

        return Simd.Sum(acc) + mins;
    }

    private static float Vector512Path(ref byte w, ref byte a, int blocks, int weightBytes, int actBytes, int offset)
    {
        var acc = Vector512<float>.Zero;
        var mins = 0.0f;
        var qs = QuantOffset(weightBytes);
        var ys = actBytes - 32;
        var bias = Vector512.Create((byte)offset);
        var i = 0;
        for (; i + 1 < blocks; i += 2)
        {
            ref var x0 = ref Unsafe.Add(ref w, i * weightBytes);
            ref var x1 = ref Unsafe.Add(ref x0, weightBytes);
            ref var y0 = ref Unsafe.Add(ref a, i * actBytes);
            ref var y1 = ref Unsafe.Add(ref y0, actBytes);
            var nibbles = Vector512.Create(Simd.Nibbles(Vector128.LoadUnsafe(ref x0, (nuint)qs)), Simd.Nibbles(Vector128.LoadUnsafe(ref x1, (nuint)qs)));
            var q = nibbles | HighBits512(Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref x0, qs - 4)), Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref x1, qs - 4)));
            var ay = Simd.Load2x32(ref Unsafe.Add(ref y0, ys), ref Unsafe.Add(ref y1, ys)).AsSByte();
            var pairs = offset != 0 ? Simd.Pairs(q, ay) - Simd.Pairs(bias, ay) : Simd.Pairs(q, ay);
            var dot = Avx512BW.MultiplyAddAdjacent(pairs, Vector512.Create((short)1));
            var scale = Vector512.Create(
                Vector256.Create(Simd.HalfAt(ref x0, 0) * Simd.HalfAt(ref y0, 0)),
                Vector256.Create(Simd.HalfAt(ref x1, 0) * Simd.HalfAt(ref y1, 0)));
            acc = Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(dot), scale, acc);
            if (offset == 0)
            {
                mins += Simd.HalfAt(ref x0, 2) * Simd.HalfAt(ref y0, 2) + Simd.HalfAt(ref x1, 2) * Simd.HalfAt(ref y1, 2);
            }
        }

        var sum = Simd.Sum(acc) + mins;
        return i < blocks ? sum + Vector256Path(ref Unsafe.Add(ref w, i * weightBytes), ref Unsafe.Add(ref a, i * actBytes), 1, weightBytes, actBytes, offset) : sum;
    }

    /// <summary>Bit j of <paramref name="bits"/> → 0x10 in byte j (16 bytes), portable.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> HighBits128(ushort bits)
    {
        var spread = Vector128.Shuffle(Vector128.Create(bits).AsByte(), Vector128.Create((byte)0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1));
        var mask = Vector128.Create(0x8040201008040201UL).AsByte();
        return Vector128.Equals(spread & mask, mask) & Vector128.Create((byte)0x10);
    }

    /// <summary>Bit j of <paramref name="bits"/> → 0x10 in byte j (32 bytes), AVX2.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> HighBits256(uint bits)
    {
        var index = Vector256.Create(0x0000000000000000UL, 0x0101010101010101UL, 0x0202020202020202UL, 0x0303030303030303UL).AsByte();
        var spread = Avx2.Shuffle(Vector256.Create(bits).AsByte(), index);
        var mask = Vector256.Create(0x8040201008040201UL).AsByte();
        return Vector256.Equals(spread & mask, mask) & Vector256.Create((byte)0x10);
    }

    /// <summary>The high bits of two blocks → 0x10 bytes (64 bytes), AVX-512 BW.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> HighBits512(uint bits0, uint bits1)
    {
        var index = Vector512.Create(0x0000000000000000UL, 0x0101010101010101UL, 0x0202020202020202UL, 0x0303030303030303UL,
            0x0000000000000000UL, 0x0101010101010101UL, 0x0202020202020202UL, 0x0303030303030303UL).AsByte();
        var source = Vector512.Create(Vector256.Create(bits0), Vector256.Create(bits1)).AsByte();
        var spread = Avx512BW.Shuffle(source, index);
        var mask = Vector512.Create(0x8040201008040201UL).AsByte();
        return Vector512.Equals(spread & mask, mask) & Vector512.Create((byte)0x10);
    }
}
