using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Edgewise.Numerics.Kernels;

/// <summary>
/// The prompt-batch side of <see cref="LegacyMatVec"/>: a run of weight rows against many prepared activation rows.
/// Tokens are taken 32 at a time (their prepared rows stay in L2 while every weight row of the run meets them), and
/// the work is done in register tiles of four weight rows × four tokens: per block, each of the four weight blocks is
/// unpacked once and each token's quants and correction lanes are loaded once, then the sixteen products each pay
/// one byte dot, one int→float convert and one fused multiply-add with d_w·d_a (taken from a per-tile table of scale
/// products). So loads from L2 per product fall fourfold compared with one row at a time. Rows and tokens left over
/// from the tiles run one row × four tokens or one × one. Every product accumulates its blocks in one float chain
/// whichever kernel runs it, so a token's results do not depend on where it falls in the tiles (they may differ in the
/// last bits from the single-token kernels, which split the chain four ways).
/// </summary>
internal static unsafe class LegacyTile
{
    private const int Block = 32;
    private const int TokenTile = 32;

    /// <summary>Floats of scratch <see cref="Rows"/> needs for rows of <paramref name="blocks"/> blocks.</summary>
    public static int ScratchFloats(int blocks) => 24 * blocks;

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
        var interleaved = dw + (4 * blocks);
        var products = interleaved + (4 * blocks);
        for (var t0 = 0; t0 < tokens; t0 += TokenTile)
        {
            var t1 = Math.Min(tokens, t0 + TokenTile);
            var r = r0;
            for (; r + 4 <= r1; r += 4)
            {
                var row = weights + (r * rowBytes);
                for (var i = 0; i < 4; i++)
                {
                    LegacyMatVec.ConvertScales(row + (i * rowBytes), TFormat.Bytes, blocks, dw + (i * blocks));
                }

                Interleave(dw, blocks, interleaved);
                var t = t0;
                for (; t + 4 <= t1; t += 4)
                {
                    var a = activations + ((long)t * actStride);
                    TileProducts(interleaved, a, actStride, blocks, products);
                    Tile<TFormat>(row, rowBytes, a, actStride, blocks, products, output + (t * outStride) + r, outStride);
                }

                for (; t < t1; t++)
                {
                    var a = activations + ((long)t * actStride);
                    for (var i = 0; i < 4; i++)
                    {
                        Products(dw + (i * blocks), a, blocks, products);
                        output[(t * outStride) + r + i] = Dot1<TFormat>(row + (i * rowBytes), blocks, a, products);
                    }
                }
            }

            for (; r < r1; r++)
            {
                SingleRow<TFormat>(weights + (r * rowBytes), blocks, activations, actStride, t0, t1, output + r, outStride, dw, products);
            }
        }
    }

    /// <summary>One weight row against tokens [<paramref name="t0"/>, <paramref name="t1"/>), four tokens at a time.</summary>
    private static void SingleRow<TFormat>(
        byte* row, int blocks, byte* activations, int actStride, int t0, int t1, float* output, long outStride, float* dw, float* scratch)
        where TFormat : struct, IBlockFormat
    {
        var s0 = scratch;
        var s1 = s0 + blocks;
        var s2 = s1 + blocks;
        var s3 = s2 + blocks;
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
            var y = output + (t * outStride);
            y[0] = sums.GetElement(0);
            y[outStride] = sums.GetElement(1);
            y[2 * outStride] = sums.GetElement(2);
            y[3 * outStride] = sums.GetElement(3);
        }

        for (; t < t1; t++)
        {
            var a = activations + ((long)t * actStride);
            Products(dw, a, blocks, s0);
            output[t * outStride] = Dot1<TFormat>(row, blocks, a, s0);
        }
    }

    /// <summary>Four rows' converted scales (<paramref name="blocks"/> apart) as one array, the four rows' scales of each block together.</summary>
    private static void Interleave(float* dw, int blocks, float* interleaved)
    {
        for (var b = 0; b < blocks; b++)
        {
            Vector128.Create(dw[b], dw[blocks + b], dw[(2 * blocks) + b], dw[(3 * blocks) + b]).Store(interleaved + (4 * b));
        }
    }

    /// <summary>products[16·b + 4·j + i] = d_w(row i)[b] · d_a(token j)[b]: every scale a four-by-four tile needs, block by block.</summary>
    private static void TileProducts(float* interleaved, byte* a, int actStride, int blocks, float* products)
    {
        var da0 = (float*)(a + (blocks * 64));
        var da1 = (float*)((byte*)da0 + actStride);
        var da2 = (float*)((byte*)da1 + actStride);
        var da3 = (float*)((byte*)da2 + actStride);
        for (var b = 0; b < blocks; b++, products += 16)
        {
            var w = Sse.LoadVector128(interleaved + (4 * b));
            (w * Vector128.Create(da0[b])).Store(products);
            (w * Vector128.Create(da1[b])).Store(products + 4);
            (w * Vector128.Create(da2[b])).Store(products + 8);
            (w * Vector128.Create(da3[b])).Store(products + 12);
        }
    }

    /// <summary>
    /// Four weight rows × four tokens, all blocks, sixteen accumulators in registers: each block of each row is
    /// unpacked once and each token's quants and correction lanes are loaded once per block, for sixteen products.
    /// Each product's float chain is the one <see cref="Dot1{TFormat}"/> runs, so the results are the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TFormat>(byte* w0, long rowBytes, byte* a0, int actStride, int blocks, float* s, float* y, long outStride)
        where TFormat : struct, IBlockFormat
    {
        var c = blocks * Block;
        var w1 = w0 + rowBytes;
        var w2 = w1 + rowBytes;
        var w3 = w2 + rowBytes;
        var a1 = a0 + actStride;
        var a2 = a1 + actStride;
        var a3 = a2 + actStride;
        Vector256<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector256<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector256<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector256<float> c30 = default, c31 = default, c32 = default, c33 = default;
        for (var b = 0; b < blocks; b++, s += 16)
        {
            var u0 = TFormat.Unpack(w0);
            var u1 = TFormat.Unpack(w1);
            var u2 = TFormat.Unpack(w2);
            var u3 = TFormat.Unpack(w3);
            w0 += TFormat.Bytes;
            w1 += TFormat.Bytes;
            w2 += TFormat.Bytes;
            w3 += TFormat.Bytes;

            var x = Avx.LoadVector256((sbyte*)a0);
            var k = Avx.LoadVector256((int*)(a0 + c));
            c00 = Step<TFormat>(u0, x, k, s[0], c00);
            c10 = Step<TFormat>(u1, x, k, s[1], c10);
            c20 = Step<TFormat>(u2, x, k, s[2], c20);
            c30 = Step<TFormat>(u3, x, k, s[3], c30);
            x = Avx.LoadVector256((sbyte*)a1);
            k = Avx.LoadVector256((int*)(a1 + c));
            c01 = Step<TFormat>(u0, x, k, s[4], c01);
            c11 = Step<TFormat>(u1, x, k, s[5], c11);
            c21 = Step<TFormat>(u2, x, k, s[6], c21);
            c31 = Step<TFormat>(u3, x, k, s[7], c31);
            x = Avx.LoadVector256((sbyte*)a2);
            k = Avx.LoadVector256((int*)(a2 + c));
            c02 = Step<TFormat>(u0, x, k, s[8], c02);
            c12 = Step<TFormat>(u1, x, k, s[9], c12);
            c22 = Step<TFormat>(u2, x, k, s[10], c22);
            c32 = Step<TFormat>(u3, x, k, s[11], c32);
            x = Avx.LoadVector256((sbyte*)a3);
            k = Avx.LoadVector256((int*)(a3 + c));
            c03 = Step<TFormat>(u0, x, k, s[12], c03);
            c13 = Step<TFormat>(u1, x, k, s[13], c13);
            c23 = Step<TFormat>(u2, x, k, s[14], c23);
            c33 = Step<TFormat>(u3, x, k, s[15], c33);
            a0 += Block;
            a1 += Block;
            a2 += Block;
            a3 += Block;
        }

        Store(y, Simd.Sum(c00), Simd.Sum(c10), Simd.Sum(c20), Simd.Sum(c30));
        y += outStride;
        Store(y, Simd.Sum(c01), Simd.Sum(c11), Simd.Sum(c21), Simd.Sum(c31));
        y += outStride;
        Store(y, Simd.Sum(c02), Simd.Sum(c12), Simd.Sum(c22), Simd.Sum(c32));
        y += outStride;
        Store(y, Simd.Sum(c03), Simd.Sum(c13), Simd.Sum(c23), Simd.Sum(c33));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Step<TFormat>(Vector256<byte> u, Vector256<sbyte> x, Vector256<int> k, float s, Vector256<float> acc)
        where TFormat : struct, IBlockFormat =>
        Fma.MultiplyAdd(Avx.ConvertToVector256Single(TFormat.Dot(u, x, k)), Vector256.Create(s), acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* y, float v0, float v1, float v2, float v3) => Vector128.Create(v0, v1, v2, v3).Store(y);

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
            acc0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(TFormat.Dot(u, Load(a0), Corrections(a0 + c))), Vector256.Create(s0[b]), acc0);
            acc1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(TFormat.Dot(u, Load(a1), Corrections(a1 + c))), Vector256.Create(s1[b]), acc1);
            acc2 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(TFormat.Dot(u, Load(a2), Corrections(a2 + c))), Vector256.Create(s2[b]), acc2);
            acc3 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(TFormat.Dot(u, Load(a3), Corrections(a3 + c))), Vector256.Create(s3[b]), acc3);
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
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(TFormat.Dot(TFormat.Unpack(w), Load(a), Corrections(a + c))), Vector256.Create(s[b]), acc);
        }

        return Simd.Sum(acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<sbyte> Load(byte* a) => Avx.LoadVector256((sbyte*)a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Corrections(byte* c) => Avx.LoadVector256((int*)c);

    /// <summary>A weight block format: its size, how its 32 quants are unpacked, and their exact dot with prepared activations.</summary>
    internal interface IBlockFormat
    {
        static abstract TensorType Type { get; }

        static abstract int Bytes { get; }

        static abstract Vector256<byte> Unpack(byte* w);

        /// <summary>
        /// Bytes of unpacked quants whose 16-bit <c>vpmaddubsw</c> pair sums with activations in [−128, 127] can be
        /// added without overflow (<see cref="Simd.Dot2x4"/>'s span); 0 when a quant may exceed 128.
        /// </summary>
        static abstract int PairSpan { get; }

        /// <summary>Σ (q − k)·a in eight int32 lanes, from unpacked weights, activation quants <paramref name="a"/> and correction lanes <paramref name="c"/>.</summary>
        static abstract Vector256<int> Dot(Vector256<byte> u, Vector256<sbyte> a, Vector256<int> c);
    }

    internal readonly struct Q80Vnni : IBlockFormat
    {
        public static TensorType Type => TensorType.Q8_0;

        public static int Bytes => 34;

        public static int PairSpan => 0;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<byte> Unpack(byte* w) => Avx.LoadVector256(w + 2) ^ Vector256.Create((byte)0x80);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Dot(Vector256<byte> u, Vector256<sbyte> a, Vector256<int> c) => AvxVnni.MultiplyWideningAndAdd(c, u, a);
    }

    internal readonly struct Q80Sign : IBlockFormat
    {
        public static TensorType Type => TensorType.Q8_0;

        public static int Bytes => 34;

        public static int PairSpan => 0;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<byte> Unpack(byte* w) => Avx.LoadVector256(w + 2);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Dot(Vector256<byte> u, Vector256<sbyte> a, Vector256<int> c)
        {
            var q = u.AsSByte();
            return LegacyMatVec.Dot4(Vector256<int>.Zero, Avx2.Abs(q), Avx2.Sign(a, q));
        }
    }

    internal readonly struct Q40 : IBlockFormat
    {
        public static TensorType Type => TensorType.Q4_0;

        public static int Bytes => 18;

        public static int PairSpan => 256;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<byte> Unpack(byte* w) => LegacyMatVec.Nibbles(Sse2.LoadVector128(w + 2));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Dot(Vector256<byte> u, Vector256<sbyte> a, Vector256<int> c) => LegacyMatVec.Dot4(c, u, a);
    }

    internal readonly struct Q50 : IBlockFormat
    {
        public static TensorType Type => TensorType.Q5_0;

        public static int Bytes => 22;

        public static int PairSpan => 128;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<byte> Unpack(byte* w) =>
            LegacyMatVec.Nibbles(Sse2.LoadVector128(w + 6)) | (LegacyMatVec.HighBits(*(uint*)(w + 2)) & Vector256.Create((byte)0x10));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Dot(Vector256<byte> u, Vector256<sbyte> a, Vector256<int> c) => LegacyMatVec.Dot4(c, u, a);
    }
}
