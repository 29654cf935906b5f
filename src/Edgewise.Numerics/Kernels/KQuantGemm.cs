using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Edgewise.Numerics.Kernels;

/// <summary>
/// Prompt batches of Q4_K weights, and of Q6_K with AVX-VNNI (Q6_K's group layout is in KQuantGemm.Q6K.cs); without
/// AVX-VNNI the byte dots are exact <c>vpmaddubsw</c> sums widened by <c>vpmaddwd</c> (see <see cref="Simd.Dot2x4"/>). Q4_K is kept
/// in a run-transposed layout (as <see cref="LegacyGemm"/> does for blocks): int32 lane l of every vector belongs to run l (elements 32l..32l+31) of a super-block, and vector m holds
/// bytes 4m..4m+3 of each run, so eight <c>vpdpbusd</c> steps finish the exact dot of all eight runs at once. The
/// transposition also turns the runs' 6-bit scales and minimums into exact floats scale·d_w and −min·dmin_w, and the
/// activation carries runsum·d_a, so a super-block reaches the float accumulator with one convert, one multiply and
/// two fused multiply-adds per row and token (integer multiplies and per-pair scalar products cost more than the
/// eight <c>vpdpbusd</c> before this); the block-at-a-time kernels pay a multiply-add chain per run. Activation rows are quantized to Q8_K once per call and
/// laid out this way; the weight rows of a chunk are unpacked and transposed into scratch once, then each group of
/// four tokens (kept in L1) meets every row of the chunk, which streams from L2. The register tile is two weight rows
/// × four tokens. Every product has the same float chain whichever
/// kernel runs it, so a token's results do not depend on where it falls in the tiles (they may differ in the last
/// bits from the single-token kernels, which sum the runs in a different lane order).
/// </summary>
internal static unsafe partial class KQuantGemm
{
    private const int Q8KBytes = 292;
    private const int Q4KBytes = 144;
    private const int ActivationGroupBytes = 320;
    private const int WeightGroupBytes = 352;

    /// <summary>Bytes of one prepared Q6_K super-block, weights and activations alike.</summary>
    private const int GroupBytes = 352;

    /// <summary>Whether this CPU runs these kernels: AVX2 with FMA, with AVX-VNNI's <c>vpdpbusd</c> where present (see <see cref="Simd.Dot2x4"/>).</summary>
    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

    /// <summary>
    /// Whether <paramref name="type"/> has a kernel here: Q4_K, and Q6_K with AVX-VNNI (without it, Q6_K's 6-bit quants
    /// allow only two <c>vpmaddubsw</c> steps per widening, and <see cref="KQuantMatVec"/>'s tiles measured faster).
    /// </summary>
    public static bool Handles(TensorType type) => type is TensorType.Q4_K || (type is TensorType.Q6_K && AvxVnni.IsSupported);

    /// <summary>Bytes of one prepared activation row of <paramref name="cols"/> elements (a multiple of 256) for <paramref name="type"/>.</summary>
    public static int PreparedBytes(TensorType type, int cols) => (cols / 256) * (type == TensorType.Q6_K ? GroupBytes : ActivationGroupBytes);

    /// <summary>Bytes of scratch <see cref="Rows"/> needs for <paramref name="rows"/> rows of <paramref name="blocks"/> super-blocks.</summary>
    public static int ScratchBytes(int blocks, int rows) => checked(rows * blocks * WeightGroupBytes);

    /// <summary>
    /// Quantizes one activation row to Q8_K (as <see cref="VecDot.ConvertActivations"/> does) and lays it out as the
    /// kernel for <paramref name="type"/> reads it.
    /// </summary>
    public static void Prepare(TensorType type, ReadOnlySpan<float> input, byte* destination, Span<byte> q8k)
    {
        if (type == TensorType.Q6_K)
        {
            PrepareQ6K(input, destination, q8k);
        }
        else
        {
            PrepareQ4K(input, destination, q8k);
        }
    }

    /// <summary>Q4_K's activation layout by super-block: eight vectors of quants, the eight run sums times d_a as floats, d_a in eight lanes.</summary>
    private static void PrepareQ4K(ReadOnlySpan<float> input, byte* destination, Span<byte> q8k)
    {
        var blocks = input.Length / 256;
        VecDot.ConvertActivations(TensorType.Q4_K, input, q8k);
        fixed (byte* src0 = q8k)
        {
            for (var b = 0; b < blocks; b++, destination += ActivationGroupBytes)
            {
                var src = src0 + (b * Q8KBytes);
                var q = src + 4;
                Transpose8(
                    Avx.LoadVector256(q), Avx.LoadVector256(q + 32), Avx.LoadVector256(q + 64), Avx.LoadVector256(q + 96),
                    Avx.LoadVector256(q + 128), Avx.LoadVector256(q + 160), Avx.LoadVector256(q + 192), Avx.LoadVector256(q + 224),
                    destination);
                var bsums = (short*)(src + 260);
                var da = *(float*)src;
                var sums = (float*)(destination + 256);
                for (var l = 0; l < 8; l++)
                {
                    sums[l] = (bsums[2 * l] + bsums[(2 * l) + 1]) * da;
                }

                Vector256.Create(da).Store((float*)(destination + 288));
            }
        }
    }

    /// <summary>
    /// output[t·<paramref name="outStride"/> + r] for r in [<paramref name="r0"/>, <paramref name="r1"/>) and every
    /// token t &lt; <paramref name="tokens"/>, from activation rows made by <see cref="Prepare"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows(
        TensorType type, byte* weights, long rowBytes, int r0, int r1, int blocks, byte* activations, int actStride, int tokens, float* output, long outStride, byte* scratch)
    {
        var q6 = type == TensorType.Q6_K;
        var stride = blocks * WeightGroupBytes;
        var count = r1 - r0;
        for (var i = 0; i < count; i++)
        {
            Transpose(q6, weights + ((r0 + i) * rowBytes), blocks, scratch + (i * stride));
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
                var w = scratch + (r * stride);
                if (q6)
                {
                    TileQ6K(w, w + stride, blocks, a, actStride, y + r, outStride);
                }
                else
                {
                    Tile(w, w + stride, blocks, a, actStride, y + r, outStride);
                }
            }

            if (r < count)
            {
                for (var j = 0; j < 4; j++)
                {
                    y[(j * outStride) + r] = Dot(q6, scratch + (r * stride), blocks, a + (j * actStride));
                }
            }
        }

        for (; t < tokens; t++)
        {
            var a = activations + ((long)t * actStride);
            for (var r = 0; r < count; r++)
            {
                output[(t * outStride) + r] = Dot(q6, scratch + (r * stride), blocks, a);
            }
        }
    }

    /// <summary>One transposed weight row · one prepared token with its type's chain.</summary>
    private static float Dot(bool q6, byte* w, int blocks, byte* a) => q6 ? DotQ6K(w, blocks, a) : Dot(w, blocks, a);

    /// <summary>One weight row into its type's layout.</summary>
    private static void Transpose(bool q6, byte* row, int blocks, byte* destination)
    {
        if (q6)
        {
            TransposeQ6K(row, blocks, destination);
        }
        else
        {
            Transpose(row, blocks, destination);
        }
    }

    /// <summary>
    /// One Q4_K row into the run layout: eight vectors of nibbles, then per run scale·d and −min·dmin as floats (both
    /// exact: a 6-bit integer times an fp16 value).
    /// </summary>
    private static void Transpose(byte* row, int blocks, byte* destination)
    {
        var mask = Vector256.Create((byte)0x0F);
        for (var b = 0; b < blocks; b++, row += Q4KBytes, destination += WeightGroupBytes)
        {
            var q0 = Avx.LoadVector256(row + 16);
            var q1 = Avx.LoadVector256(row + 48);
            var q2 = Avx.LoadVector256(row + 80);
            var q3 = Avx.LoadVector256(row + 112);
            Transpose8(
                q0 & mask, Avx2.ShiftRightLogical(q0.AsUInt16(), 4).AsByte() & mask,
                q1 & mask, Avx2.ShiftRightLogical(q1.AsUInt16(), 4).AsByte() & mask,
                q2 & mask, Avx2.ShiftRightLogical(q2.AsUInt16(), 4).AsByte() & mask,
                q3 & mask, Avx2.ShiftRightLogical(q3.AsUInt16(), 4).AsByte() & mask,
                destination);
            var sm = Q4KDot.ScalesAndMins(ref Unsafe.AsRef<byte>(row + 4));
            var d = Vector256.Create(Simd.Half(*(ushort*)row));
            var dmin = Vector256.Create(Simd.Half(*(ushort*)(row + 2)));
            (Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(sm)) * d).Store((float*)(destination + 256));
            (-(Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(Sse2.ShiftRightLogical128BitLane(sm, 8))) * dmin)).Store((float*)(destination + 288));
        }
    }

    /// <summary>Stores vector m = (int32 lane m of u0, …, of u7) at <paramref name="destination"/> + 32·m: an 8 × 8 transpose of int32 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8(
        Vector256<byte> u0, Vector256<byte> u1, Vector256<byte> u2, Vector256<byte> u3,
        Vector256<byte> u4, Vector256<byte> u5, Vector256<byte> u6, Vector256<byte> u7, byte* destination) =>
        LegacyGemm.Transpose8(u0, u1, u2, u3, u4, u5, u6, u7, destination);

    /// <summary>Two transposed weight rows × four prepared tokens, all super-blocks; results to y[j·outStride + i].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile(byte* w0, byte* w1, int blocks, byte* a0, int actStride, float* y, long outStride)
    {
        var a1 = a0 + actStride;
        var a2 = a1 + actStride;
        var a3 = a2 + actStride;
        Vector256<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector256<float> c10 = default, c11 = default, c12 = default, c13 = default;
        for (var b = 0; b < blocks; b++)
        {
            Vector256<int> i00 = default, i01 = default, i02 = default, i03 = default;
            Vector256<int> i10 = default, i11 = default, i12 = default, i13 = default;
            Simd.Dot2x4(w0, w1, a0, a1, a2, a3, 0, 256, 256, ref i00, ref i10, ref i01, ref i11, ref i02, ref i12, ref i03, ref i13);

            var s0 = Avx.LoadVector256((float*)(w0 + 256));
            var s1 = Avx.LoadVector256((float*)(w1 + 256));
            var m0 = Avx.LoadVector256((float*)(w0 + 288));
            var m1 = Avx.LoadVector256((float*)(w1 + 288));
            Finish2(i00, i10, s0, s1, m0, m1, a0, ref c00, ref c10);
            Finish2(i01, i11, s0, s1, m0, m1, a1, ref c01, ref c11);
            Finish2(i02, i12, s0, s1, m0, m1, a2, ref c02, ref c12);
            Finish2(i03, i13, s0, s1, m0, m1, a3, ref c03, ref c13);
            w0 += WeightGroupBytes;
            w1 += WeightGroupBytes;
            a0 += ActivationGroupBytes;
            a1 += ActivationGroupBytes;
            a2 += ActivationGroupBytes;
            a3 += ActivationGroupBytes;
        }

        Simd.StoreTile2x4(y, outStride, c00, c10, c01, c11, c02, c12, c03, c13);
    }

    /// <summary>One transposed weight row · one prepared token, the same chain as <see cref="Tile"/>.</summary>
    private static float Dot(byte* w, int blocks, byte* a)
    {
        var acc = Vector256<float>.Zero;
        for (var b = 0; b < blocks; b++, w += WeightGroupBytes, a += ActivationGroupBytes)
        {
            var i = Simd.DotBytes(Vector256<int>.Zero, w, a, 0, 256, 256);

            acc = Finish(i, w, a, acc);
        }

        return Simd.Sum(acc);
    }

    /// <summary>
    /// acc + dot_l·(scale_l·d_w)·d_a + (−min_l·dmin_w)·(runsum_l·d_a), lane by lane: one multiply and two fused
    /// multiply-adds per row and token (the run factors are exact floats made by <see cref="Transpose(byte*, int, byte*)"/>,
    /// the activation's runsum·d_a is rounded once by <see cref="Prepare"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Finish(Vector256<int> dot, byte* w, byte* a, Vector256<float> acc)
    {
        acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot), Avx.LoadVector256((float*)(w + 256)) * Avx.LoadVector256((float*)(a + 288)), acc);
        return Fma.MultiplyAdd(Avx.LoadVector256((float*)(w + 288)), Avx.LoadVector256((float*)(a + 256)), acc);
    }

    /// <summary><see cref="Finish"/> for two rows (run factors already loaded) and one token.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish2(
        Vector256<int> dot0, Vector256<int> dot1, Vector256<float> s0, Vector256<float> s1, Vector256<float> m0, Vector256<float> m1, byte* a,
        ref Vector256<float> c0, ref Vector256<float> c1)
    {
        var da = Avx.LoadVector256((float*)(a + 288));
        var sums = Avx.LoadVector256((float*)(a + 256));
        c0 = Fma.MultiplyAdd(m0, sums, Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot0), s0 * da, c0));
        c1 = Fma.MultiplyAdd(m1, sums, Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot1), s1 * da, c1));
    }
}
