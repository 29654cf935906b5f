using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Edgewise.Numerics.Kernels;

/// <summary>
/// Prompt batches of Q8_0, Q4_0 and Q5_0 weights (AVX2 with FMA; <c>vpdpbusd</c> where AVX-VNNI has it, else exact
/// <c>vpmaddubsw</c> sums widened by <c>vpmaddwd</c>, see <see cref="Simd.Dot2x4"/>), in a block-transposed layout: blocks are taken eight
/// at a time (a group), and int32 lane l of every vector belongs to block l of the group. Vector m of a group holds
/// bytes 4m..4m+3 of each of its eight blocks, so eight <c>vpdpbusd</c> steps finish the exact integer dot of all
/// eight blocks at once, and one int→float convert, one multiply (d_w·d_a of the eight blocks) and one fused
/// multiply-add then cover eight blocks, where the block-at-a-time kernels pay those three per block.
/// Activation rows are prepared once per call into this layout (quants, then −k·Σ quants per block as the starting
/// lanes, then the float scales); the weight rows of a chunk are unpacked and transposed into scratch once, then
/// each group of four tokens (whose prepared rows stay in L1) meets every row of the chunk, so the rows stream from
/// L2 at two loads per eight <c>vpdpbusd</c> where streaming the tokens would take four. The register tile is two
/// weight rows × four tokens (eight integer and eight float accumulators; the VEX-encoded <c>vpdpbusd</c> reaches
/// only sixteen registers). Every product has the same float chain (lane l
/// accumulates blocks l, l + 8, …; one horizontal sum at the end) whichever kernel runs it, so a token's results do
/// not depend on where it falls in the tiles; padding lanes are zero quants with zero scales and add exact zeros.
/// </summary>
internal static unsafe class LegacyGemm
{
    private const int Block = 32;
    private const int GroupBlocks = 8;
    private const int ActivationGroupBytes = 320;
    private const int WeightGroupBytes = 288;

    /// <summary>
    /// Whether this CPU runs these kernels: AVX2 with FMA, and <c>vpdpbusd</c> where AVX-VNNI has it; without it each
    /// step is exact <c>vpmaddubsw</c> products summed in 16 bits over as many steps as cannot overflow, then one
    /// <c>vpmaddwd</c> (see <see cref="Simd.Dot2x4"/>).
    /// </summary>
    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

    /// <summary>Bytes of one prepared activation row of <paramref name="cols"/> elements (a multiple of 64).</summary>
    public static int PreparedBytes(int cols) => Groups(cols / Block) * ActivationGroupBytes;

    /// <summary>Bytes of scratch <see cref="Rows"/> needs for <paramref name="rows"/> rows of <paramref name="blocks"/> blocks.</summary>
    public static int ScratchBytes(int blocks, int rows) => checked(((rows + (rows / 2)) * Groups(blocks) * WeightGroupBytes) + (blocks * sizeof(float)));

    /// <summary>
    /// Quantizes one activation row as ggml does for Q8_0 (see <see cref="Quantize.ActivationRow"/>) and lays it out
    /// by groups for <paramref name="weightType"/>: eight vectors of quants, the starting lanes −k·Σ quants (k as in
    /// <see cref="LegacyMatVec.Offset"/>; for Q8_0, whose quants are stored here plus 128 on every CPU, 128 with AVX-VNNI
    /// and 0 without, where the kernels multiply the signed quants), the float scales; lanes past the last block are zero.
    /// </summary>
    public static void Prepare(TensorType weightType, ReadOnlySpan<float> input, byte* destination, Span<byte> q80)
    {
        var blocks = input.Length / Block;
        Quantize.ActivationRow(TensorType.Q8_0, input, q80);
        var offset = Vector256.Create(weightType == TensorType.Q8_0 ? (AvxVnni.IsSupported ? -128 : 0) : -LegacyMatVec.Offset(weightType));
        var ones = Vector256.Create((byte)1);
        var u = stackalloc Vector256<byte>[GroupBlocks];
        fixed (byte* src0 = q80)
        {
            for (var b0 = 0; b0 < blocks; b0 += GroupBlocks, destination += ActivationGroupBytes)
            {
                var scales = (float*)(destination + 288);
                for (var l = 0; l < GroupBlocks; l++)
                {
                    var src = src0 + ((b0 + l) * 34);
                    u[l] = b0 + l < blocks ? Avx.LoadVector256(src + 2) : Vector256<byte>.Zero;
                    scales[l] = b0 + l < blocks ? Simd.Half(*(ushort*)src) : 0;
                }

                Transpose8(u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], destination);
                var sums = Vector256<int>.Zero;
                for (var m = 0; m < 256; m += 32)
                {
                    sums = LegacyMatVec.Dot4(sums, ones, Avx.LoadVector256((sbyte*)(destination + m)));
                }

                Avx2.MultiplyLow(sums, offset).Store((int*)(destination + 256));
            }
        }
    }

    /// <summary>
    /// output[t·<paramref name="outStride"/> + r] for r in [<paramref name="r0"/>, <paramref name="r1"/>) and every
    /// token t &lt; <paramref name="tokens"/>, from activation rows made by <see cref="Prepare"/>; Q4_0, Q5_0 and Q8_0
    /// weights may be in the <see cref="WeightLayout.BlockGroups"/> layout, whose groups need no transposition.
    /// </summary>
    public static void Rows(
        TensorType type, byte* weights, long rowBytes, int r0, int r1, int blocks, byte* activations, int actStride, int tokens,
        float* output, long outStride, byte* scratch, WeightLayout layout = WeightLayout.Stored)
    {
        switch (type)
        {
            case TensorType.Q8_0:
                Rows<LegacyBlocks.Q80>(
                    weights, rowBytes, r0, r1, blocks, activations, actStride, tokens, output, outStride, scratch, layout == WeightLayout.BlockGroups);
                break;
            case TensorType.Q4_0:
                Rows<LegacyBlocks.Q40>(
                    weights, rowBytes, r0, r1, blocks, activations, actStride, tokens, output, outStride, scratch, layout == WeightLayout.BlockGroups);
                break;
            default:
                Rows<LegacyBlocks.Q50>(
                    weights, rowBytes, r0, r1, blocks, activations, actStride, tokens, output, outStride, scratch, layout == WeightLayout.BlockGroups);
                break;
        }
    }

    private static int Groups(int blocks) => (blocks + GroupBlocks - 1) / GroupBlocks;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows<TFormat>(
        byte* weights, long rowBytes, int r0, int r1, int blocks, byte* activations, int actStride, int tokens, float* output, long outStride, byte* scratch,
        bool grouped)
        where TFormat : struct, LegacyBlocks.IBlockFormat
    {
        var groups = Groups(blocks);
        var stride = groups * WeightGroupBytes;
        var count = r1 - r0;
        var packed = PacksTail(blocks);
        var full = packed ? groups - 1 : groups;
        var tails = scratch + (count * stride);
        var scales = (float*)(tails + (packed ? (count / 2) * WeightGroupBytes : 0));
        // The transposition below is the first touch of the chunk's weights, so it streams them from memory; with a few
        // tokens per call (batched decode) that stream, not the tiles, sets the pace, and it needs asking ahead as the
        // single-token kernels do (prefetches never fault, so reading ahead past the last row is harmless).
        if (!grouped)
        {
            KQuantDecode.PrefetchStart(weights + (r0 * rowBytes), count * rowBytes);
        }

        for (var i = 0; i < count; i++)
        {
            if (grouped)
            {
                BlockGroups.Expand(TFormat.Type, weights + ((r0 + i) * rowBytes), blocks, scratch + (i * stride), WeightGroupBytes);
            }
            else
            {
                Transpose<TFormat>(weights + ((r0 + i) * rowBytes), blocks, scratch + (i * stride), scales);
            }
        }

        if (packed)
        {
            for (var i = 0; i + 2 <= count; i += 2)
            {
                var last = scratch + (i * stride) + (full * WeightGroupBytes);
                PackTails(last, last + stride, tails + ((i / 2) * WeightGroupBytes));
            }
        }

        output += r0;
        var t = 0;
        for (; t + 4 <= tokens; t += 4)
        {
            var a = activations + ((long)t * actStride);
            var y = output + (t * outStride);
            var r = 0;
            for (; r + 2 <= count; r += 2)
            {
                var tail = packed ? tails + ((r / 2) * WeightGroupBytes) : null;
                Tile(scratch + (r * stride), scratch + ((r + 1) * stride), full, tail, a, actStride, y + r, outStride, TFormat.PairSpan);
            }

            if (r < count)
            {
                for (var j = 0; j < 4; j++)
                {
                    y[(j * outStride) + r] = Dot(scratch + (r * stride), groups, a + (j * actStride), TFormat.PairSpan);
                }
            }
        }

        for (; t < tokens; t++)
        {
            var a = activations + ((long)t * actStride);
            for (var r = 0; r < count; r++)
            {
                output[(t * outStride) + r] = Dot(scratch + (r * stride), groups, a, TFormat.PairSpan);
            }
        }
    }

    /// <summary>Whether the last group of a row is at most half full, so two rows' last groups share one group (see <see cref="PackTails"/>).</summary>
    private static bool PacksTail(int blocks) => (blocks % GroupBlocks) is > 0 and <= GroupBlocks / 2;

    /// <summary>
    /// The low halves (lanes 0..3) of two rows' last groups, quants and scales, into one group: lanes 0..3 from
    /// <paramref name="last0"/>, lanes 4..7 from <paramref name="last1"/>; <see cref="Tile"/> meets it with each token's
    /// last group broadcast to both halves.
    /// </summary>
    private static void PackTails(byte* last0, byte* last1, byte* destination)
    {
        for (var m = 0; m < WeightGroupBytes; m += 32)
        {
            Avx2.Permute2x128(Avx.LoadVector256(last0 + m), Avx.LoadVector256(last1 + m), 0x20).Store(destination + m);
        }
    }

    /// <summary>One weight row, unpacked to unsigned quants, into the group layout: eight vectors of quants, then the float scales; padding zero.</summary>
    private static void Transpose<TFormat>(byte* row, int blocks, byte* destination, float* scales)
        where TFormat : struct, LegacyBlocks.IBlockFormat
    {
        LegacyMatVec.ConvertScales(row, TFormat.Bytes, blocks, scales);
        var b = 0;
        for (; b + GroupBlocks <= blocks; b += GroupBlocks, destination += WeightGroupBytes)
        {
            var w = row + (b * TFormat.Bytes);
            for (var line = 0; line < GroupBlocks * TFormat.Bytes; line += 64)
            {
                Sse.Prefetch0(w + KQuantDecode.PrefetchDistance + line);
            }

            Transpose8(
                TFormat.Unpack(w), TFormat.Unpack(w + TFormat.Bytes), TFormat.Unpack(w + (2 * TFormat.Bytes)), TFormat.Unpack(w + (3 * TFormat.Bytes)),
                TFormat.Unpack(w + (4 * TFormat.Bytes)), TFormat.Unpack(w + (5 * TFormat.Bytes)), TFormat.Unpack(w + (6 * TFormat.Bytes)), TFormat.Unpack(w + (7 * TFormat.Bytes)),
                destination);
            Avx.LoadVector256(scales + b).Store((float*)(destination + 256));
        }

        if (b < blocks)
        {
            var u = stackalloc Vector256<byte>[GroupBlocks];
            var d = (float*)(destination + 256);
            for (var l = 0; l < GroupBlocks; l++, b++)
            {
                u[l] = b < blocks ? TFormat.Unpack(row + (b * TFormat.Bytes)) : Vector256<byte>.Zero;
                d[l] = b < blocks ? scales[b] : 0;
            }

            Transpose8(u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], destination);
        }
    }

    /// <summary>Stores vector m = (int32 lane m of u0, …, of u7) at <paramref name="destination"/> + 32·m: an 8 × 8 transpose of int32 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Transpose8(
        Vector256<byte> u0, Vector256<byte> u1, Vector256<byte> u2, Vector256<byte> u3,
        Vector256<byte> u4, Vector256<byte> u5, Vector256<byte> u6, Vector256<byte> u7, byte* destination)
    {
        var t0 = Avx2.UnpackLow(u0.AsInt32(), u1.AsInt32()).AsInt64();
        var t1 = Avx2.UnpackHigh(u0.AsInt32(), u1.AsInt32()).AsInt64();
        var t2 = Avx2.UnpackLow(u2.AsInt32(), u3.AsInt32()).AsInt64();
        var t3 = Avx2.UnpackHigh(u2.AsInt32(), u3.AsInt32()).AsInt64();
        var t4 = Avx2.UnpackLow(u4.AsInt32(), u5.AsInt32()).AsInt64();
        var t5 = Avx2.UnpackHigh(u4.AsInt32(), u5.AsInt32()).AsInt64();
        var t6 = Avx2.UnpackLow(u6.AsInt32(), u7.AsInt32()).AsInt64();
        var t7 = Avx2.UnpackHigh(u6.AsInt32(), u7.AsInt32()).AsInt64();
        var s0 = Avx2.UnpackLow(t0, t2);
        var s1 = Avx2.UnpackHigh(t0, t2);
        var s2 = Avx2.UnpackLow(t1, t3);
        var s3 = Avx2.UnpackHigh(t1, t3);
        var s4 = Avx2.UnpackLow(t4, t6);
        var s5 = Avx2.UnpackHigh(t4, t6);
        var s6 = Avx2.UnpackLow(t5, t7);
        var s7 = Avx2.UnpackHigh(t5, t7);
        var d = (long*)destination;
        Avx2.Permute2x128(s0, s4, 0x20).Store(d);
        Avx2.Permute2x128(s1, s5, 0x20).Store(d + 4);
        Avx2.Permute2x128(s2, s6, 0x20).Store(d + 8);
        Avx2.Permute2x128(s3, s7, 0x20).Store(d + 12);
        Avx2.Permute2x128(s0, s4, 0x31).Store(d + 16);
        Avx2.Permute2x128(s1, s5, 0x31).Store(d + 20);
        Avx2.Permute2x128(s2, s6, 0x31).Store(d + 24);
        Avx2.Permute2x128(s3, s7, 0x31).Store(d + 28);
    }

    /// <summary>
    /// Two transposed weight rows × four prepared tokens, the first <paramref name="groups"/> groups, then (when
    /// <paramref name="tail"/> is not null) the rows' last groups packed by <see cref="PackTails"/>; results to
    /// y[j·outStride + i]. The packed group adds to lanes 0..3 of each row's accumulators exactly what the half-empty
    /// groups would (their lanes 4..7 only add zeros), with half the <c>vpdpbusd</c> steps.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile(byte* w0, byte* w1, int groups, byte* tail, byte* a0, int actStride, float* y, long outStride, int span)
    {
        var a1 = a0 + actStride;
        var a2 = a1 + actStride;
        var a3 = a2 + actStride;
        Vector256<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector256<float> c10 = default, c11 = default, c12 = default, c13 = default;
        for (var g = 0; g < groups; g++)
        {
            var i00 = Starts(a0);
            var i01 = Starts(a1);
            var i02 = Starts(a2);
            var i03 = Starts(a3);
            var i10 = i00;
            var i11 = i01;
            var i12 = i02;
            var i13 = i03;
            Simd.Dot2x4(w0, w1, a0, a1, a2, a3, 0, 256, span, ref i00, ref i10, ref i01, ref i11, ref i02, ref i12, ref i03, ref i13);

            var d0 = Avx.LoadVector256((float*)(w0 + 256));
            var d1 = Avx.LoadVector256((float*)(w1 + 256));
            var e = Scales(a0);
            c00 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(i00), d0 * e, c00);
            c10 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(i10), d1 * e, c10);
            e = Scales(a1);
            c01 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(i01), d0 * e, c01);
            c11 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(i11), d1 * e, c11);
            e = Scales(a2);
            c02 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(i02), d0 * e, c02);
            c12 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(i12), d1 * e, c12);
            e = Scales(a3);
            c03 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(i03), d0 * e, c03);
            c13 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(i13), d1 * e, c13);
            w0 += WeightGroupBytes;
            w1 += WeightGroupBytes;
            a0 += ActivationGroupBytes;
            a1 += ActivationGroupBytes;
            a2 += ActivationGroupBytes;
            a3 += ActivationGroupBytes;
        }

        if (tail != null)
        {
            var i0 = Avx2.BroadcastVector128ToVector256((int*)(a0 + 256));
            var i1 = Avx2.BroadcastVector128ToVector256((int*)(a1 + 256));
            var i2 = Avx2.BroadcastVector128ToVector256((int*)(a2 + 256));
            var i3 = Avx2.BroadcastVector128ToVector256((int*)(a3 + 256));
            for (var m = 0; m < 256; m += 32)
            {
                var u = Avx.LoadVector256(tail + m);
                i0 = TailStep(i0, u, a0 + m, span);
                i1 = TailStep(i1, u, a1 + m, span);
                i2 = TailStep(i2, u, a2 + m, span);
                i3 = TailStep(i3, u, a3 + m, span);
            }

            var d = Avx.LoadVector256((float*)(tail + 256));
            FinishPair(i0, d, a0, ref c00, ref c10);
            FinishPair(i1, d, a1, ref c01, ref c11);
            FinishPair(i2, d, a2, ref c02, ref c12);
            FinishPair(i3, d, a3, ref c03, ref c13);
        }

        Simd.StoreTile2x4(y, outStride, c00, c10, c01, c11, c02, c12, c03, c13);
    }

    /// <summary>
    /// One token's packed last group into lanes 0..3 of both rows' accumulators: lane by lane the same convert, scale
    /// product and fused multiply-add as a whole group.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FinishPair(Vector256<int> dot, Vector256<float> d, byte* group, ref Vector256<float> c0, ref Vector256<float> c1)
    {
        var x = Avx.ConvertToVector256Single(dot);
        var p = d * Avx.BroadcastVector128ToVector256((float*)(group + 288));
        c0 = c0.WithLower(Fma.MultiplyAdd(x.GetLower(), p.GetLower(), c0.GetLower()));
        c1 = c1.WithLower(Fma.MultiplyAdd(x.GetUpper(), p.GetUpper(), c1.GetLower()));
    }

    /// <summary>
    /// One step of the packed last groups: i + u · (16 activation bytes at <paramref name="a"/> in both halves), each
    /// product widened at once (Q8_0 without AVX-VNNI: the signed quants' products, as <see cref="Simd.DotBytes"/> with span 0).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> TailStep(Vector256<int> i, Vector256<byte> u, byte* a, int span)
    {
        var x = Avx2.BroadcastVector128ToVector256((sbyte*)a);
        if (AvxVnni.IsSupported)
        {
            return AvxVnni.MultiplyWideningAndAdd(i, u, x);
        }

        if (span == 0)
        {
            return Simd.SignedStep(i, u, x);
        }

        return LegacyMatVec.Dot4(i, u, x);
    }

    /// <summary>One transposed weight row · one prepared token, the same chain as <see cref="Tile"/>.</summary>
    private static float Dot(byte* w, int groups, byte* a, int span)
    {
        var acc = Vector256<float>.Zero;
        for (var g = 0; g < groups; g++, w += WeightGroupBytes, a += ActivationGroupBytes)
        {
            var i = Simd.DotBytes(Starts(a), w, a, 0, 256, span);

            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(i), Avx.LoadVector256((float*)(w + 256)) * Scales(a), acc);
        }

        return Simd.Sum(acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Starts(byte* group) => Avx.LoadVector256((int*)(group + 256));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Scales(byte* group) => Avx.LoadVector256((float*)(group + 288));
}
