using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Edgewise.Numerics.Kernels;

/// <summary>
/// Single-token products (one activation row prepared by <see cref="LegacyMatVec.Prepare"/>) for Q4_0 weights with
/// 512-bit vectors. The per-block dot products are <see cref="LegacyMatVec"/>'s; what differs is how a row's fp16
/// block scales reach the loop: instead of one <c>vpgatherdd</c> per eight blocks and 256-bit conversions (together
/// about a third of a Q4_0 row's time on the Sapphire Rapids build box), sixteen scales are packed by two
/// <c>vpermi2w</c> from plain 64-byte loads and converted and multiplied in one 512-bit step. The conversion is exact
/// and each product d_w·d_a is one rounded multiply as in <see cref="LegacyMatVec.Row"/>, so the results have the bits
/// of the 256-bit single-token path.
/// </summary>
internal static unsafe class LegacyDecode
{
    private const int Block = 32;
    private const int Q40Bytes = 18;

    /// <summary>Whether this CPU runs these kernels (AVX-512 F/BW with accelerated 512-bit vectors, and AVX2/FMA).</summary>
    public static bool IsSupported =>
        Avx512BW.IsSupported && Avx512F.IsSupported && Vector512.IsHardwareAccelerated && LegacyMatVec.IsSupported;

    /// <summary>
    /// output[r] for r in [<paramref name="r0"/>, <paramref name="r1"/>): row r of the Q4_0 <paramref name="weights"/>
    /// (<paramref name="rowBytes"/> apart, <paramref name="blocks"/> blocks each) · the prepared row at
    /// <paramref name="activation"/>; <paramref name="products"/> is scratch for <paramref name="blocks"/> floats.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RowsQ40(byte* weights, long rowBytes, int r0, int r1, int blocks, byte* activation, float* output, float* products)
    {
        var corrections = activation + (blocks * Block);
        var da = (float*)(activation + (blocks * 64));
        var words = ScaleWords();
        KQuantDecode.PrefetchStart(weights + (r0 * rowBytes), (r1 - r0) * rowBytes);
        for (var r = r0; r < r1; r++)
        {
            var row = weights + (r * rowBytes);
            ScaleProducts(row, blocks, da, products, words);
            output[r] = LegacyMatVec.DotQ40(row, activation, corrections, blocks, products);
        }
    }

    /// <summary>
    /// products[b] = d_w[b]·<paramref name="da"/>[b] for the fp16 scale d_w[b] at the start of each 18-byte block of
    /// the row. Sixteen blocks per step: each eight blocks' scales are the words 0, 9, …, 63 of the 128 bytes at the
    /// eight blocks' start (one <c>vpermi2w</c>), so no load leaves the eight blocks' 144 bytes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ScaleProducts(byte* row, int blocks, float* da, float* products, Vector512<short> words)
    {
        const int Eight = 8 * Q40Bytes;
        var b = 0;
        for (; b + 16 <= blocks; b += 16)
        {
            var p = (short*)(row + ((long)b * Q40Bytes));
            var low = Avx512BW.PermuteVar32x16x2(Vector512.Load(p), words, Vector512.Load(p + 32));
            var high = Avx512BW.PermuteVar32x16x2(Vector512.Load(p + (Eight / 2)), words, Vector512.Load(p + (Eight / 2) + 32));
            var packed = Vector256.Create(low.GetLower().GetLower(), high.GetLower().GetLower()).AsUInt16();
            var dw = Simd.HalfToSingle(Avx512F.ConvertToVector512Int32(packed));
            (dw * Vector512.Load(da + b)).Store(products + b);
        }

        for (; b + 8 <= blocks; b += 8)
        {
            var p = (short*)(row + ((long)b * Q40Bytes));
            var packed = Avx512BW.PermuteVar32x16x2(Vector512.Load(p), words, Vector512.Load(p + 32)).GetLower().GetLower().AsUInt16();
            var dw = Simd.HalfToSingle(Avx2.ConvertToVector256Int32(packed));
            (dw * Avx.LoadVector256(da + b)).Store(products + b);
        }

        for (; b < blocks; b++)
        {
            products[b] = Simd.Half(*(ushort*)(row + ((long)b * Q40Bytes))) * da[b];
        }
    }

    /// <summary>vpermi2w indices of the eight fp16 scales in 128 bytes of Q4_0 blocks (words 0, 9, …, 63).</summary>
    private static Vector512<short> ScaleWords()
    {
        var index = Vector512<short>.Zero;
        for (var j = 0; j < 8; j++)
        {
            index = index.WithElement(j, (short)(j * Q40Bytes / 2));
        }

        return index;
    }
}
