using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Edgewise.Numerics.Kernels;

/// <summary>
/// Single-token products (one Q8_K activation row) for Q4_K, Q5_K and Q6_K weights with 512-bit vectors. Each
/// 64-byte load of a super-block's quants is unpacked into two 512-bit vectors that each hold two 32-element runs in
/// natural order, so the activation quants are read as plain 64-byte loads and every run costs half a
/// <c>vpmaddubsw</c> + half a <c>vpmaddwd</c> (its sub-block scales, spread over 16-bit lanes by one <c>vpermw</c>).
/// The two 256-bit halves of the integer sums are added at the end of each super-block, which gives exactly the
/// eight int32 lanes of <see cref="KQuantMatVec"/>'s 256-bit kernel; the float steps after that are the same
/// operations in the same order, so a token decoded here has the same bits as in a batch.
/// </summary>
internal static unsafe class KQuantDecode
{
    private const int Q8KBytes = 292;

    /// <summary>
    /// How far ahead of the block being multiplied the single-token kernels ask for weights (bytes). One thread's
    /// stream through a matrix far larger than the caches runs at about 7 GB/s on the hardware prefetcher alone and
    /// at 10–11 GB/s with these hints (measured on the Sapphire Rapids build box, 128256 × 2048 Q6_K and Q4_0).
    /// </summary>
    internal const int PrefetchDistance = 3072;

    /// <summary>Whether this CPU runs these kernels (AVX-512 F/BW with accelerated 512-bit vectors, and AVX2/FMA for the finish).</summary>
    public static bool IsSupported =>
        Avx512BW.IsSupported && Avx512F.IsSupported && Vector512.IsHardwareAccelerated && Avx2.IsSupported && Fma.IsSupported;

    /// <summary>
    /// output[r] for r in [<paramref name="r0"/>, <paramref name="r1"/>): row r of <paramref name="weights"/>
    /// (<paramref name="rowBytes"/> apart, <paramref name="blocks"/> super-blocks each) · the Q8_K row at <paramref name="activation"/>.
    /// </summary>
    public static void Rows(TensorType type, byte* weights, long rowBytes, int r0, int r1, int blocks, byte* activation, float* output)
    {
        PrefetchStart(weights + (r0 * rowBytes), (r1 - r0) * rowBytes);
        switch (type)
        {
            case TensorType.Q4_K:
                for (var r = r0; r < r1; r++)
                {
                    output[r] = DotQ4K(weights + (r * rowBytes), blocks, activation, false);
                }

                break;
            case TensorType.Q5_K:
                for (var r = r0; r < r1; r++)
                {
                    output[r] = DotQ4K(weights + (r * rowBytes), blocks, activation, true);
                }

                break;
            default:
                for (var r = r0; r < r1; r++)
                {
                    output[r] = DotQ6K(weights + (r * rowBytes), blocks, activation);
                }

                break;
        }
    }

    /// <summary>
    /// Asks for the first <see cref="PrefetchDistance"/> bytes (at most <paramref name="bytes"/>) at <paramref name="start"/>:
    /// a chunk's kernel prefetches only ahead of itself, so without this its first lines would arrive one miss at a time.
    /// </summary>
    public static void PrefetchStart(byte* start, long bytes)
    {
        var end = start + Math.Min(bytes, PrefetchDistance);
        for (var p = start; p < end; p += 64)
        {
            Sse.Prefetch0(p);
        }
    }

    /// <summary>Q4_K (144-byte blocks) or Q5_K (176-byte blocks, fifth bits at 16, nibbles at 48) · Q8_K.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float DotQ4K(byte* w, int blocks, byte* a, bool five)
    {
        var acc = Vector256<float>.Zero;
        var blockBytes = five ? 176 : 144;
        var nibbles = five ? 48 : 16;
        var mask = Vector512.Create((byte)0x0F);
        var firstRun = Vector512.Create(Vector256<ushort>.Zero, Vector256.Create((ushort)1)).AsInt16();
        var fifthLeft = Vector512.Create(Vector256.Create((ushort)4), Vector256.Create((ushort)3));
        var fifthLeftHigh = Vector512.Create(Vector256.Create((ushort)2), Vector256.Create((ushort)1));
        for (var b = 0; b < blocks; b++, w += blockBytes, a += Q8KBytes)
        {
            Sse.Prefetch0(w + PrefetchDistance);
            Sse.Prefetch0(w + PrefetchDistance + 64);
            Sse.Prefetch0(w + PrefetchDistance + 128);

            var aux = Avx2.ConvertToVector256Int16(ScalesAndMins(Sse2.LoadVector128(w + 4)));
            var scales = aux.ToVector512Unsafe();
            var isum = Vector512<int>.Zero;
            for (var h = 0; h < 2; h++)
            {
                // 64 bytes of nibbles: low nibbles hold runs 4h and 4h + 2, high nibbles runs 4h + 1 and 4h + 3.
                var q = Vector512.Load(w + nibbles + (64 * h));
                var low = q & mask;
                var high = Avx512BW.ShiftRightLogical(q.AsUInt16(), 4).AsByte() & mask;
                var r01 = Avx512F.Shuffle4x128(low.AsUInt64(), high.AsUInt64(), 0x44).AsByte();
                var r23 = Avx512F.Shuffle4x128(low.AsUInt64(), high.AsUInt64(), 0xEE).AsByte();
                if (five)
                {
                    var bits = Vector512.ShiftRightLogical(Vector512.Create(Vector256.Load(w + 16)).AsUInt16(), 4 * h);
                    var bit4 = Vector512.Create((byte)0x10);
                    r01 |= Avx512BW.ShiftLeftLogicalVariable(bits, fifthLeft).AsByte() & bit4;
                    r23 |= Avx512BW.ShiftLeftLogicalVariable(bits, fifthLeftHigh).AsByte() & bit4;
                }

                var e = a + 4 + (128 * h);
                var s01 = Avx512BW.PermuteVar32x16(scales, firstRun + Vector512.Create((short)(4 * h)));
                var s23 = Avx512BW.PermuteVar32x16(scales, firstRun + Vector512.Create((short)((4 * h) + 2)));
                isum += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(r01, Vector512.Load((sbyte*)e)), s01);
                isum += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(r23, Vector512.Load((sbyte*)(e + 64))), s23);
            }

            var scale = Simd.HalfToSingle(Sse41.ConvertToVector128Int32(Vector128.CreateScalar(*(uint*)w).AsUInt16())) * Vector128.Create(*(float*)a);
            acc = FinishK4(isum.GetLower() + isum.GetUpper(), aux, a, scale, acc);
        }

        return Simd.Sum(acc);
    }

    /// <summary>Q6_K (210-byte blocks) · Q8_K; the offset 32 meets the activation's 16-element sums once per block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float DotQ6K(byte* w, int blocks, byte* a)
    {
        var acc = Vector256<float>.Zero;
        var mask = Vector512.Create((byte)0x0F);
        var two = Vector512.Create((byte)0x30);
        var group = Vector512.ShiftRightLogical(Vector512<short>.Indices, 3);
        var lowHigh = Vector512.Create(Vector256.Create((ushort)4), Vector256.Create((ushort)2));
        var highHigh = Vector512.Create(Vector256<ushort>.Zero, Vector256.Create((ushort)2));
        for (var b = 0; b < blocks; b++, w += 210, a += Q8KBytes)
        {
            Sse.Prefetch0(w + PrefetchDistance);
            Sse.Prefetch0(w + PrefetchDistance + 64);
            Sse.Prefetch0(w + PrefetchDistance + 128);
            Sse.Prefetch0(w + PrefetchDistance + 192);

            var aux = Avx2.ConvertToVector256Int16(Sse2.LoadVector128((sbyte*)(w + 192)));
            var scales = aux.ToVector512Unsafe();
            var isum = Vector512<int>.Zero;
            for (var h = 0; h < 2; h++)
            {
                // ql[64h..64h+63]: low nibbles are elements 128h..128h+63, high nibbles 128h+64..128h+127; qh byte l
                // holds their fifth and sixth bits in pairs 0–1, 2–3, 4–5, 6–7 for runs 4h, 4h + 1, 4h + 2, 4h + 3.
                var ql = Vector512.Load(w + (64 * h));
                var qh = Vector512.Create(Vector256.Load(w + 128 + (32 * h))).AsUInt16();
                var q01 = (ql & mask) | (Avx512BW.ShiftLeftLogicalVariable(qh, lowHigh).AsByte() & two);
                var q23 = (Avx512BW.ShiftRightLogical(ql.AsUInt16(), 4).AsByte() & mask) |
                    (Avx512BW.ShiftRightLogicalVariable(qh, highHigh).AsByte() & two);
                var e = a + 4 + (128 * h);
                var s01 = Avx512BW.PermuteVar32x16(scales, group + Vector512.Create((short)(8 * h)));
                var s23 = Avx512BW.PermuteVar32x16(scales, group + Vector512.Create((short)((8 * h) + 4)));
                isum += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(q01, Vector512.Load((sbyte*)e)), s01);
                isum += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(q23, Vector512.Load((sbyte*)(e + 64))), s23);
            }

            var offset = Avx2.ShiftLeftLogical(Avx2.MultiplyAddAdjacent(aux, Avx.LoadVector256((short*)(a + 260))), 5);
            var d = Simd.Half(*(ushort*)(w + 208));
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single((isum.GetLower() + isum.GetUpper()) - offset), Vector256.Create(d * *(float*)a), acc);
        }

        return Simd.Sum(acc);
    }

    /// <summary>
    /// acc + d_w·d_a·isum − dmin_w·d_a·Σ_sub min_sub·(Σ of the sub-block's 32 activation quants), as <see cref="KQuantMatVec"/>
    /// computes it; <paramref name="scale"/> holds d_w·d_a and dmin_w·d_a in lanes 0 and 1.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> FinishK4(Vector256<int> isum, Vector256<short> aux, byte* a, Vector128<float> scale, Vector256<float> acc)
    {
        var pairs = Ssse3.HorizontalAdd(Sse2.LoadVector128((short*)(a + 260)), Sse2.LoadVector128((short*)(a + 276)));
        var mins = Sse2.MultiplyAddAdjacent(aux.GetUpper(), pairs);
        acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(isum), Avx2.BroadcastScalarToVector256(scale), acc);
        var minScale = Avx2.BroadcastScalarToVector256(Avx.Permute(scale, 0b01) ^ Vector128.Create(-0.0f));
        return Fma.MultiplyAdd(Avx.ConvertToVector256Single(mins.ToVector256()), minScale, acc);
    }

    /// <summary>
    /// The 12 packed bytes of eight 6-bit scales and eight 6-bit minimums at the start of <paramref name="packed"/> as
    /// 16 bytes (scales, then minimums), the same bytes as <see cref="Q4KDot.ScalesAndMins"/> with two shuffles.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<byte> ScalesAndMins(Vector128<byte> packed)
    {
        // Lanes 0–3 take byte j, 4–7 byte j + 4 (j = 4..7), 8–11 byte j + 4 (j = 0..3), 12–15 byte j + 4 (j = 4..7).
        var low = Ssse3.Shuffle(packed, Vector128.Create((byte)0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 8, 9, 10, 11));
        // The top two bits of bytes 0–3 (scales 4–7) and 4–7 (minimums 4–7), moved to bits 4–5.
        var high = Ssse3.Shuffle(packed, Vector128.Create((byte)0x80, 0x80, 0x80, 0x80, 0, 1, 2, 3, 0x80, 0x80, 0x80, 0x80, 4, 5, 6, 7));
        var keepLow = Vector128.Create(0x3F3F3F3F, 0x0F0F0F0F, 0x3F3F3F3F, 0).AsByte();
        var keepNibble = Vector128.Create(0, 0, 0, 0x0F0F0F0F).AsByte();
        var nibble = Sse2.ShiftRightLogical(low.AsUInt16(), 4).AsByte();
        var top = Sse2.ShiftRightLogical(high.AsUInt16(), 2).AsByte() & Vector128.Create((byte)0x30);
        return (low & keepLow) | (nibble & keepNibble) | top;
    }
}
