using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Edgewise.Numerics.Kernels;

/// <summary>
/// F16 weight rows × several prepared activation rows (prompt batches). A few weight rows (six at 512 bits, four at 256) are widened once into a
/// per-thread float panel, columns interleaved in steps of one vector (16 floats at 512 bits, 8 at 256), zero-padded
/// to a whole step; a register-blocked kernel then meets the panel with a tile of tokens (6 rows × 4 tokens at 512
/// bits, 4 × 2 at 256). Every output has one accumulator over the same column steps and the same final reduction,
/// whatever rows and tokens share its tile, so results do not depend on tiling or on how rows are split over threads.
/// The panel holds the weights times <see cref="F16MatVec.WeightScale"/> (<see cref="F16MatVec.WidenScaled(Vector512{int})"/>), so the
/// activation rows must be prepared with <see cref="F16MatVec.ActivationScale"/> and be zero past <c>cols</c> up to a whole step
/// (<see cref="F16MatVec.Prepare(ReadOnlySpan{float}, float*, float)"/> does that).
/// Rows holding an fp16 infinity or NaN are recomputed by the scalar reference.
/// </summary>
internal static unsafe class F16Panel
{
    private const ushort SpecialShifted = 0xF800;

    /// <summary>
    /// Bytes of activations a token tile should cover: the tile and a panel stay in a 2 MiB L2, and a panel is widened
    /// once per tile (at 512 KiB an 8192-column row met only 16 tokens per widening; 1 MiB measured ~10 % faster there).
    /// </summary>
    private const int TileActivationBytes = 1024 * 1024;

    /// <summary>Most tokens in a tile.</summary>
    private const int MaxTokenTile = 64;

    /// <summary>Column steps per block when rows are long, so a block of the panel stays in L1 while it meets the tile's tokens.</summary>
    private const int ColumnBlockSteps = 48;

    [ThreadStatic]
    private static float[]? t_panel;

    /// <summary>output[t·<paramref name="outStride"/> + r] for rows [<paramref name="r0"/>, <paramref name="r1"/>) and every token.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows(
        byte* weights, long rowBytes, int r0, int r1, int cols, byte* activations, int actStride, int tokens, float* output, long outStride, bool wide)
    {
        wide = wide && Vector512.IsHardwareAccelerated && Avx512BW.IsSupported;
        var step = wide ? 16 : 8;
        var tokenStep = wide ? 4 : 2;
        var height = wide ? 6 : 4;
        var steps = (cols + step - 1) / step;
        var panelFloats = height * steps * step;
        var need = panelFloats + (MaxTokenTile / 4 * 24 * 16) + 16;
        if (t_panel is null || t_panel.Length < need)
        {
            t_panel = GC.AllocateUninitializedArray<float>(need, pinned: true);
        }

        var tokenTile = Math.Clamp(TileActivationBytes / (cols * 4) & ~3, 4, MaxTokenTile);
        var block = wide && steps > 64 ? ColumnBlockSteps : steps;
        var sums = stackalloc float[MaxTokenTile / 2 * 24];
        var rowPtr = stackalloc ushort*[6];
        fixed (float* pinnedPanel = t_panel)
        {
            var panel = (float*)(((nint)pinnedPanel + 63) & ~(nint)63);
            var acc = panel + panelFloats;
            for (var t0 = 0; t0 < tokens; t0 += tokenTile)
            {
                var t1 = Math.Min(tokens, t0 + tokenTile);
                for (var r = r0; r < r1; r += height)
                {
                    var live = Math.Min(height, r1 - r);
                    for (var k = 0; k < height; k++)
                    {
                        rowPtr[k] = (ushort*)(weights + ((r + Math.Min(k, live - 1)) * rowBytes));
                    }

                    var specials = wide ? Widen512(rowPtr, cols, panel) : Widen256(rowPtr, cols, panel);
                    for (var s0 = 0; s0 < steps; s0 += block)
                    {
                        var s1 = Math.Min(steps, s0 + block);
                        for (var t = t0; t < t1; t += tokenStep)
                        {
                            var q = (t - t0) / tokenStep;
                            var x0 = (float*)(activations + ((long)t * actStride));
                            var x1 = (float*)(activations + ((long)Math.Min(t + 1, t1 - 1) * actStride));
                            if (wide)
                            {
                                var x2 = (float*)(activations + ((long)Math.Min(t + 2, t1 - 1) * actStride));
                                var x3 = (float*)(activations + ((long)Math.Min(t + 3, t1 - 1) * actStride));
                                Tile6x4(panel, s0, s1, s1 == steps, x0, x1, x2, x3, acc + (q * 24 * 16), sums + (q * 24));
                            }
                            else
                            {
                                Tile4x2(panel, steps, x0, x1, sums + (q * 24));
                            }
                        }
                    }

                    for (var t = t0; t < t1; t += tokenStep)
                    {
                        var tile = sums + ((t - t0) / tokenStep * 24);
                        var liveTokens = Math.Min(tokenStep, t1 - t);
                        for (var k = 0; k < live; k++)
                        {
                            for (var j = 0; j < liveTokens; j++)
                            {
                                output[((t + j) * outStride) + r + k] = tile[(k * 4) + j];
                            }
                        }
                    }

                    if (specials != 0)
                    {
                        for (var k = 0; k < live; k++)
                        {
                            if ((specials & (1 << k)) != 0)
                            {
                                for (var t = t0; t < t1; t++)
                                {
                                    output[(t * outStride) + r + k] = F16MatVec.Reference(rowPtr[k], (float*)(activations + ((long)t * actStride)), cols, F16MatVec.WeightScale);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>Widens six rows into the panel in 16-column steps; returns a bit per row that holds an fp16 special.</summary>
    private static int Widen512(ushort** rows, int cols, float* panel)
    {
        var full = cols / 16;
        var specials = 0;
        for (var k = 0; k < 6; k++)
        {
            var row = rows[k];
            var peak = Vector256<ushort>.Zero;
            var dst = panel + (k * 16);
            for (var s = 0; s < full; s++)
            {
                var raw = Vector256.Load(row + (s * 16));
                peak = Avx2.Max(peak, Avx2.ShiftLeftLogical(raw, 1));
                var value = F16MatVec.WidenScaled(Avx512F.ConvertToVector512Int32(raw.AsInt16()));
                value.Store(dst + (s * 96));
            }

            var special = Vector256.GreaterThanOrEqualAny(peak, Vector256.Create(SpecialShifted)) | WidenTail(row, full * 16, cols, dst + (full * 96), 16);
            specials |= special ? 1 << k : 0;
        }

        return specials;
    }

    /// <summary>Widens four rows into the panel in 8-column steps; returns a bit per row that holds an fp16 special.</summary>
    private static int Widen256(ushort** rows, int cols, float* panel)
    {
        var full = cols / 8;
        var specials = 0;
        for (var k = 0; k < 4; k++)
        {
            var row = rows[k];
            var peak = Vector128<ushort>.Zero;
            var dst = panel + (k * 8);
            for (var s = 0; s < full; s++)
            {
                var raw = Vector128.Load(row + (s * 8));
                peak = Sse41.Max(peak, Sse2.ShiftLeftLogical(raw, 1));
                var value = F16MatVec.WidenScaled(Avx2.ConvertToVector256Int32(raw.AsInt16()));
                value.Store(dst + (s * 32));
            }

            var special = Vector128.GreaterThanOrEqualAny(peak, Vector128.Create(SpecialShifted)) | WidenTail(row, full * 8, cols, dst + (full * 32), 8);
            specials |= special ? 1 << k : 0;
        }

        return specials;
    }

    /// <summary>Widens columns [<paramref name="from"/>, <paramref name="cols"/>) into one step, zero-padded; whether any is special.</summary>
    private static bool WidenTail(ushort* row, int from, int cols, float* dst, int step)
    {
        if (from == cols)
        {
            return false;
        }

        var special = false;
        for (var i = 0; i < step; i++)
        {
            var c = from + i;
            dst[i] = c < cols ? Simd.Half(row[c]) * F16MatVec.WeightScale : 0f;
            special |= c < cols && F16MatVec.IsSpecial(row[c]);
        }

        return special;
    }

    /// <summary>
    /// Column steps [<paramref name="s0"/>, <paramref name="s1"/>) of the panel's six rows and four tokens, 512-bit:
    /// the 24 accumulators start at zero for the first step and are otherwise carried in <paramref name="acc"/>, so a
    /// row split into column blocks gets exactly the sums of one pass; after the last block sums[row·4 + token] is written.
    /// </summary>
    private static void Tile6x4(float* panel, int s0, int s1, bool last, float* x0, float* x1, float* x2, float* x3, float* acc, float* sums)
    {
        Vector512<float> c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23;
        Vector512<float> c30, c31, c32, c33, c40, c41, c42, c43, c50, c51, c52, c53;
        if (s0 == 0)
        {
            c00 = c01 = c02 = c03 = c10 = c11 = c12 = c13 = c20 = c21 = c22 = c23 = default;
            c30 = c31 = c32 = c33 = c40 = c41 = c42 = c43 = c50 = c51 = c52 = c53 = default;
        }
        else
        {
            c00 = Vector512.Load(acc + 0);
            c01 = Vector512.Load(acc + 16);
            c02 = Vector512.Load(acc + 32);
            c03 = Vector512.Load(acc + 48);
            c10 = Vector512.Load(acc + 64);
            c11 = Vector512.Load(acc + 80);
            c12 = Vector512.Load(acc + 96);
            c13 = Vector512.Load(acc + 112);
            c20 = Vector512.Load(acc + 128);
            c21 = Vector512.Load(acc + 144);
            c22 = Vector512.Load(acc + 160);
            c23 = Vector512.Load(acc + 176);
            c30 = Vector512.Load(acc + 192);
            c31 = Vector512.Load(acc + 208);
            c32 = Vector512.Load(acc + 224);
            c33 = Vector512.Load(acc + 240);
            c40 = Vector512.Load(acc + 256);
            c41 = Vector512.Load(acc + 272);
            c42 = Vector512.Load(acc + 288);
            c43 = Vector512.Load(acc + 304);
            c50 = Vector512.Load(acc + 320);
            c51 = Vector512.Load(acc + 336);
            c52 = Vector512.Load(acc + 352);
            c53 = Vector512.Load(acc + 368);
        }

        for (var s = s0; s < s1; s++)
        {
            var p = panel + (s * 96);
            var o = s * 16;
            var a0 = Vector512.Load(x0 + o);
            var a1 = Vector512.Load(x1 + o);
            var a2 = Vector512.Load(x2 + o);
            var a3 = Vector512.Load(x3 + o);
            var w0 = Vector512.Load(p + 0);
            c00 = Avx512F.FusedMultiplyAdd(w0, a0, c00);
            c01 = Avx512F.FusedMultiplyAdd(w0, a1, c01);
            c02 = Avx512F.FusedMultiplyAdd(w0, a2, c02);
            c03 = Avx512F.FusedMultiplyAdd(w0, a3, c03);
            var w1 = Vector512.Load(p + 16);
            c10 = Avx512F.FusedMultiplyAdd(w1, a0, c10);
            c11 = Avx512F.FusedMultiplyAdd(w1, a1, c11);
            c12 = Avx512F.FusedMultiplyAdd(w1, a2, c12);
            c13 = Avx512F.FusedMultiplyAdd(w1, a3, c13);
            var w2 = Vector512.Load(p + 32);
            c20 = Avx512F.FusedMultiplyAdd(w2, a0, c20);
            c21 = Avx512F.FusedMultiplyAdd(w2, a1, c21);
            c22 = Avx512F.FusedMultiplyAdd(w2, a2, c22);
            c23 = Avx512F.FusedMultiplyAdd(w2, a3, c23);
            var w3 = Vector512.Load(p + 48);
            c30 = Avx512F.FusedMultiplyAdd(w3, a0, c30);
            c31 = Avx512F.FusedMultiplyAdd(w3, a1, c31);
            c32 = Avx512F.FusedMultiplyAdd(w3, a2, c32);
            c33 = Avx512F.FusedMultiplyAdd(w3, a3, c33);
            var w4 = Vector512.Load(p + 64);
            c40 = Avx512F.FusedMultiplyAdd(w4, a0, c40);
            c41 = Avx512F.FusedMultiplyAdd(w4, a1, c41);
            c42 = Avx512F.FusedMultiplyAdd(w4, a2, c42);
            c43 = Avx512F.FusedMultiplyAdd(w4, a3, c43);
            var w5 = Vector512.Load(p + 80);
            c50 = Avx512F.FusedMultiplyAdd(w5, a0, c50);
            c51 = Avx512F.FusedMultiplyAdd(w5, a1, c51);
            c52 = Avx512F.FusedMultiplyAdd(w5, a2, c52);
            c53 = Avx512F.FusedMultiplyAdd(w5, a3, c53);
        }

        if (!last)
        {
            c00.Store(acc + 0);
            c01.Store(acc + 16);
            c02.Store(acc + 32);
            c03.Store(acc + 48);
            c10.Store(acc + 64);
            c11.Store(acc + 80);
            c12.Store(acc + 96);
            c13.Store(acc + 112);
            c20.Store(acc + 128);
            c21.Store(acc + 144);
            c22.Store(acc + 160);
            c23.Store(acc + 176);
            c30.Store(acc + 192);
            c31.Store(acc + 208);
            c32.Store(acc + 224);
            c33.Store(acc + 240);
            c40.Store(acc + 256);
            c41.Store(acc + 272);
            c42.Store(acc + 288);
            c43.Store(acc + 304);
            c50.Store(acc + 320);
            c51.Store(acc + 336);
            c52.Store(acc + 352);
            c53.Store(acc + 368);
            return;
        }

        Store4(sums + 0, c00, c01, c02, c03);
        Store4(sums + 4, c10, c11, c12, c13);
        Store4(sums + 8, c20, c21, c22, c23);
        Store4(sums + 12, c30, c31, c32, c33);
        Store4(sums + 16, c40, c41, c42, c43);
        Store4(sums + 20, c50, c51, c52, c53);
    }

    /// <summary>sums[row·4 + token] for the panel's four rows and two tokens, 256-bit.</summary>
    private static void Tile4x2(float* panel, int steps, float* x0, float* x1, float* sums)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector256<float> c20 = default, c21 = default, c30 = default, c31 = default;
        for (var s = 0; s < steps; s++)
        {
            var p = panel + (s * 32);
            var o = s * 8;
            var a0 = Avx.LoadVector256(x0 + o);
            var a1 = Avx.LoadVector256(x1 + o);
            var w = Avx.LoadVector256(p);
            c00 = Fma.MultiplyAdd(w, a0, c00);
            c01 = Fma.MultiplyAdd(w, a1, c01);
            w = Avx.LoadVector256(p + 8);
            c10 = Fma.MultiplyAdd(w, a0, c10);
            c11 = Fma.MultiplyAdd(w, a1, c11);
            w = Avx.LoadVector256(p + 16);
            c20 = Fma.MultiplyAdd(w, a0, c20);
            c21 = Fma.MultiplyAdd(w, a1, c21);
            w = Avx.LoadVector256(p + 24);
            c30 = Fma.MultiplyAdd(w, a0, c30);
            c31 = Fma.MultiplyAdd(w, a1, c31);
        }

        sums[0] = Simd.Sum(c00);
        sums[1] = Simd.Sum(c01);
        sums[4] = Simd.Sum(c10);
        sums[5] = Simd.Sum(c11);
        sums[8] = Simd.Sum(c20);
        sums[9] = Simd.Sum(c21);
        sums[12] = Simd.Sum(c30);
        sums[13] = Simd.Sum(c31);
    }

    /// <summary>The four horizontal sums of a, b, c, d into dst[0..3], each by the same tree of additions.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store4(float* dst, Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d)
    {
        var ab = Avx.HorizontalAdd(a.GetLower() + a.GetUpper(), b.GetLower() + b.GetUpper());
        var cd = Avx.HorizontalAdd(c.GetLower() + c.GetUpper(), d.GetLower() + d.GetUpper());
        var abcd = Avx.HorizontalAdd(ab, cd);
        (abcd.GetLower() + abcd.GetUpper()).Store(dst);
    }
}
