using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Edgewise.Numerics.Kernels;

/// <summary>
/// Matrix products for Q4_K, Q5_K and Q6_K weights against Q8_K activation rows quantized once per call. Per
/// super-block the weight row's sub-block scales (and Q4_K/Q5_K minimums) are decoded once into 16-bit lanes and each
/// 32-element run of weights is unpacked once; both are then shared by up to four tokens, which each pay one
/// <c>vpmaddubsw</c> + one <c>vpmaddwd</c> (the scale) per 32 weights. The per-super-block terms stay in vectors
/// (minimums meet pair sums of the activation's 16-element sums, Q6_K's offset 32 meets the sums themselves), so a
/// product pays one horizontal sum at the end. Integer sums are exact as in ggml; each token's float chain is the
/// same whether it was computed alone or in a group of four, so a token's result does not depend on its place.
/// </summary>
internal static unsafe partial class KQuantMatVec
{
    private const int Q8KBytes = 292;
    private const int TokenTile = 32;

    /// <summary>Whether this CPU runs these kernels (AVX2 with FMA).</summary>
    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

    /// <summary>Whether <paramref name="type"/> has a kernel here.</summary>
    public static bool Handles(TensorType type) => type is TensorType.Q4_K or TensorType.Q5_K or TensorType.Q6_K;

    /// <summary>
    /// output[t·<paramref name="outStride"/> + r] for r in [<paramref name="r0"/>, <paramref name="r1"/>) and every
    /// token t &lt; <paramref name="tokens"/>, from Q8_K activation rows <paramref name="actStride"/> bytes apart.
    /// </summary>
    public static void Rows(
        TensorType type, byte* weights, long rowBytes, int r0, int r1, int blocks, byte* activations, int actStride, int tokens,
        float* output, long outStride)
    {
        switch (type)
        {
            case TensorType.Q4_K:
                Rows<Q4K>(weights, rowBytes, r0, r1, blocks, activations, actStride, tokens, output, outStride);
                break;
            case TensorType.Q5_K:
                Rows<Q5K>(weights, rowBytes, r0, r1, blocks, activations, actStride, tokens, output, outStride);
                break;
            default:
                Rows<Q6K>(weights, rowBytes, r0, r1, blocks, activations, actStride, tokens, output, outStride);
                break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows<TFormat>(
        byte* weights, long rowBytes, int r0, int r1, int blocks, byte* activations, int actStride, int tokens, float* output, long outStride)
        where TFormat : struct, IKFormat
    {
        var scales = stackalloc short[32];
        for (var t0 = 0; t0 < tokens; t0 += TokenTile)
        {
            var t1 = Math.Min(tokens, t0 + TokenTile);
            var r = r0;
            for (; r + 2 <= r1; r += 2)
            {
                var row = weights + (r * rowBytes);
                var t = t0;
                for (; t + 4 <= t1; t += 4)
                {
                    Tile<TFormat>(row, rowBytes, blocks, activations + ((long)t * actStride), actStride, scales, output + (t * outStride) + r, outStride);
                }

                for (; t < t1; t++)
                {
                    var a = activations + ((long)t * actStride);
                    output[(t * outStride) + r] = Dot1<TFormat>(row, blocks, a, scales);
                    output[(t * outStride) + r + 1] = Dot1<TFormat>(row + rowBytes, blocks, a, scales);
                }
            }

            for (; r < r1; r++)
            {
                var row = weights + (r * rowBytes);
                var t = t0;
                for (; t + 4 <= t1; t += 4)
                {
                    var a0 = activations + ((long)t * actStride);
                    var sums = Dot4<TFormat>(row, blocks, a0, a0 + actStride, a0 + (2 * actStride), a0 + (3 * actStride), scales);
                    var y = output + (t * outStride) + r;
                    y[0] = sums.GetElement(0);
                    y[outStride] = sums.GetElement(1);
                    y[2 * outStride] = sums.GetElement(2);
                    y[3 * outStride] = sums.GetElement(3);
                }

                for (; t < t1; t++)
                {
                    output[(t * outStride) + r] = Dot1<TFormat>(row, blocks, activations + ((long)t * actStride), scales);
                }
            }
        }
    }

    private static Vector128<float> Dot4<TFormat>(byte* w, int blocks, byte* a0, byte* a1, byte* a2, byte* a3, short* scales)
        where TFormat : struct, IKFormat
    {
        var acc0 = Vector256<float>.Zero;
        var acc1 = Vector256<float>.Zero;
        var acc2 = Vector256<float>.Zero;
        var acc3 = Vector256<float>.Zero;
        for (var b = 0; b < blocks; b++, w += TFormat.Bytes, a0 += Q8KBytes, a1 += Q8KBytes, a2 += Q8KBytes, a3 += Q8KBytes)
        {
            var aux = TFormat.Decode(w, scales);
            var i0 = Vector256<int>.Zero;
            var i1 = Vector256<int>.Zero;
            var i2 = Vector256<int>.Zero;
            var i3 = Vector256<int>.Zero;
            Pair4<TFormat>(w, 0, a0, a1, a2, a3, scales, ref i0, ref i1, ref i2, ref i3);
            Pair4<TFormat>(w, 1, a0, a1, a2, a3, scales, ref i0, ref i1, ref i2, ref i3);
            Pair4<TFormat>(w, 2, a0, a1, a2, a3, scales, ref i0, ref i1, ref i2, ref i3);
            Pair4<TFormat>(w, 3, a0, a1, a2, a3, scales, ref i0, ref i1, ref i2, ref i3);

            var d = TFormat.D(w);
            var dmin = TFormat.DMin(w);
            acc0 = TFormat.Finish(i0, aux, a0, d, dmin, acc0);
            acc1 = TFormat.Finish(i1, aux, a1, d, dmin, acc1);
            acc2 = TFormat.Finish(i2, aux, a2, d, dmin, acc2);
            acc3 = TFormat.Finish(i3, aux, a3, d, dmin, acc3);
        }

        return Vector128.Create(Simd.Sum(acc0), Simd.Sum(acc1), Simd.Sum(acc2), Simd.Sum(acc3));
    }

    private static float Dot1<TFormat>(byte* w, int blocks, byte* a, short* scales)
        where TFormat : struct, IKFormat
    {
        var acc = Vector256<float>.Zero;
        for (var b = 0; b < blocks; b++, w += TFormat.Bytes, a += Q8KBytes)
        {
            Sse.Prefetch0(w + KQuantDecode.PrefetchDistance);
            Sse.Prefetch0(w + KQuantDecode.PrefetchDistance + 64);
            Sse.Prefetch0(w + KQuantDecode.PrefetchDistance + 128);
            Sse.Prefetch0(w + KQuantDecode.PrefetchDistance + 192);
            var aux = TFormat.Decode(w, scales);
            var isum = Pair1<TFormat>(w, 0, a, scales) + Pair1<TFormat>(w, 1, a, scales);
            isum += Pair1<TFormat>(w, 2, a, scales) + Pair1<TFormat>(w, 3, a, scales);
            acc = TFormat.Finish(isum, aux, a, TFormat.D(w), TFormat.DMin(w), acc);
        }

        return Simd.Sum(acc);
    }

    /// <summary>Runs 2p and 2p + 1 against four tokens (p is a constant at each call, so shifts and offsets fold).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Pair4<TFormat>(
        byte* w, int p, byte* a0, byte* a1, byte* a2, byte* a3, short* scales,
        ref Vector256<int> i0, ref Vector256<int> i1, ref Vector256<int> i2, ref Vector256<int> i3)
        where TFormat : struct, IKFormat
    {
        TFormat.Pair(w, p, out var u0, out var u1);
        var s0 = TFormat.Scale(scales, 2 * p);
        var s1 = TFormat.Scale(scales, (2 * p) + 1);
        var e = 4 + (64 * p);
        i0 += Madd(u0, a0 + e, s0) + Madd(u1, a0 + e + 32, s1);
        i1 += Madd(u0, a1 + e, s0) + Madd(u1, a1 + e + 32, s1);
        i2 += Madd(u0, a2 + e, s0) + Madd(u1, a2 + e + 32, s1);
        i3 += Madd(u0, a3 + e, s0) + Madd(u1, a3 + e + 32, s1);
    }

    /// <summary>Runs 2p and 2p + 1 against one token.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Pair1<TFormat>(byte* w, int p, byte* a, short* scales)
        where TFormat : struct, IKFormat
    {
        TFormat.Pair(w, p, out var u0, out var u1);
        var e = 4 + (64 * p);
        return Madd(u0, a + e, TFormat.Scale(scales, 2 * p)) + Madd(u1, a + e + 32, TFormat.Scale(scales, (2 * p) + 1));
    }

    /// <summary>Σ u·a over 32 bytes, pair sums weighted by the 16-bit scales <paramref name="s"/>, in eight int32 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Madd(Vector256<byte> u, byte* a, Vector256<short> s) =>
        Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u, Avx.LoadVector256((sbyte*)a)), s);

    /// <summary>A K-quant super-block format as these kernels see it: eight runs of 32 unsigned quants with one 16-bit scale vector each.</summary>
    private interface IKFormat
    {
        static abstract int Bytes { get; }

        /// <summary>Stores the 16-bit sub-block scales at <paramref name="scales"/> and returns the lanes <see cref="Finish"/> needs.</summary>
        static abstract Vector256<short> Decode(byte* x, short* scales);

        /// <summary>The scale vector of run <paramref name="k"/> (0–7).</summary>
        static abstract Vector256<short> Scale(short* scales, int k);

        /// <summary>Runs 2·<paramref name="p"/> and 2·<paramref name="p"/> + 1 of the super-block, unsigned.</summary>
        static abstract void Pair(byte* x, int p, out Vector256<byte> u0, out Vector256<byte> u1);

        /// <summary>The super-block scale d.</summary>
        static abstract float D(byte* x);

        /// <summary>The super-block scale of the minimums (0 where there are none).</summary>
        static abstract float DMin(byte* x);

        /// <summary>acc + the super-block's float contribution, from its weighted integer sum and the activation's d and sums.</summary>
        static abstract Vector256<float> Finish(Vector256<int> isum, Vector256<short> aux, byte* a, float d, float dmin, Vector256<float> acc);
    }

    /// <summary>Q4_K (144 bytes): fp16 d, fp16 dmin, 12 bytes of 6-bit scales and minimums, 128 bytes of nibbles.</summary>
    private readonly struct Q4K : IKFormat
    {
        public static int Bytes => 144;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<short> Decode(byte* x, short* scales) => DecodeK4(x, scales);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<short> Scale(short* scales, int k) => Vector256.Create(scales[k]);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Pair(byte* x, int p, out Vector256<byte> u0, out Vector256<byte> u1) => Nibbles(x + 16 + (32 * p), out u0, out u1);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float D(byte* x) => Simd.Half(*(ushort*)x);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float DMin(byte* x) => Simd.Half(*(ushort*)(x + 2));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Finish(Vector256<int> isum, Vector256<short> aux, byte* a, float d, float dmin, Vector256<float> acc) =>
            FinishK4(isum, aux, a, d, dmin, acc);
    }

    /// <summary>Q5_K (176 bytes): as Q4_K with 32 bytes of fifth bits between the scales and the nibbles.</summary>
    private readonly struct Q5K : IKFormat
    {
        public static int Bytes => 176;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<short> Decode(byte* x, short* scales) => DecodeK4(x, scales);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<short> Scale(short* scales, int k) => Vector256.Create(scales[k]);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Pair(byte* x, int p, out Vector256<byte> u0, out Vector256<byte> u1)
        {
            Nibbles(x + 48 + (32 * p), out u0, out u1);
            var high = Vector256.ShiftRightLogical(Avx.LoadVector256(x + 16).AsUInt16(), 2 * p);
            var bit4 = Vector256.Create((byte)0x10);
            u0 |= Avx2.ShiftLeftLogical(high, 4).AsByte() & bit4;
            u1 |= Avx2.ShiftLeftLogical(high, 3).AsByte() & bit4;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float D(byte* x) => Simd.Half(*(ushort*)x);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float DMin(byte* x) => Simd.Half(*(ushort*)(x + 2));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Finish(Vector256<int> isum, Vector256<short> aux, byte* a, float d, float dmin, Vector256<float> acc) =>
            FinishK4(isum, aux, a, d, dmin, acc);
    }

    /// <summary>Q6_K (210 bytes): ql[128] low nibbles, qh[64] 2-bit high parts, 16 signed 8-bit scales, fp16 d; q − 32.</summary>
    private readonly struct Q6K : IKFormat
    {
        public static int Bytes => 210;

        /// <summary>Scales sign-extended to 16 bits; the same lanes meet the activation's 16-element sums for the offset.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<short> Decode(byte* x, short* scales)
        {
            var wide = Avx2.ConvertToVector256Int16(Sse2.LoadVector128((sbyte*)(x + 192)));
            wide.Store(scales);
            return wide;
        }

        /// <summary>Run k holds elements 32k..32k+31: scale 2k for its first 16, 2k + 1 for the rest.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<short> Scale(short* scales, int k) =>
            Vector256.Create(Vector128.Create(scales[2 * k]), Vector128.Create(scales[(2 * k) + 1]));

        /// <summary>Pair p: half p/2; groups 0, 1 (low nibbles, high bits 0–3) or 2, 3 (high nibbles, high bits 4–7).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Pair(byte* x, int p, out Vector256<byte> u0, out Vector256<byte> u1)
        {
            var half = p >> 1;
            var shift = 4 * (p & 1);
            var low0 = Vector256.ShiftRightLogical(Avx.LoadVector256(x + (64 * half)).AsUInt16(), shift).AsByte();
            var low1 = Vector256.ShiftRightLogical(Avx.LoadVector256(x + (64 * half) + 32).AsUInt16(), shift).AsByte();
            var high = Vector256.ShiftRightLogical(Avx.LoadVector256(x + 128 + (32 * half)).AsUInt16(), shift);
            var nibble = Vector256.Create((byte)0x0F);
            var two = Vector256.Create((byte)0x30);
            u0 = (low0 & nibble) | (Avx2.ShiftLeftLogical(high, 4).AsByte() & two);
            u1 = (low1 & nibble) | (Avx2.ShiftLeftLogical(high, 2).AsByte() & two);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float D(byte* x) => Simd.Half(*(ushort*)(x + 208));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float DMin(byte* x) => 0;

        /// <summary>Subtracts 32·Σ scale_j·bsums_j lane-wise, then acc + d_w·d_a·isum.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Finish(Vector256<int> isum, Vector256<short> aux, byte* a, float d, float dmin, Vector256<float> acc)
        {
            var offset = Avx2.ShiftLeftLogical(Avx2.MultiplyAddAdjacent(aux, Avx.LoadVector256((short*)(a + 260))), 5);
            return Fma.MultiplyAdd(Avx.ConvertToVector256Single(isum - offset), Vector256.Create(d * *(float*)a), acc);
        }
    }

    /// <summary>Low and high nibbles of 32 packed bytes: runs 2j and 2j + 1 of a Q4_K/Q5_K super-block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Nibbles(byte* packed, out Vector256<byte> low, out Vector256<byte> high)
    {
        var q = Avx.LoadVector256(packed);
        var mask = Vector256.Create((byte)0x0F);
        low = q & mask;
        high = Avx2.ShiftRightLogical(q.AsUInt16(), 4).AsByte() & mask;
    }

    /// <summary>Q4_K/Q5_K: the eight scales as 16-bit values at <paramref name="scales"/>; returns scales in lanes 0–7, minimums in 8–15.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> DecodeK4(byte* x, short* scales)
    {
        var wide = Avx2.ConvertToVector256Int16(Q4KDot.ScalesAndMins(ref Unsafe.AsRef<byte>(x + 4)));
        wide.Store(scales);
        return wide;
    }

    /// <summary>acc + d_w·d_a·isum − dmin_w·d_a·Σ_sub min_sub·(Σ of the sub-block's 32 activation quants).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> FinishK4(Vector256<int> isum, Vector256<short> aux, byte* a, float d, float dmin, Vector256<float> acc)
    {
        var da = *(float*)a;
        var pairs = Ssse3.HorizontalAdd(Sse2.LoadVector128((short*)(a + 260)), Sse2.LoadVector128((short*)(a + 276)));
        var mins = Sse2.MultiplyAddAdjacent(aux.GetUpper(), pairs);
        acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(isum), Vector256.Create(d * da), acc);
        return Fma.MultiplyAdd(Avx.ConvertToVector256Single(mins.ToVector256()), Vector256.Create(-dmin * da), acc);
    }
}
