using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Edgewise.Numerics.Kernels;

/// <summary>
/// Matrix products for Q8_0, Q4_0 and Q5_0 weights (all meet Q8_0 activations) with the per-block work of
/// <see cref="VecDot"/> moved out of the inner loop. Each activation row is prepared once per call into
/// <see cref="PreparedBytes"/>: the 32 quants of every block, its fp16 scale as a float, and eight int32 lanes
/// holding −k·(sum of each group of four quants), where k is the weight type's offset (8 for Q4_0, 16 for Q5_0, 0
/// for Q8_0) so an unsigned·signed byte dot started from those lanes gives Σ (q − k)·a exactly. The fp16 scales of
/// a weight row are converted eight at a time with one gather. The inner loop per block is then: unpack the
/// weights, one byte dot (AVX-VNNI <c>vpdpbusd</c> or <c>vpmaddubsw</c>+<c>vpmaddwd</c>), one int→float convert, one
/// fused multiply-add with the block's d_w·d_a, over four independent accumulators. Integer sums are exact as in
/// ggml; only the float accumulation order differs from the one-block-at-a-time kernels. The loops ask for the weights
/// <see cref="KQuantDecode.PrefetchDistance"/> bytes ahead, which a single token's product (bound by one thread's
/// memory stream) needs to approach the read bandwidth.
/// </summary>
internal static unsafe class LegacyMatVec
{
    private const int Block = 32;

    /// <summary>Whether this CPU runs these kernels (AVX2 with FMA).</summary>
    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

    /// <summary>Whether <paramref name="type"/> has a kernel here.</summary>
    public static bool Handles(TensorType type) => type is TensorType.Q8_0 or TensorType.Q4_0 or TensorType.Q5_0;

    /// <summary>Bytes of one prepared activation row of <paramref name="cols"/> elements (a multiple of 64).</summary>
    public static int PreparedBytes(int cols) => (((cols / Block) * 68) + 63) & ~63;

    /// <summary>Bytes of weight data per block.</summary>
    public static int BlockBytes(TensorType type) => type switch
    {
        TensorType.Q8_0 => 34,
        TensorType.Q4_0 => 18,
        _ => 22,
    };

    /// <summary>
    /// Quantizes one activation row as ggml does for Q8_0 (see <see cref="Quantize.ActivationRow"/>) and lays it out
    /// for <paramref name="weightType"/>: quants, then the correction lanes, then the float scales.
    /// </summary>
    public static void Prepare(TensorType weightType, ReadOnlySpan<float> input, byte* destination, Span<byte> q80)
    {
        var blocks = input.Length / Block;
        Quantize.ActivationRow(TensorType.Q8_0, input, q80);
        var offset = Offset(weightType);
        var qs = destination;
        var corrections = (int*)(destination + (blocks * Block));
        var scales = (float*)(destination + (blocks * 64));
        for (var b = 0; b < blocks; b++)
        {
            var src = q80.Slice(b * 34, 34);
            scales[b] = Simd.Half((ushort)(src[0] | (src[1] << 8)));
            for (var lane = 0; lane < 8; lane++)
            {
                var sum = 0;
                for (var j = 0; j < 4; j++)
                {
                    var v = (sbyte)src[2 + (lane * 4) + j];
                    qs[(b * Block) + (lane * 4) + j] = (byte)v;
                    sum += v;
                }

                corrections[(b * 8) + lane] = -offset * sum;
            }
        }
    }

    /// <summary>
    /// Dot products of one weight row with <paramref name="tokens"/> prepared activation rows (stride
    /// <paramref name="actStride"/> bytes), written to output[t·<paramref name="outStride"/>]; <paramref name="scales"/>
    /// is scratch for 2 × <paramref name="blocks"/> floats (the row's converted weight scales, then their products with
    /// one activation row's scales).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Row(
        TensorType type, byte* row, int blocks, byte* activations, int actStride, int tokens, float* output, long outStride, float* scales)
    {
        if (tokens == 1 && type != TensorType.Q4_0)
        {
            var corrections = activations + (blocks * Block);
            var da = (float*)(activations + (blocks * 64));
            output[0] = type == TensorType.Q8_0
                ? DotOnce<Q80Step>(row, activations, corrections, blocks, da)
                : DotOnce<Q50Step>(row, activations, corrections, blocks, da);
            return;
        }

        var blockBytes = BlockBytes(type);
        ConvertScales(row, blockBytes, blocks, scales);
        var products = scales + blocks;
        for (var t = 0; t < tokens; t++)
        {
            var act = activations + ((long)t * actStride);
            MultiplyScales(scales, (float*)(act + (blocks * 64)), products, blocks);
            var corrections = act + (blocks * Block);
            output[t * outStride] = type switch
            {
                TensorType.Q8_0 => DotQ80(row, act, corrections, blocks, products),
                TensorType.Q4_0 => DotQ40(row, act, corrections, blocks, products),
                _ => DotQ50(row, act, corrections, blocks, products),
            };
        }
    }

    /// <summary>The offset k that <see cref="Prepare"/> folds into the correction lanes for <paramref name="weightType"/>.</summary>
    public static int Offset(TensorType weightType) => weightType switch
    {
        TensorType.Q4_0 => 8,
        TensorType.Q5_0 => 16,
        _ => AvxVnni.IsSupported ? 128 : 0,
    };

    private static void MultiplyScales(float* dw, float* da, float* products, int blocks)
    {
        var b = 0;
        for (; b + 8 <= blocks; b += 8)
        {
            (Avx.LoadVector256(dw + b) * Avx.LoadVector256(da + b)).Store(products + b);
        }

        for (; b < blocks; b++)
        {
            products[b] = dw[b] * da[b];
        }
    }

    /// <summary>The fp16 scale at the start of each of <paramref name="blocks"/> blocks, as floats, eight per gather.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ConvertScales(byte* row, int blockBytes, int blocks, float* scales)
    {
        var index = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) * blockBytes;
        var b = 0;
        for (; b + 8 <= blocks; b += 8)
        {
            var raw = Avx2.GatherVector256((int*)(row + ((long)b * blockBytes)), index, 1) & Vector256.Create(0xFFFF);
            Simd.HalfToSingle(raw).Store(scales + b);
        }

        for (; b < blocks; b++)
        {
            scales[b] = Simd.Half(*(ushort*)(row + ((long)b * blockBytes)));
        }
    }

    /// <summary>acc + Σ u·s over each group of four bytes (AVX-VNNI, else two multiply-adds; no pair saturates for u ≤ 128 and |s| ≤ 127).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Dot4(Vector256<int> acc, Vector256<byte> u, Vector256<sbyte> s)
    {
        if (AvxVnni.IsSupported)
        {
            return AvxVnni.MultiplyWideningAndAdd(acc, u, s);
        }

        return acc + Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u, s), Vector256.Create((short)1));
    }

    private static float DotQ80(byte* w, byte* a, byte* c, int blocks, float* s)
    {
        var acc0 = Vector256<float>.Zero;
        var acc1 = Vector256<float>.Zero;
        var acc2 = Vector256<float>.Zero;
        var acc3 = Vector256<float>.Zero;
        var end = s + blocks;
        for (; s + 4 <= end; s += 4, w += 4 * 34, a += 4 * Block, c += 4 * Block)
        {
            Sse.Prefetch0(w + KQuantDecode.PrefetchDistance);
            Sse.Prefetch0(w + KQuantDecode.PrefetchDistance + 64);
            acc0 = Q80Block(w, a, c, s, acc0);
            acc1 = Q80Block(w + 34, a + Block, c + Block, s + 1, acc1);
            acc2 = Q80Block(w + 68, a + (2 * Block), c + (2 * Block), s + 2, acc2);
            acc3 = Q80Block(w + 102, a + (3 * Block), c + (3 * Block), s + 3, acc3);
        }

        for (; s < end; s++, w += 34, a += Block, c += Block)
        {
            acc0 = Q80Block(w, a, c, s, acc0);
        }

        return Simd.Sum((acc0 + acc1) + (acc2 + acc3));
    }

    /// <summary>
    /// One Q8_0 or Q5_0 row · one prepared token in a single pass: each step gathers eight blocks' fp16 scales,
    /// multiplies them by the token's scales (one rounding, as <see cref="Row"/>'s scale pass does) and feeds the eight
    /// blocks from registers, so the row is read once, front to back. Block k goes to accumulator k mod 4 and the blocks
    /// past the last group of four to the first, as in <see cref="DotQ80"/> and <see cref="DotQ50"/>, so the bits are
    /// those of the two-pass path that several tokens take.
    /// </summary>
    private static float DotOnce<T>(byte* w, byte* a, byte* c, int blocks, float* da)
        where T : struct, IStep
    {
        var acc0 = Vector256<float>.Zero;
        var acc1 = Vector256<float>.Zero;
        var acc2 = Vector256<float>.Zero;
        var acc3 = Vector256<float>.Zero;
        var bytes = T.Bytes;
        var index = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) * bytes;
        var b = 0;
        for (; b + 8 <= blocks; b += 8, w += 8 * bytes, a += 8 * Block, c += 8 * Block)
        {
            // Eight blocks are 176 (Q5_0) or 272 (Q8_0) bytes: one request per line.
            Sse.Prefetch0(w + KQuantDecode.PrefetchDistance);
            Sse.Prefetch0(w + KQuantDecode.PrefetchDistance + 64);
            Sse.Prefetch0(w + KQuantDecode.PrefetchDistance + 128);
            if (bytes > 22)
            {
                Sse.Prefetch0(w + KQuantDecode.PrefetchDistance + 192);
                Sse.Prefetch0(w + KQuantDecode.PrefetchDistance + 256);
            }

            var raw = Avx2.GatherVector256((int*)w, index, 1) & Vector256.Create(0xFFFF);
            var p = Simd.HalfToSingle(raw) * Avx.LoadVector256(da + b);
            acc0 = T.Block(w, a, c, Lane(p, 0), acc0);
            acc1 = T.Block(w + bytes, a + Block, c + Block, Lane(p, 1), acc1);
            acc2 = T.Block(w + (2 * bytes), a + (2 * Block), c + (2 * Block), Lane(p, 2), acc2);
            acc3 = T.Block(w + (3 * bytes), a + (3 * Block), c + (3 * Block), Lane(p, 3), acc3);
            acc0 = T.Block(w + (4 * bytes), a + (4 * Block), c + (4 * Block), Lane(p, 4), acc0);
            acc1 = T.Block(w + (5 * bytes), a + (5 * Block), c + (5 * Block), Lane(p, 5), acc1);
            acc2 = T.Block(w + (6 * bytes), a + (6 * Block), c + (6 * Block), Lane(p, 6), acc2);
            acc3 = T.Block(w + (7 * bytes), a + (7 * Block), c + (7 * Block), Lane(p, 7), acc3);
        }

        var tail = blocks - b;
        for (var k = 0; k < tail; k++, w += bytes, a += Block, c += Block)
        {
            var d = Vector256.Create(Simd.Half(*(ushort*)w) * da[b + k]);
            switch (k < (tail & ~3) ? k & 3 : 0)
            {
                case 0: acc0 = T.Block(w, a, c, d, acc0); break;
                case 1: acc1 = T.Block(w, a, c, d, acc1); break;
                case 2: acc2 = T.Block(w, a, c, d, acc2); break;
                default: acc3 = T.Block(w, a, c, d, acc3); break;
            }
        }

        return Simd.Sum((acc0 + acc1) + (acc2 + acc3));
    }

    /// <summary>One block's step of <see cref="DotOnce{T}"/>: acc + block·token × scale.</summary>
    private interface IStep
    {
        static abstract int Bytes { get; }

        static abstract Vector256<float> Block(byte* w, byte* a, byte* c, Vector256<float> scale, Vector256<float> acc);
    }

    private readonly struct Q80Step : IStep
    {
        public static int Bytes => 34;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Block(byte* w, byte* a, byte* c, Vector256<float> scale, Vector256<float> acc) => Q80Block(w, a, c, scale, acc);
    }

    private readonly struct Q50Step : IStep
    {
        public static int Bytes => 22;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Block(byte* w, byte* a, byte* c, Vector256<float> scale, Vector256<float> acc) => Q50Block(w, a, c, scale, acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Q50Block(byte* w, byte* a, byte* c, Vector256<float> scale, Vector256<float> acc)
    {
        var q = Nibbles(Sse2.LoadVector128(w + 6)) | (HighBits(*(uint*)(w + 2)) & Vector256.Create((byte)0x10));
        var dot = Dot4(Avx.LoadVector256((int*)c), q, Avx.LoadVector256((sbyte*)a));
        return Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot), scale, acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Lane(Vector256<float> v, int k) => Avx2.PermuteVar8x32(v, Vector256.Create(k));

    /// <summary>acc + block·token × <paramref name="scale"/>. With AVX-VNNI: (w + 128)·a from lanes holding −128·Σa; otherwise |w|·sign(a, w).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Q80Block(byte* w, byte* a, byte* c, Vector256<float> scale, Vector256<float> acc)
    {
        var q = Avx.LoadVector256(w + 2);
        Vector256<int> dot;
        if (AvxVnni.IsSupported)
        {
            dot = AvxVnni.MultiplyWideningAndAdd(Avx.LoadVector256((int*)c), q ^ Vector256.Create((byte)0x80), Avx.LoadVector256((sbyte*)a));
        }
        else
        {
            var qs = q.AsSByte();
            dot = Dot4(Vector256<int>.Zero, Avx2.Abs(qs), Avx2.Sign(Avx.LoadVector256((sbyte*)a), qs));
        }

        return Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot), scale, acc);
    }

    /// <summary>As the overload above, with the scale at <paramref name="s"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Q80Block(byte* w, byte* a, byte* c, float* s, Vector256<float> acc) => Q80Block(w, a, c, Vector256.Create(*s), acc);

    /// <summary>Σ over <paramref name="blocks"/> blocks of the row at <paramref name="w"/> · the prepared quants <paramref name="a"/> (correction lanes <paramref name="c"/>) times the scale products <paramref name="s"/>.</summary>
    internal static float DotQ40(byte* w, byte* a, byte* c, int blocks, float* s)
    {
        var acc0 = Vector256<float>.Zero;
        var acc1 = Vector256<float>.Zero;
        var acc2 = Vector256<float>.Zero;
        var acc3 = Vector256<float>.Zero;
        var end = s + blocks;
        for (; s + 4 <= end; s += 4, w += 4 * 18, a += 4 * Block, c += 4 * Block)
        {
            Sse.Prefetch0(w + KQuantDecode.PrefetchDistance);
            acc0 = Q40Block(w, a, c, s, acc0);
            acc1 = Q40Block(w + 18, a + Block, c + Block, s + 1, acc1);
            acc2 = Q40Block(w + 36, a + (2 * Block), c + (2 * Block), s + 2, acc2);
            acc3 = Q40Block(w + 54, a + (3 * Block), c + (3 * Block), s + 3, acc3);
        }

        for (; s < end; s++, w += 18, a += Block, c += Block)
        {
            acc0 = Q40Block(w, a, c, s, acc0);
        }

        return Simd.Sum((acc0 + acc1) + (acc2 + acc3));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Q40Block(byte* w, byte* a, byte* c, float* s, Vector256<float> acc)
    {
        var q = Nibbles(Sse2.LoadVector128(w + 2));
        var dot = Dot4(Avx.LoadVector256((int*)c), q, Avx.LoadVector256((sbyte*)a));
        return Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot), Vector256.Create(*s), acc);
    }

    private static float DotQ50(byte* w, byte* a, byte* c, int blocks, float* s)
    {
        var acc0 = Vector256<float>.Zero;
        var acc1 = Vector256<float>.Zero;
        var acc2 = Vector256<float>.Zero;
        var acc3 = Vector256<float>.Zero;
        var end = s + blocks;
        for (; s + 4 <= end; s += 4, w += 4 * 22, a += 4 * Block, c += 4 * Block)
        {
            Sse.Prefetch0(w + KQuantDecode.PrefetchDistance);
            Sse.Prefetch0(w + KQuantDecode.PrefetchDistance + 64);
            acc0 = Q50Block(w, a, c, s, acc0);
            acc1 = Q50Block(w + 22, a + Block, c + Block, s + 1, acc1);
            acc2 = Q50Block(w + 44, a + (2 * Block), c + (2 * Block), s + 2, acc2);
            acc3 = Q50Block(w + 66, a + (3 * Block), c + (3 * Block), s + 3, acc3);
        }

        for (; s < end; s++, w += 22, a += Block, c += Block)
        {
            acc0 = Q50Block(w, a, c, s, acc0);
        }

        return Simd.Sum((acc0 + acc1) + (acc2 + acc3));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Q50Block(byte* w, byte* a, byte* c, float* s, Vector256<float> acc) => Q50Block(w, a, c, Vector256.Create(*s), acc);

    /// <summary>16 packed bytes → 32 nibbles: low nibbles first, then high nibbles (one 16-bit shift, one mask).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Nibbles(Vector128<byte> packed) =>
        Vector256.Create(packed, Sse2.ShiftRightLogical(packed.AsUInt16(), 4).AsByte()) & Vector256.Create((byte)0x0F);

    /// <summary>Bit k of <paramref name="bits"/> → byte k = 0xFF when set, else 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> HighBits(uint bits)
    {
        var spread = Avx2.Shuffle(
            Vector256.Create(bits).AsByte(),
            Vector256.Create((byte)0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3));
        var select = Vector256.Create(0x7FBFDFEFF7FBFDFEUL).AsByte();
        return Vector256.Equals(spread | select, Vector256<byte>.AllBitsSet);
    }
}
