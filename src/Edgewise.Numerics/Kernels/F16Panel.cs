using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Edgewise.Numerics.Kernels;

/// <summary>
/// F16 weight rows × several prepared activation rows (prompt batches), 256-bit (512-bit CPUs use
/// <see cref="F16Broadcast"/>). Four weight rows are widened once per token tile into a per-thread float panel, columns
/// interleaved in steps of eight floats, zero-padded to a whole step; a 4 rows × 2 tokens register tile then meets the
/// panel. Every output has one accumulator over the same column steps and the same final reduction, whatever rows and
/// tokens share its tile, so results do not depend on tiling or on how rows are split over threads.
/// The panel holds the weights times <see cref="F16MatVec.WeightScale"/> (<see cref="F16MatVec.WidenScaled(Vector256{int})"/>), so the
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

    [ThreadStatic]
    private static float[]? t_panel;

    /// <summary>output[t·<paramref name="outStride"/> + r] for rows [<paramref name="r0"/>, <paramref name="r1"/>) and every token.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows(
        byte* weights, long rowBytes, int r0, int r1, int cols, byte* activations, int actStride, int tokens, float* output, long outStride)
    {
        const int Step = 8, TokenStep = 2, Height = 4;
        var steps = (cols + Step - 1) / Step;
        var panelFloats = Height * steps * Step;
        var need = panelFloats + 16;
        if (t_panel is null || t_panel.Length < need)
        {
            t_panel = GC.AllocateUninitializedArray<float>(need, pinned: true);
        }

        var tokenTile = Math.Clamp(TileActivationBytes / (cols * 4) & ~3, 4, MaxTokenTile);
        var sums = stackalloc float[MaxTokenTile / 2 * 16];
        var rowPtr = stackalloc ushort*[Height];
        fixed (float* pinnedPanel = t_panel)
        {
            var panel = (float*)(((nint)pinnedPanel + 63) & ~(nint)63);
            for (var t0 = 0; t0 < tokens; t0 += tokenTile)
            {
                var t1 = Math.Min(tokens, t0 + tokenTile);
                for (var r = r0; r < r1; r += Height)
                {
                    var live = Math.Min(Height, r1 - r);
                    for (var k = 0; k < Height; k++)
                    {
                        rowPtr[k] = (ushort*)(weights + ((r + Math.Min(k, live - 1)) * rowBytes));
                    }

                    var specials = Widen256(rowPtr, cols, panel);
                    for (var t = t0; t < t1; t += TokenStep)
                    {
                        var x0 = (float*)(activations + ((long)t * actStride));
                        var x1 = (float*)(activations + ((long)Math.Min(t + 1, t1 - 1) * actStride));
                        Tile4x2(panel, steps, x0, x1, sums + ((t - t0) / TokenStep * 16));
                    }

                    for (var t = t0; t < t1; t += TokenStep)
                    {
                        var tile = sums + ((t - t0) / TokenStep * 16);
                        var liveTokens = Math.Min(TokenStep, t1 - t);
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
}
