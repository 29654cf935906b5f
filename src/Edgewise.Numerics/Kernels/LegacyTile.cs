using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Edgewise.Numerics.Kernels;

/// <summary>
/// The prompt-batch side of <see cref="LegacyMatVec"/>: a run of weight rows against many prepared activation rows.
/// Tokens are taken 32 at a time (their prepared rows stay in L2 while every weight row of the run meets them), and
/// four at a time in registers: each weight block is loaded and unpacked once and then meets four activation rows,
/// so the unpacking is paid once per four products. Every product accumulates its blocks in one float chain, so a
/// token's results do not depend on where it falls in the tiles (they may differ in the last bits from the
/// single-token kernels, which split the chain four ways).
/// </summary>
internal static unsafe class LegacyTile
{
    private const int Block = 32;
    private const int TokenTile = 32;

    /// <summary>Floats of scratch <see cref="Rows"/> needs for rows of <paramref name="blocks"/> blocks.</summary>
    public static int ScratchFloats(int blocks) => 5 * blocks;

    /// <summary>
    /// output[t·<paramref name="outStride"/> + r] for r in [<paramref name="r0"/>, <paramref name="r1"/>) and every
    /// token t &lt; <paramref name="tokens"/>.
    /// </summary>
    public static void Rows(
        TensorType type, byte* weights, long rowBytes, int r0, int r1, int blocks, byte* activations, int actStride, int tokens,
        float* output, long outStride, float* scratch)
    {
        switch (type)
        {
            case TensorType.Q8_0:
                if (AvxVnni.IsSupported)
                {
                    Rows<Q80Vnni>(weights, rowBytes, r0, r1, blocks, activations, actStride, tokens, output, outStride, scratch);
                }
                else
                {
                    Rows<Q80Sign>(weights, rowBytes, r0, r1, blocks, activations, actStride, tokens, output, outStride, scratch);
                }

                break;
            case TensorType.Q4_0:
                Rows<Q40>(weights, rowBytes, r0, r1, blocks, activations, actStride, tokens, output, outStride, scratch);
                break;
            default:
                Rows<Q50>(weights, rowBytes, r0, r1, blocks, activations, actStride, tokens, output, outStride, scratch);
                break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows<TFormat>(
        byte* weights, long rowBytes, int r0, int r1, int blocks, byte* activations, int actStride, int tokens, float* output, long outStride, float* scratch)
        where TFormat : struct, IBlockFormat
    {
        var dw = scratch;
        var s0 = scratch + blocks;
        var s1 = s0 + blocks;
        var s2 = s1 + blocks;
        var s3 = s2 + blocks;
        for (var t0 = 0; t0 < tokens; t0 += TokenTile)
        {
            var t1 = Math.Min(tokens, t0 + TokenTile);
            for (var r = r0; r < r1; r++)
            {
                var row = weights + (r * rowBytes);
                LegacyMatVec.ConvertScales(row, TFormat.Bytes, blocks, dw);
                var t = t0;
                for (; t + 4 <= t1; t += 4)
                {
                    var a0 = activations + ((long)t * actStride);
                    var a1 = a0 + actStride;
                    var a2 = a1 + actStride;
                    var a3 = a2 + actStride;
                    Products(dw, a0, blocks, s0);
                    Products(dw, a1, blocks, s1);
                    Products(dw, a2, blocks, s2);
                    Products(dw, a3, blocks, s3);
                    var sums = Dot4<TFormat>(row, blocks, a0, a1, a2, a3, s0, s1, s2, s3);
                    var y = output + (t * outStride) + r;
                    y[0] = sums.GetElement(0);
                    y[outStride] = sums.GetElement(1);
                    y[2 * outStride] = sums.GetElement(2);
                    y[3 * outStride] = sums.GetElement(3);
                }

                for (; t < t1; t++)
                {
                    var a = activations + ((long)t * actStride);
                    Products(dw, a, blocks, s0);
                    output[(t * outStride) + r] = Dot1<TFormat>(row, blocks, a, s0);
                }
            }
        }
    }

    /// <summary>s[b] = d_w[b] · d_a[b] for one prepared activation row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Products(float* dw, byte* act, int blocks, float* s)
    {
        var da = (float*)(act + (blocks * 64));
        var b = 0;
        for (; b + 8 <= blocks; b += 8)
        {
            (Avx.LoadVector256(dw + b) * Avx.LoadVector256(da + b)).Store(s + b);
        }

        for (; b < blocks; b++)
        {
            s[b] = dw[b] * da[b];
        }
    }

    private static Vector128<float> Dot4<TFormat>(
        byte* w, int blocks, byte* a0, byte* a1, byte* a2, byte* a3, float* s0, float* s1, float* s2, float* s3)
        where TFormat : struct, IBlockFormat
    {
        var c = blocks * Block;
        var acc0 = Vector256<float>.Zero;
        var acc1 = Vector256<float>.Zero;
        var acc2 = Vector256<float>.Zero;
        var acc3 = Vector256<float>.Zero;
        for (var b = 0; b < blocks; b++, w += TFormat.Bytes, a0 += Block, a1 += Block, a2 += Block, a3 += Block)
        {
            var u = TFormat.Unpack(w);
            acc0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(TFormat.Dot(u, a0, a0 + c)), Vector256.Create(s0[b]), acc0);
            acc1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(TFormat.Dot(u, a1, a1 + c)), Vector256.Create(s1[b]), acc1);
            acc2 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(TFormat.Dot(u, a2, a2 + c)), Vector256.Create(s2[b]), acc2);
            acc3 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(TFormat.Dot(u, a3, a3 + c)), Vector256.Create(s3[b]), acc3);
        }

        return Vector128.Create(Simd.Sum(acc0), Simd.Sum(acc1), Simd.Sum(acc2), Simd.Sum(acc3));
    }

    private static float Dot1<TFormat>(byte* w, int blocks, byte* a, float* s)
        where TFormat : struct, IBlockFormat
    {
        var c = blocks * Block;
        var acc = Vector256<float>.Zero;
        for (var b = 0; b < blocks; b++, w += TFormat.Bytes, a += Block)
        {
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(TFormat.Dot(TFormat.Unpack(w), a, a + c)), Vector256.Create(s[b]), acc);
        }

        return Simd.Sum(acc);
    }

    /// <summary>A weight block format: its size, how its 32 quants are unpacked, and their exact dot with prepared activations.</summary>
    private interface IBlockFormat
    {
        static abstract int Bytes { get; }

        static abstract Vector256<byte> Unpack(byte* w);

        /// <summary>Σ (q − k)·a in eight int32 lanes, from unpacked weights, quants at <paramref name="a"/> and correction lanes at <paramref name="c"/>.</summary>
        static abstract Vector256<int> Dot(Vector256<byte> u, byte* a, byte* c);
    }

    private readonly struct Q80Vnni : IBlockFormat
    {
        public static int Bytes => 34;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<byte> Unpack(byte* w) => Avx.LoadVector256(w + 2) ^ Vector256.Create((byte)0x80);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Dot(Vector256<byte> u, byte* a, byte* c) =>
            AvxVnni.MultiplyWideningAndAdd(Avx.LoadVector256((int*)c), u, Avx.LoadVector256((sbyte*)a));
    }

    private readonly struct Q80Sign : IBlockFormat
    {
        public static int Bytes => 34;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<byte> Unpack(byte* w) => Avx.LoadVector256(w + 2);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Dot(Vector256<byte> u, byte* a, byte* c)
        {
            var q = u.AsSByte();
            return LegacyMatVec.Dot4(Vector256<int>.Zero, Avx2.Abs(q), Avx2.Sign(Avx.LoadVector256((sbyte*)a), q));
        }
    }

    private readonly struct Q40 : IBlockFormat
    {
        public static int Bytes => 18;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<byte> Unpack(byte* w) => LegacyMatVec.Nibbles(Sse2.LoadVector128(w + 2));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Dot(Vector256<byte> u, byte* a, byte* c) =>
            LegacyMatVec.Dot4(Avx.LoadVector256((int*)c), u, Avx.LoadVector256((sbyte*)a));
    }

    private readonly struct Q50 : IBlockFormat
    {
        public static int Bytes => 22;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<byte> Unpack(byte* w) =>
            LegacyMatVec.Nibbles(Sse2.LoadVector128(w + 6)) | (LegacyMatVec.HighBits(*(uint*)(w + 2)) & Vector256.Create((byte)0x10));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Dot(Vector256<byte> u, byte* a, byte* c) =>
            LegacyMatVec.Dot4(Avx.LoadVector256((int*)c), u, Avx.LoadVector256((sbyte*)a));
    }
}
