using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Edgewise.Numerics.Kernels;

/// <summary>
/// F16 weight rows × a prompt batch, 512-bit, as an outer product: twelve weight rows are widened once per call into a
/// per-thread panel that interleaves them column by column, and the activations arrive transposed in blocks of 32
/// tokens (<see cref="Transpose"/>: column c of a block is 32 consecutive floats). For each column the kernel loads the
/// block's two token vectors, broadcasts each of the twelve weights and does 24 fused multiply-adds into 24 accumulators
/// (12 rows × 32 tokens); there is no horizontal reduction. Every output is one sequential sum over the columns in the
/// same order, in whichever lane its token sits, so a token's result does not depend on the batch around it. Scaling and
/// specials are as in <see cref="F16Panel"/>: the panel holds weights × <see cref="F16MatVec.WeightScale"/>, the
/// activations are prepared with <see cref="F16MatVec.ActivationScale"/>, and rows holding an fp16 infinity or NaN are
/// recomputed by the scalar reference.
/// </summary>
internal static unsafe class F16Broadcast
{
    /// <summary>Weight rows per panel.</summary>
    public const int Height = 12;

    /// <summary>Tokens per transposed block.</summary>
    public const int BlockTokens = 32;

    /// <summary>Columns per block: a row group's panel block (12 KiB) and a token block's activations (32 KiB) fit in L1 and L2 together.</summary>
    private const int ColumnBlock = 256;

    [ThreadStatic]
    private static float[]? t_buffer;

    /// <summary>Whether this CPU runs the kernel.</summary>
    public static bool IsSupported => Avx512F.IsSupported && Avx512BW.IsSupported && Vector512.IsHardwareAccelerated;

    /// <summary>Bytes of transposed activations for <paramref name="tokens"/> tokens of <paramref name="cols"/> columns.</summary>
    public static long TransposedBytes(int cols, int tokens) => (long)((tokens + BlockTokens - 1) / BlockTokens) * BlockTokens * cols * sizeof(float);

    /// <summary>
    /// Writes block <paramref name="block"/> of the transposed activations: column c of the block holds tokens
    /// 32·block .. 32·block + 31 of the prepared rows (zero past <paramref name="tokens"/>).
    /// </summary>
    public static void Transpose(byte* activations, int actStride, int tokens, int cols, int block, float* transposed)
    {
        var dst = transposed + ((long)block * BlockTokens * cols);
        var t0 = block * BlockTokens;
        var live = Math.Min(BlockTokens, tokens - t0);
        for (var j = 0; j < BlockTokens; j++)
        {
            if (j >= live)
            {
                for (var c = 0; c < cols; c++)
                {
                    dst[(c * BlockTokens) + j] = 0f;
                }

                continue;
            }

            var row = (float*)(activations + ((long)(t0 + j) * actStride));
            for (var c = 0; c < cols; c++)
            {
                dst[(c * BlockTokens) + j] = row[c];
            }
        }
    }

    /// <summary>
    /// output[t·<paramref name="outStride"/> + r] for rows [<paramref name="r0"/>, <paramref name="r1"/>) and every token.
    /// Columns go in blocks of <see cref="ColumnBlock"/>: each block of every row group is widened once, then meets every
    /// token block, the accumulators carried between column blocks (so each output is still one sequential sum), and a
    /// token block's slice of activations stays in cache while it meets all the chunk's row groups.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows(
        byte* weights, long rowBytes, int r0, int r1, int cols, byte* activations, int actStride, float* transposed, int tokens, float* output, long outStride)
    {
        var groups = (r1 - r0 + Height - 1) / Height;
        var tokenBlocks = (tokens + BlockTokens - 1) / BlockTokens;
        var panelFloats = groups * Height * ColumnBlock;
        var accFloats = groups * tokenBlocks * Height * BlockTokens;
        var need = panelFloats + accFloats + 16;
        if (t_buffer is null || t_buffer.Length < need)
        {
            t_buffer = GC.AllocateUninitializedArray<float>(need, pinned: true);
        }

        var specials = stackalloc int[groups];
        fixed (float* pinned = t_buffer)
        {
            var panel = (float*)(((nint)pinned + 63) & ~(nint)63);
            var acc = panel + panelFloats;
            for (var g = 0; g < groups; g++)
            {
                specials[g] = 0;
            }

            for (var c0 = 0; c0 < cols; c0 += ColumnBlock)
            {
                var width = Math.Min(ColumnBlock, cols - c0);
                for (var g = 0; g < groups; g++)
                {
                    var r = r0 + (g * Height);
                    specials[g] |= Widen(weights + (r * rowBytes) + (c0 * 2L), rowBytes, Math.Min(Height, r1 - r), width, panel + (g * Height * ColumnBlock));
                }

                for (var tb = 0; tb < tokenBlocks; tb++)
                {
                    var x = transposed + ((long)tb * BlockTokens * cols) + ((long)c0 * BlockTokens);
                    for (var g = 0; g < groups; g++)
                    {
                        Tile(panel + (g * Height * ColumnBlock), width, x, acc + (((g * tokenBlocks) + tb) * Height * BlockTokens), c0 == 0);
                    }
                }
            }

            for (var g = 0; g < groups; g++)
            {
                var r = r0 + (g * Height);
                var live = Math.Min(Height, r1 - r);
                for (var tb = 0; tb < tokenBlocks; tb++)
                {
                    var tile = acc + (((g * tokenBlocks) + tb) * Height * BlockTokens);
                    var t0 = tb * BlockTokens;
                    var liveTokens = Math.Min(BlockTokens, tokens - t0);
                    for (var k = 0; k < live; k++)
                    {
                        for (var j = 0; j < liveTokens; j++)
                        {
                            output[((t0 + j) * outStride) + r + k] = tile[(k * BlockTokens) + j];
                        }
                    }
                }

                for (var k = 0; k < live; k++)
                {
                    if ((specials[g] & (1 << k)) != 0)
                    {
                        var row = (ushort*)(weights + ((r + k) * rowBytes));
                        for (var t = 0; t < tokens; t++)
                        {
                            output[(t * outStride) + r + k] = F16MatVec.Reference(row, (float*)(activations + ((long)t * actStride)), cols, F16MatVec.WeightScale);
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Widens columns [0, <paramref name="width"/>) of <paramref name="live"/> rows starting at <paramref name="first"/>
    /// (the rest of the twelve are zero) into panel[c·12 + k]; returns a bit per row that holds an fp16 special there.
    /// </summary>
    private static int Widen(byte* first, long rowBytes, int live, int width, float* panel)
    {
        var specials = 0;
        var full = width / 16;
        var widened = stackalloc float[16];
        for (var k = 0; k < Height; k++)
        {
            if (k >= live)
            {
                for (var c = 0; c < width; c++)
                {
                    panel[(c * Height) + k] = 0f;
                }

                continue;
            }

            var row = (ushort*)(first + (k * rowBytes));
            var peak = Vector256<ushort>.Zero;
            for (var s = 0; s < full; s++)
            {
                var raw = Vector256.Load(row + (s * 16));
                peak = Avx2.Max(peak, Avx2.ShiftLeftLogical(raw, 1));
                F16MatVec.WidenScaled(Avx512F.ConvertToVector512Int32(raw.AsInt16())).Store(widened);
                var dst = panel + (s * 16 * Height) + k;
                for (var i = 0; i < 16; i++)
                {
                    dst[i * Height] = widened[i];
                }
            }

            var special = Vector256.GreaterThanOrEqualAny(peak, Vector256.Create((ushort)0xF800));
            for (var c = full * 16; c < width; c++)
            {
                panel[(c * Height) + k] = Simd.Half(row[c]) * F16MatVec.WeightScale;
                special |= F16MatVec.IsSpecial(row[c]);
            }

            specials |= special ? 1 << k : 0;
        }

        return specials;
    }

    /// <summary>
    /// tile[k·32 + j] += Σ_c panel[c·12 + k] · x[c·32 + j] over <paramref name="cols"/> columns, column by column, starting
    /// from zero when <paramref name="first"/>.
    /// </summary>
    private static void Tile(float* panel, int cols, float* x, float* tile, bool first)
    {
        Vector512<float> a0, b0, a1, b1, a2, b2, a3, b3, a4, b4, a5, b5, a6, b6, a7, b7, a8, b8, a9, b9, a10, b10, a11, b11;
        if (first)
        {
            a0 = b0 = a1 = b1 = a2 = b2 = a3 = b3 = a4 = b4 = a5 = b5 = default;
            a6 = b6 = a7 = b7 = a8 = b8 = a9 = b9 = a10 = b10 = a11 = b11 = default;
        }
        else
        {
            a0 = Vector512.Load(tile);
            b0 = Vector512.Load(tile + 16);
            a1 = Vector512.Load(tile + 32);
            b1 = Vector512.Load(tile + 48);
            a2 = Vector512.Load(tile + 64);
            b2 = Vector512.Load(tile + 80);
            a3 = Vector512.Load(tile + 96);
            b3 = Vector512.Load(tile + 112);
            a4 = Vector512.Load(tile + 128);
            b4 = Vector512.Load(tile + 144);
            a5 = Vector512.Load(tile + 160);
            b5 = Vector512.Load(tile + 176);
            a6 = Vector512.Load(tile + 192);
            b6 = Vector512.Load(tile + 208);
            a7 = Vector512.Load(tile + 224);
            b7 = Vector512.Load(tile + 240);
            a8 = Vector512.Load(tile + 256);
            b8 = Vector512.Load(tile + 272);
            a9 = Vector512.Load(tile + 288);
            b9 = Vector512.Load(tile + 304);
            a10 = Vector512.Load(tile + 320);
            b10 = Vector512.Load(tile + 336);
            a11 = Vector512.Load(tile + 352);
            b11 = Vector512.Load(tile + 368);
        }

        var w = panel;
        var end = x + ((long)cols * BlockTokens);
        for (; x < end; x += BlockTokens, w += Height)
        {
            var xa = Vector512.Load(x);
            var xb = Vector512.Load(x + 16);
            var v = Vector512.Create(w[0]);
            a0 = Avx512F.FusedMultiplyAdd(v, xa, a0);
            b0 = Avx512F.FusedMultiplyAdd(v, xb, b0);
            v = Vector512.Create(w[1]);
            a1 = Avx512F.FusedMultiplyAdd(v, xa, a1);
            b1 = Avx512F.FusedMultiplyAdd(v, xb, b1);
            v = Vector512.Create(w[2]);
            a2 = Avx512F.FusedMultiplyAdd(v, xa, a2);
            b2 = Avx512F.FusedMultiplyAdd(v, xb, b2);
            v = Vector512.Create(w[3]);
            a3 = Avx512F.FusedMultiplyAdd(v, xa, a3);
            b3 = Avx512F.FusedMultiplyAdd(v, xb, b3);
            v = Vector512.Create(w[4]);
            a4 = Avx512F.FusedMultiplyAdd(v, xa, a4);
            b4 = Avx512F.FusedMultiplyAdd(v, xb, b4);
            v = Vector512.Create(w[5]);
            a5 = Avx512F.FusedMultiplyAdd(v, xa, a5);
            b5 = Avx512F.FusedMultiplyAdd(v, xb, b5);
            v = Vector512.Create(w[6]);
            a6 = Avx512F.FusedMultiplyAdd(v, xa, a6);
            b6 = Avx512F.FusedMultiplyAdd(v, xb, b6);
            v = Vector512.Create(w[7]);
            a7 = Avx512F.FusedMultiplyAdd(v, xa, a7);
            b7 = Avx512F.FusedMultiplyAdd(v, xb, b7);
            v = Vector512.Create(w[8]);
            a8 = Avx512F.FusedMultiplyAdd(v, xa, a8);
            b8 = Avx512F.FusedMultiplyAdd(v, xb, b8);
            v = Vector512.Create(w[9]);
            a9 = Avx512F.FusedMultiplyAdd(v, xa, a9);
            b9 = Avx512F.FusedMultiplyAdd(v, xb, b9);
            v = Vector512.Create(w[10]);
            a10 = Avx512F.FusedMultiplyAdd(v, xa, a10);
            b10 = Avx512F.FusedMultiplyAdd(v, xb, b10);
            v = Vector512.Create(w[11]);
            a11 = Avx512F.FusedMultiplyAdd(v, xa, a11);
            b11 = Avx512F.FusedMultiplyAdd(v, xb, b11);
        }

        a0.Store(tile);
        b0.Store(tile + 16);
        a1.Store(tile + 32);
        b1.Store(tile + 48);
        a2.Store(tile + 64);
        b2.Store(tile + 80);
        a3.Store(tile + 96);
        b3.Store(tile + 112);
        a4.Store(tile + 128);
        b4.Store(tile + 144);
        a5.Store(tile + 160);
        b5.Store(tile + 176);
        a6.Store(tile + 192);
        b6.Store(tile + 208);
        a7.Store(tile + 224);
        b7.Store(tile + 240);
        a8.Store(tile + 256);
        b8.Store(tile + 272);
        a9.Store(tile + 288);
        b9.Store(tile + 304);
        a10.Store(tile + 320);
        b10.Store(tile + 336);
        a11.Store(tile + 352);
        b11.Store(tile + 368);
    }
}
