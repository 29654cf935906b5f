using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Edgewise.Numerics.Kernels;

/// <summary>
/// The register tile of the K-quant prompt-batch kernels: two weight rows × four tokens. Per super-block each row's
/// scales are decoded once and each of its runs of 32 quants unpacked once, and each token's 32 activation quants
/// are loaded once for both rows, so every load from the (L2-resident) activations feeds two products. With AVX-VNNI
/// the scale multiply and the add fuse into one <c>vpdpwssd</c>. The integer lanes hold the same exact sums as
/// <see cref="Dot1{TFormat}"/>'s and the float steps are the same, so each product has the same bits as when it is
/// computed alone.
/// </summary>
internal static unsafe partial class KQuantMatVec
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TFormat>(byte* w0, long rowBytes, int blocks, byte* a0, int actStride, short* scales, float* y, long outStride)
        where TFormat : struct, IKFormat
    {
        var w1 = w0 + rowBytes;
        var a1 = a0 + actStride;
        var a2 = a1 + actStride;
        var a3 = a2 + actStride;
        Vector256<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector256<float> c10 = default, c11 = default, c12 = default, c13 = default;
        for (var b = 0; b < blocks; b++)
        {
            var aux0 = TFormat.Decode(w0, scales);
            var aux1 = TFormat.Decode(w1, scales + 16);
            Vector256<int> i00 = default, i01 = default, i02 = default, i03 = default;
            Vector256<int> i10 = default, i11 = default, i12 = default, i13 = default;
            Pairs<TFormat>(w0, w1, 0, a0, a1, a2, a3, scales, ref i00, ref i01, ref i02, ref i03, ref i10, ref i11, ref i12, ref i13);
            Pairs<TFormat>(w0, w1, 1, a0, a1, a2, a3, scales, ref i00, ref i01, ref i02, ref i03, ref i10, ref i11, ref i12, ref i13);
            Pairs<TFormat>(w0, w1, 2, a0, a1, a2, a3, scales, ref i00, ref i01, ref i02, ref i03, ref i10, ref i11, ref i12, ref i13);
            Pairs<TFormat>(w0, w1, 3, a0, a1, a2, a3, scales, ref i00, ref i01, ref i02, ref i03, ref i10, ref i11, ref i12, ref i13);

            var d0 = TFormat.D(w0);
            var m0 = TFormat.DMin(w0);
            var d1 = TFormat.D(w1);
            var m1 = TFormat.DMin(w1);
            c00 = TFormat.Finish(i00, aux0, a0, d0, m0, c00);
            c01 = TFormat.Finish(i01, aux0, a1, d0, m0, c01);
            c02 = TFormat.Finish(i02, aux0, a2, d0, m0, c02);
            c03 = TFormat.Finish(i03, aux0, a3, d0, m0, c03);
            c10 = TFormat.Finish(i10, aux1, a0, d1, m1, c10);
            c11 = TFormat.Finish(i11, aux1, a1, d1, m1, c11);
            c12 = TFormat.Finish(i12, aux1, a2, d1, m1, c12);
            c13 = TFormat.Finish(i13, aux1, a3, d1, m1, c13);
            w0 += TFormat.Bytes;
            w1 += TFormat.Bytes;
            a0 += Q8KBytes;
            a1 += Q8KBytes;
            a2 += Q8KBytes;
            a3 += Q8KBytes;
        }

        Simd.StoreTile2x4(y, outStride, c00, c10, c01, c11, c02, c12, c03, c13);
    }

    /// <summary>Runs 2p and 2p + 1 of two weight rows against four tokens (p is a constant at each call, so shifts and offsets fold).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Pairs<TFormat>(
        byte* w0, byte* w1, int p, byte* a0, byte* a1, byte* a2, byte* a3, short* scales,
        ref Vector256<int> i00, ref Vector256<int> i01, ref Vector256<int> i02, ref Vector256<int> i03,
        ref Vector256<int> i10, ref Vector256<int> i11, ref Vector256<int> i12, ref Vector256<int> i13)
        where TFormat : struct, IKFormat
    {
        TFormat.Pair(w0, p, out var u0, out var u1);
        TFormat.Pair(w1, p, out var v0, out var v1);
        var e = 4 + (64 * p);
        var s0 = TFormat.Scale(scales, 2 * p);
        var s1 = TFormat.Scale(scales + 16, 2 * p);
        Run(u0, v0, s0, s1, a0 + e, ref i00, ref i10);
        Run(u0, v0, s0, s1, a1 + e, ref i01, ref i11);
        Run(u0, v0, s0, s1, a2 + e, ref i02, ref i12);
        Run(u0, v0, s0, s1, a3 + e, ref i03, ref i13);
        s0 = TFormat.Scale(scales, (2 * p) + 1);
        s1 = TFormat.Scale(scales + 16, (2 * p) + 1);
        e += 32;
        Run(u1, v1, s0, s1, a0 + e, ref i00, ref i10);
        Run(u1, v1, s0, s1, a1 + e, ref i01, ref i11);
        Run(u1, v1, s0, s1, a2 + e, ref i02, ref i12);
        Run(u1, v1, s0, s1, a3 + e, ref i03, ref i13);
    }

    /// <summary>One run of 32 quants of two weight rows (<paramref name="u"/>, <paramref name="v"/>, scales <paramref name="su"/>, <paramref name="sv"/>) against one token's quants at <paramref name="a"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Run(Vector256<byte> u, Vector256<byte> v, Vector256<short> su, Vector256<short> sv, byte* a, ref Vector256<int> i0, ref Vector256<int> i1)
    {
        var x = Avx.LoadVector256((sbyte*)a);
        i0 = Accumulate(i0, Avx2.MultiplyAddAdjacent(u, x), su);
        i1 = Accumulate(i1, Avx2.MultiplyAddAdjacent(v, x), sv);
    }

    /// <summary>acc + the 16-bit pair products <paramref name="pairs"/>·<paramref name="s"/>, summed in adjacent pairs (exact).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Accumulate(Vector256<int> acc, Vector256<short> pairs, Vector256<short> s) =>
        AvxVnni.IsSupported ? AvxVnni.MultiplyWideningAndAdd(acc, pairs, s) : acc + Avx2.MultiplyAddAdjacent(pairs, s);
}
