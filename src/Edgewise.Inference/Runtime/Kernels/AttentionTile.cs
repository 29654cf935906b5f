using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Edgewise.Numerics;

namespace Edgewise.Inference.Runtime.Kernels;

/// <summary>
/// Blocked causal attention for a tile of consecutive query tokens of one sequence and a run of query heads that
/// share one KV head. Rows are (token, head) pairs, token-major. Keys are taken a tile of two vectors' width at a
/// time: the K tile is widened once, transposed, into per-thread scratch, and scores for four rows at a time come
/// out of a register-blocked product (query values broadcast, keys along the lanes). A row's softmax runs over its
/// own causal prefix only (the sum in double, as ggml does); then V tiles are widened once each and the output
/// gathers four rows × two vectors of the head dimension per pass. With an F16 cache the query and the softmax
/// weights are rounded to F16 before their products, as ggml does; with an F32 cache nothing is rounded.
/// </summary>
internal static class AttentionTile
{
    private const int RowBlock = 4;

    /// <summary>Below this many rows (a decode step) scores are row·key dot products, with no transposed key tile.</summary>
    private const int DotRows = 8;

    [ThreadStatic]
    private static float[]? t_scratch;

    /// <summary>
    /// Attends the tile: token i (position positions[i], ascending) and head g (0 ≤ g &lt; heads) read their query at
    /// q[i·qStride + g·headDim ..] and write their output to output[i·outputStride + g·headDim ..]. The heads share KV
    /// head <paramref name="kvHead"/>.
    /// </summary>
    public static void Run<TL, TV>(
        KvCache cache,
        int layer,
        int sequence,
        ReadOnlySpan<int> positions,
        ReadOnlySpan<float> q,
        int qStride,
        int heads,
        int kvHead,
        int headDim,
        float scale,
        Span<float> output,
        int outputStride)
        where TL : struct, IAttentionLanes<TV>
        where TV : struct
    {
        var hd = headDim;
        var tokens = positions.Length;
        var rows = tokens * heads;
        var kt = 2 * TL.Count;
        var length = positions[tokens - 1] + 1;
        var padded = (length + kt - 1) / kt * kt;
        var half = cache.Type == KvCacheType.F16;
        var offset = kvHead * hd;
        var width = cache.Width;

        var needed = (2 * rows * hd) + (2 * kt * hd) + (rows * padded);
        if (t_scratch is null || t_scratch.Length < needed)
        {
            t_scratch = new float[Math.Max(needed, 2 * (t_scratch?.Length ?? 0))];
        }

        var scratch = t_scratch.AsSpan();
        var qs = scratch[..(rows * hd)];
        var os = scratch.Slice(rows * hd, rows * hd);
        var ks = scratch.Slice(2 * rows * hd, kt * hd);
        var vs = scratch.Slice((2 * rows * hd) + (kt * hd), kt * hd);
        var ss = scratch.Slice((2 * rows * hd) + (2 * kt * hd), rows * padded);

        for (var i = 0; i < tokens; i++)
        {
            for (var g = 0; g < heads; g++)
            {
                var src = q.Slice((i * qStride) + (g * hd), hd);
                var dst = qs.Slice(((i * heads) + g) * hd, hd);
                src.CopyTo(dst);
                if (half)
                {
                    RoundToHalf<TL, TV>(dst);
                }
            }
        }

        if (rows < DotRows)
        {
            DotScores<TL, TV>(cache, layer, sequence, positions, heads, offset, hd, scale, qs, vs, ss, padded);
        }
        else
        {
            for (var j0 = 0; j0 < length; j0 += kt)
            {
                var kn = Math.Min(kt, length - j0);
                if (half)
                {
                    WidenTransposed(cache.KeysF16(sequence, layer).AsSpan((j0 * width) + offset), width, kn, hd, kt, vs, ks);
                }
                else
                {
                    CopyTransposed(cache.KeysF32(sequence, layer).AsSpan((j0 * width) + offset), width, kn, hd, kt, ks);
                }

                for (var r0 = 0; r0 < rows; r0 += RowBlock)
                {
                    var rn = Math.Min(RowBlock, rows - r0);
                    if (positions[(r0 + rn - 1) / heads] < j0)
                    {
                        continue;
                    }

                    ref var qr = ref MemoryMarshal.GetReference(qs[(r0 * hd)..]);
                    ref var sr = ref MemoryMarshal.GetReference(ss[((r0 * padded) + j0)..]);
                    if (rn == RowBlock)
                    {
                        Scores4<TL, TV>(ref qr, hd, ref MemoryMarshal.GetReference(ks), padded, scale, ref sr);
                    }
                    else
                    {
                        for (var r = 0; r < rn; r++)
                        {
                            Scores1<TL, TV>(ref Unsafe.Add(ref qr, r * hd), hd, ref MemoryMarshal.GetReference(ks), scale, ref Unsafe.Add(ref sr, r * padded));
                        }
                    }
                }
            }
        }

        for (var r = 0; r < rows; r++)
        {
            var n = positions[r / heads] + 1;
            var row = ss.Slice(r * padded, padded);
            Softmax<TL, TV>(row[..n], half);
            row[n..].Clear();
        }

        os.Clear();
        for (var j0 = 0; j0 < length; j0 += kt)
        {
            var kn = Math.Min(kt, length - j0);
            ReadOnlySpan<float> values;
            int vStride;
            if (half)
            {
                AttentionWiden.Rows(cache.ValuesF16(sequence, layer).AsSpan((j0 * width) + offset), width, kn, hd, vs);
                values = vs;
                vStride = hd;
            }
            else
            {
                values = cache.ValuesF32(sequence, layer).AsSpan((j0 * width) + offset);
                vStride = width;
            }

            for (var r0 = 0; r0 < rows; r0 += RowBlock)
            {
                var rn = Math.Min(RowBlock, rows - r0);
                var last = positions[(r0 + rn - 1) / heads];
                if (last < j0)
                {
                    continue;
                }

                var keys = Math.Min(kn, last + 1 - j0);
                ref var pr = ref MemoryMarshal.GetReference(ss[((r0 * padded) + j0)..]);
                ref var orow = ref MemoryMarshal.GetReference(os[(r0 * hd)..]);
                ref var vr = ref MemoryMarshal.GetReference(values);
                if (rn == RowBlock)
                {
                    Gather4<TL, TV>(ref pr, padded, ref vr, vStride, keys, hd, ref orow);
                }
                else
                {
                    for (var r = 0; r < rn; r++)
                    {
                        Gather1<TL, TV>(ref Unsafe.Add(ref pr, r * padded), ref vr, vStride, keys, hd, ref Unsafe.Add(ref orow, r * hd));
                    }
                }
            }
        }

        for (var i = 0; i < tokens; i++)
        {
            os.Slice(i * heads * hd, heads * hd).CopyTo(output.Slice(i * outputStride, heads * hd));
        }
    }

    /// <summary>dst[d·kt + j] = src[j·stride + d] widened, for j &lt; count (rows widened into <paramref name="rows"/> first).</summary>
    private static void WidenTransposed(ReadOnlySpan<ushort> src, int stride, int count, int hd, int kt, Span<float> rows, Span<float> dst)
    {
        AttentionWiden.Rows(src, stride, count, hd, rows);
        CopyTransposed(rows, hd, count, hd, kt, dst);
    }

    private static void CopyTransposed(ReadOnlySpan<float> src, int stride, int count, int hd, int kt, Span<float> dst)
    {
        if (count > 0 && (src.Length < ((count - 1) * stride) + hd || dst.Length < ((hd - 1) * kt) + count))
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }

        ref var s = ref MemoryMarshal.GetReference(src);
        ref var t = ref MemoryMarshal.GetReference(dst);
        for (var j = 0; j < count; j++)
        {
            ref var row = ref Unsafe.Add(ref s, j * stride);
            for (var d = 0; d < hd; d++)
            {
                Unsafe.Add(ref t, (d * kt) + j) = Unsafe.Add(ref row, d);
            }
        }
    }

    /// <summary>
    /// Scores as dot products of each query row with each key row (F16 keys widened a tile at a time into
    /// <paramref name="rowsScratch"/>, F32 keys read in place): for few rows this beats transposing the key tile.
    /// </summary>
    private static void DotScores<TL, TV>(
        KvCache cache, int layer, int sequence, ReadOnlySpan<int> positions, int heads, int offset, int hd, float scale,
        ReadOnlySpan<float> qs, Span<float> rowsScratch, Span<float> ss, int padded)
        where TL : struct, IAttentionLanes<TV>
        where TV : struct
    {
        var kt = 2 * TL.Count;
        var width = cache.Width;
        var rows = positions.Length * heads;
        var length = positions[^1] + 1;
        for (var j0 = 0; j0 < length; j0 += kt)
        {
            var kn = Math.Min(kt, length - j0);
            ReadOnlySpan<float> keys;
            int stride;
            if (cache.Type == KvCacheType.F16)
            {
                AttentionWiden.Rows(cache.KeysF16(sequence, layer).AsSpan((j0 * width) + offset), width, kn, hd, rowsScratch);
                keys = rowsScratch;
                stride = hd;
            }
            else
            {
                keys = cache.KeysF32(sequence, layer).AsSpan((j0 * width) + offset);
                stride = width;
            }

            if (keys.Length < ((kn - 1) * stride) + hd)
            {
                throw new ArgumentOutOfRangeException(nameof(positions));
            }

            for (var r = 0; r < rows; r++)
            {
                var count = Math.Min(kn, positions[r / heads] + 1 - j0);
                var q = qs.Slice(r * hd, hd);
                var s = ss.Slice((r * padded) + j0, kt);
                for (var j = 0; j < count; j++)
                {
                    s[j] = Dot<TL, TV>(q, ref Unsafe.AsRef(in keys[j * stride])) * scale;
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot<TL, TV>(ReadOnlySpan<float> q, ref float k)
        where TL : struct, IAttentionLanes<TV>
        where TV : struct
    {
        var c = TL.Count;
        var hd = q.Length;
        ref var rq = ref MemoryMarshal.GetReference(q);
        var d = 0;
        var sum = 0f;
        if (hd >= c)
        {
            var acc = TL.Multiply(TL.Load(ref rq, 0), TL.Load(ref k, 0));
            for (d = c; d + c <= hd; d += c)
            {
                acc = TL.MultiplyAdd(TL.Load(ref rq, (nuint)d), TL.Load(ref k, (nuint)d), acc);
            }

            sum = TL.SumAcross(acc);
        }

        for (; d < hd; d++)
        {
            sum += Unsafe.Add(ref rq, d) * Unsafe.Add(ref k, d);
        }

        return sum;
    }

    /// <summary>Scores of four query rows (stride hd) against one transposed key tile, times scale, into four score rows.</summary>
    private static void Scores4<TL, TV>(ref float q, int hd, ref float k, int sStride, float scale, ref float s)
        where TL : struct, IAttentionLanes<TV>
        where TV : struct
    {
        var c = (nuint)TL.Count;
        var kt = 2 * c;
        var a00 = TL.Broadcast(0f);
        var a01 = a00;
        var a10 = a00;
        var a11 = a00;
        var a20 = a00;
        var a21 = a00;
        var a30 = a00;
        var a31 = a00;
        ref var q1 = ref Unsafe.Add(ref q, hd);
        ref var q2 = ref Unsafe.Add(ref q, 2 * hd);
        ref var q3 = ref Unsafe.Add(ref q, 3 * hd);
        for (var d = 0; d < hd; d++)
        {
            var at = (nuint)d * kt;
            var k0 = TL.Load(ref k, at);
            var k1 = TL.Load(ref k, at + c);
            var b = TL.Broadcast(Unsafe.Add(ref q, d));
            a00 = TL.MultiplyAdd(b, k0, a00);
            a01 = TL.MultiplyAdd(b, k1, a01);
            b = TL.Broadcast(Unsafe.Add(ref q1, d));
            a10 = TL.MultiplyAdd(b, k0, a10);
            a11 = TL.MultiplyAdd(b, k1, a11);
            b = TL.Broadcast(Unsafe.Add(ref q2, d));
            a20 = TL.MultiplyAdd(b, k0, a20);
            a21 = TL.MultiplyAdd(b, k1, a21);
            b = TL.Broadcast(Unsafe.Add(ref q3, d));
            a30 = TL.MultiplyAdd(b, k0, a30);
            a31 = TL.MultiplyAdd(b, k1, a31);
        }

        var vs = TL.Broadcast(scale);
        var stride = (nuint)sStride;
        TL.Store(TL.Multiply(a00, vs), ref s, 0);
        TL.Store(TL.Multiply(a01, vs), ref s, c);
        TL.Store(TL.Multiply(a10, vs), ref s, stride);
        TL.Store(TL.Multiply(a11, vs), ref s, stride + c);
        TL.Store(TL.Multiply(a20, vs), ref s, 2 * stride);
        TL.Store(TL.Multiply(a21, vs), ref s, (2 * stride) + c);
        TL.Store(TL.Multiply(a30, vs), ref s, 3 * stride);
        TL.Store(TL.Multiply(a31, vs), ref s, (3 * stride) + c);
    }

    private static void Scores1<TL, TV>(ref float q, int hd, ref float k, float scale, ref float s)
        where TL : struct, IAttentionLanes<TV>
        where TV : struct
    {
        var c = (nuint)TL.Count;
        var kt = 2 * c;
        var a0 = TL.Broadcast(0f);
        var a1 = a0;
        for (var d = 0; d < hd; d++)
        {
            var b = TL.Broadcast(Unsafe.Add(ref q, d));
            a0 = TL.MultiplyAdd(b, TL.Load(ref k, (nuint)d * kt), a0);
            a1 = TL.MultiplyAdd(b, TL.Load(ref k, ((nuint)d * kt) + c), a1);
        }

        var vs = TL.Broadcast(scale);
        TL.Store(TL.Multiply(a0, vs), ref s, 0);
        TL.Store(TL.Multiply(a1, vs), ref s, c);
    }

    /// <summary>o[r][d] += Σ_j p[r·pStride + j] · v[j·vStride + d] for four rows (o stride hd) and j &lt; keys.</summary>
    private static void Gather4<TL, TV>(ref float p, int pStride, ref float v, int vStride, int keys, int hd, ref float o)
        where TL : struct, IAttentionLanes<TV>
        where TV : struct
    {
        var c = TL.Count;
        ref var p1 = ref Unsafe.Add(ref p, pStride);
        ref var p2 = ref Unsafe.Add(ref p, 2 * pStride);
        ref var p3 = ref Unsafe.Add(ref p, 3 * pStride);
        var h = (nuint)hd;
        var d = 0;
        for (; d + (2 * c) <= hd; d += 2 * c)
        {
            var at = (nuint)d;
            var a00 = TL.Load(ref o, at);
            var a01 = TL.Load(ref o, at + (nuint)c);
            var a10 = TL.Load(ref o, h + at);
            var a11 = TL.Load(ref o, h + at + (nuint)c);
            var a20 = TL.Load(ref o, (2 * h) + at);
            var a21 = TL.Load(ref o, (2 * h) + at + (nuint)c);
            var a30 = TL.Load(ref o, (3 * h) + at);
            var a31 = TL.Load(ref o, (3 * h) + at + (nuint)c);
            for (var j = 0; j < keys; j++)
            {
                var row = ((nuint)j * (nuint)vStride) + at;
                var v0 = TL.Load(ref v, row);
                var v1 = TL.Load(ref v, row + (nuint)c);
                var b = TL.Broadcast(Unsafe.Add(ref p, j));
                a00 = TL.MultiplyAdd(b, v0, a00);
                a01 = TL.MultiplyAdd(b, v1, a01);
                b = TL.Broadcast(Unsafe.Add(ref p1, j));
                a10 = TL.MultiplyAdd(b, v0, a10);
                a11 = TL.MultiplyAdd(b, v1, a11);
                b = TL.Broadcast(Unsafe.Add(ref p2, j));
                a20 = TL.MultiplyAdd(b, v0, a20);
                a21 = TL.MultiplyAdd(b, v1, a21);
                b = TL.Broadcast(Unsafe.Add(ref p3, j));
                a30 = TL.MultiplyAdd(b, v0, a30);
                a31 = TL.MultiplyAdd(b, v1, a31);
            }

            TL.Store(a00, ref o, at);
            TL.Store(a01, ref o, at + (nuint)c);
            TL.Store(a10, ref o, h + at);
            TL.Store(a11, ref o, h + at + (nuint)c);
            TL.Store(a20, ref o, (2 * h) + at);
            TL.Store(a21, ref o, (2 * h) + at + (nuint)c);
            TL.Store(a30, ref o, (3 * h) + at);
            TL.Store(a31, ref o, (3 * h) + at + (nuint)c);
        }

        if (d < hd)
        {
            for (var r = 0; r < RowBlock; r++)
            {
                GatherTail<TL, TV>(ref Unsafe.Add(ref p, r * pStride), ref v, vStride, keys, d, hd, ref Unsafe.Add(ref o, r * hd));
            }
        }
    }

    private static void Gather1<TL, TV>(ref float p, ref float v, int vStride, int keys, int hd, ref float o)
        where TL : struct, IAttentionLanes<TV>
        where TV : struct
    {
        var c = TL.Count;
        var d = 0;
        for (; d + (2 * c) <= hd; d += 2 * c)
        {
            var at = (nuint)d;
            var a0 = TL.Load(ref o, at);
            var a1 = TL.Load(ref o, at + (nuint)c);
            for (var j = 0; j < keys; j++)
            {
                var row = ((nuint)j * (nuint)vStride) + at;
                var b = TL.Broadcast(Unsafe.Add(ref p, j));
                a0 = TL.MultiplyAdd(b, TL.Load(ref v, row), a0);
                a1 = TL.MultiplyAdd(b, TL.Load(ref v, row + (nuint)c), a1);
            }

            TL.Store(a0, ref o, at);
            TL.Store(a1, ref o, at + (nuint)c);
        }

        if (d < hd)
        {
            GatherTail<TL, TV>(ref p, ref v, vStride, keys, d, hd, ref o);
        }
    }

    /// <summary>One row's output from column <paramref name="from"/> on: single vectors, then scalars.</summary>
    private static void GatherTail<TL, TV>(ref float p, ref float v, int vStride, int keys, int from, int hd, ref float o)
        where TL : struct, IAttentionLanes<TV>
        where TV : struct
    {
        var c = TL.Count;
        var d = from;
        for (; d + c <= hd; d += c)
        {
            var a = TL.Load(ref o, (nuint)d);
            for (var j = 0; j < keys; j++)
            {
                a = TL.MultiplyAdd(TL.Broadcast(Unsafe.Add(ref p, j)), TL.Load(ref v, ((nuint)j * (nuint)vStride) + (nuint)d), a);
            }

            TL.Store(a, ref o, (nuint)d);
        }

        for (; d < hd; d++)
        {
            var sum = Unsafe.Add(ref o, d);
            for (var j = 0; j < keys; j++)
            {
                sum += Unsafe.Add(ref p, j) * Unsafe.Add(ref v, (j * vStride) + d);
            }

            Unsafe.Add(ref o, d) = sum;
        }
    }

    /// <summary>
    /// In-place softmax of one row's scores (the exponentials summed in double), then, with an F16 cache, each weight
    /// rounded to F16.
    /// </summary>
    private static void Softmax<TL, TV>(Span<float> x, bool half)
        where TL : struct, IAttentionLanes<TV>
        where TV : struct
    {
        var n = x.Length;
        var c = TL.Count;
        ref var rx = ref MemoryMarshal.GetReference(x);
        var max = float.NegativeInfinity;
        var i = 0;
        if (n >= c)
        {
            var vmax = TL.Load(ref rx, 0);
            for (i = c; i + c <= n; i += c)
            {
                vmax = TL.Max(vmax, TL.Load(ref rx, (nuint)i));
            }

            max = TL.MaxAcross(vmax);
        }

        for (var t = i; t < n; t++)
        {
            max = MathF.Max(max, Unsafe.Add(ref rx, t));
        }

        var shift = TL.Broadcast(max);
        for (i = 0; i + c <= n; i += c)
        {
            TL.Store(TL.ExpShifted(TL.Load(ref rx, (nuint)i), shift), ref rx, (nuint)i);
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref rx, i) = MathF.Exp(Unsafe.Add(ref rx, i) - max);
        }

        var inverse = (float)(1.0 / SumDouble(x));
        var vi = TL.Broadcast(inverse);
        for (i = 0; i + c <= n; i += c)
        {
            var w = TL.Multiply(TL.Load(ref rx, (nuint)i), vi);
            TL.Store(half ? TL.RoundToHalf(w) : w, ref rx, (nuint)i);
        }

        for (; i < n; i++)
        {
            var w = Unsafe.Add(ref rx, i) * inverse;
            Unsafe.Add(ref rx, i) = half ? Fp16.ToSingle(Fp16.FromSingle(w)) : w;
        }
    }

    /// <summary>Rounds every value to F16 precision in place (vectors, then a scalar tail).</summary>
    private static void RoundToHalf<TL, TV>(Span<float> x)
        where TL : struct, IAttentionLanes<TV>
        where TV : struct
    {
        var c = TL.Count;
        ref var rx = ref MemoryMarshal.GetReference(x);
        var i = 0;
        for (; i + c <= x.Length; i += c)
        {
            TL.Store(TL.RoundToHalf(TL.Load(ref rx, (nuint)i)), ref rx, (nuint)i);
        }

        for (; i < x.Length; i++)
        {
            Unsafe.Add(ref rx, i) = Fp16.ToSingle(Fp16.FromSingle(Unsafe.Add(ref rx, i)));
        }
    }

    private static double SumDouble(ReadOnlySpan<float> x)
    {
        var n = x.Length;
        ref var rx = ref MemoryMarshal.GetReference(x);
        var i = 0;
        double sum = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var acc0 = Vector256<double>.Zero;
            var acc1 = Vector256<double>.Zero;
            for (; i + 8 <= n; i += 8)
            {
                var (lower, upper) = Vector256.Widen(Vector256.LoadUnsafe(ref rx, (nuint)i));
                acc0 += lower;
                acc1 += upper;
            }

            sum = Vector256.Sum(acc0 + acc1);
        }

        for (; i < n; i++)
        {
            sum += Unsafe.Add(ref rx, i);
        }

        return sum;
    }
}
