using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Edgewise.Numerics.Kernels;

/// <summary>
/// The Q6_K half of the prompt-batch kernels, in a group-transposed layout: Q6_K's scales cover groups of 16 quants,
/// so int32 lane l of the first four vectors of a super-block belongs to group l and of the last four to group 8 + l,
/// vector m holding bytes 4m..4m+3 (mod 16) of each group. Four <c>vpdpbusd</c> steps finish the exact dots of eight
/// groups of the unsigned 6-bit quants; the offset of 32 is taken out exactly per group (dot − 32·bsum, the Q8_K
/// activations' 16-element sums), one exact 32-bit multiply applies the signed scales, and one fused multiply-add
/// by d_w·d_a takes each half super-block into the float accumulator.
/// </summary>
internal static unsafe partial class KQuantGemm
{
    private const int Q6KBytes = 210;

    /// <summary>Quantizes one activation row to Q8_K and lays it out by 16-element group: eight vectors of quants, 32·bsum per group as int32 lanes, the float scale.</summary>
    private static void PrepareQ6K(ReadOnlySpan<float> input, byte* destination, Span<byte> q8k)
    {
        var blocks = input.Length / 256;
        VecDot.ConvertActivations(TensorType.Q6_K, input, q8k);
        fixed (byte* src0 = q8k)
        {
            for (var b = 0; b < blocks; b++, destination += GroupBytes)
            {
                var src = src0 + (b * Q8KBytes);
                var q = src + 4;
                TransposeGroups(
                    Avx.LoadVector256(q), Avx.LoadVector256(q + 32), Avx.LoadVector256(q + 64), Avx.LoadVector256(q + 96),
                    Avx.LoadVector256(q + 128), Avx.LoadVector256(q + 160), Avx.LoadVector256(q + 192), Avx.LoadVector256(q + 224),
                    destination);
                var bsums = (short*)(src + 260);
                Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(Sse2.LoadVector128(bsums)), 5).Store((int*)(destination + 256));
                Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(Sse2.LoadVector128(bsums + 8)), 5).Store((int*)(destination + 288));
                *(float*)(destination + 320) = *(float*)src;
            }
        }
    }

    /// <summary>One Q6_K row into the group layout: eight vectors of 6-bit quants (0..63), the signed scales as int32 lanes, d.</summary>
    private static void TransposeQ6K(byte* row, int blocks, byte* destination)
    {
        var low = Vector256.Create((byte)0x0F);
        var high = Vector256.Create((byte)0x30);
        for (var b = 0; b < blocks; b++, row += Q6KBytes, destination += GroupBytes)
        {
            var l0 = Avx.LoadVector256(row);
            var l1 = Avx.LoadVector256(row + 32);
            var h0 = Avx.LoadVector256(row + 128);
            var l2 = Avx.LoadVector256(row + 64);
            var l3 = Avx.LoadVector256(row + 96);
            var h1 = Avx.LoadVector256(row + 160);
            TransposeGroups(
                (l0 & low) | (Avx2.ShiftLeftLogical(h0.AsUInt16(), 4).AsByte() & high),
                (l1 & low) | (Avx2.ShiftLeftLogical(h0.AsUInt16(), 2).AsByte() & high),
                (Avx2.ShiftRightLogical(l0.AsUInt16(), 4).AsByte() & low) | (h0 & high),
                (Avx2.ShiftRightLogical(l1.AsUInt16(), 4).AsByte() & low) | (Avx2.ShiftRightLogical(h0.AsUInt16(), 2).AsByte() & high),
                (l2 & low) | (Avx2.ShiftLeftLogical(h1.AsUInt16(), 4).AsByte() & high),
                (l3 & low) | (Avx2.ShiftLeftLogical(h1.AsUInt16(), 2).AsByte() & high),
                (Avx2.ShiftRightLogical(l2.AsUInt16(), 4).AsByte() & low) | (h1 & high),
                (Avx2.ShiftRightLogical(l3.AsUInt16(), 4).AsByte() & low) | (Avx2.ShiftRightLogical(h1.AsUInt16(), 2).AsByte() & high),
                destination);
            Avx2.ConvertToVector256Int32((sbyte*)(row + 192)).Store((int*)(destination + 256));
            Avx2.ConvertToVector256Int32((sbyte*)(row + 200)).Store((int*)(destination + 288));
            *(float*)(destination + 320) = Simd.Half(*(ushort*)(row + 208));
        }
    }

    /// <summary>
    /// Eight runs of 32 quants (r0..r7, in element order) into the group layout: u_l holds group l then group 8 + l,
    /// so the 8 × 8 int32 transpose puts groups 0..7 in vectors 0..3 and groups 8..15 in vectors 4..7.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TransposeGroups(
        Vector256<byte> r0, Vector256<byte> r1, Vector256<byte> r2, Vector256<byte> r3,
        Vector256<byte> r4, Vector256<byte> r5, Vector256<byte> r6, Vector256<byte> r7, byte* destination) =>
        LegacyGemm.Transpose8(
            Avx2.Permute2x128(r0, r4, 0x20), Avx2.Permute2x128(r0, r4, 0x31),
            Avx2.Permute2x128(r1, r5, 0x20), Avx2.Permute2x128(r1, r5, 0x31),
            Avx2.Permute2x128(r2, r6, 0x20), Avx2.Permute2x128(r2, r6, 0x31),
            Avx2.Permute2x128(r3, r7, 0x20), Avx2.Permute2x128(r3, r7, 0x31),
            destination);

    /// <summary>Two transposed Q6_K weight rows × four prepared tokens, all super-blocks; results to y[j·outStride + i].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TileQ6K(byte* w0, byte* w1, int blocks, byte* a0, int actStride, float* y, long outStride)
    {
        var a1 = a0 + actStride;
        var a2 = a1 + actStride;
        var a3 = a2 + actStride;
        Vector256<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector256<float> c10 = default, c11 = default, c12 = default, c13 = default;
        for (var b = 0; b < blocks; b++)
        {
            for (var h = 0; h < 256; h += 128)
            {
                Vector256<int> i00 = default, i01 = default, i02 = default, i03 = default;
                Vector256<int> i10 = default, i11 = default, i12 = default, i13 = default;
                Simd.Dot2x4(w0, w1, a0, a1, a2, a3, h, h + 128, 64, ref i00, ref i10, ref i01, ref i11, ref i02, ref i12, ref i03, ref i13);

                var s = 256 + (h / 4);
                c00 = FinishQ6K(i00, w0, a0, s, c00);
                c10 = FinishQ6K(i10, w1, a0, s, c10);
                c01 = FinishQ6K(i01, w0, a1, s, c01);
                c11 = FinishQ6K(i11, w1, a1, s, c11);
                c02 = FinishQ6K(i02, w0, a2, s, c02);
                c12 = FinishQ6K(i12, w1, a2, s, c12);
                c03 = FinishQ6K(i03, w0, a3, s, c03);
                c13 = FinishQ6K(i13, w1, a3, s, c13);
            }

            w0 += GroupBytes;
            w1 += GroupBytes;
            a0 += GroupBytes;
            a1 += GroupBytes;
            a2 += GroupBytes;
            a3 += GroupBytes;
        }

        Simd.StoreTile2x4(y, outStride, c00, c10, c01, c11, c02, c12, c03, c13);
    }

    /// <summary>One transposed Q6_K weight row · one prepared token, the same chain as <see cref="TileQ6K"/>.</summary>
    private static float DotQ6K(byte* w, int blocks, byte* a)
    {
        var acc = Vector256<float>.Zero;
        for (var b = 0; b < blocks; b++, w += GroupBytes, a += GroupBytes)
        {
            for (var h = 0; h < 256; h += 128)
            {
                var i = Simd.DotBytes(Vector256<int>.Zero, w, a, h, h + 128, 64);

                acc = FinishQ6K(i, w, a, 256 + (h / 4), acc);
            }
        }

        return Simd.Sum(acc);
    }

    /// <summary>
    /// acc + d_w·d_a·scale_g·(dot_g − 32·bsum_g) for the eight groups whose scales and sums sit at byte
    /// <paramref name="s"/>; every step before the conversion is exact (|dot_g − 32·bsum_g| ≤ 16·32·128 and |scale| ≤ 128,
    /// so the product stays below 2^23 and converts exactly).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> FinishQ6K(Vector256<int> dot, byte* w, byte* a, int s, Vector256<float> acc)
    {
        var scaled = Avx2.MultiplyLow(dot - Avx.LoadVector256((int*)(a + s)), Avx.LoadVector256((int*)(w + s)));
        return Fma.MultiplyAdd(Avx.ConvertToVector256Single(scaled), Vector256.Create(*(float*)(w + 320) * *(float*)(a + 320)), acc);
    }
}
