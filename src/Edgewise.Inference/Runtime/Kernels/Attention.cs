using System.Runtime.InteropServices;
using Edgewise.Numerics;

namespace Edgewise.Inference.Runtime.Kernels;

/// <summary>
/// Grouped-query causal attention: query head h of token t (sequence s, position p) attends to positions 0 … p of
/// KV head ⌊h · kvHeads / heads⌋ of sequence s with softmax(q·k · scale), so tokens of different sequences share a
/// call. Work is split over the shared <see cref="ComputePool"/> by (token, KV head): the query heads of a group
/// meet each cached K and V row together, so an F16 row is widened once per step and group, not once per query
/// head (with fewer such items than threads, by (token, query head) instead). Scratch is per thread and grows only
/// when a longer context needs it. With an F16 cache the query and the attention weights are rounded to F16 first,
/// as ggml does.
/// </summary>
internal sealed class Attention
{
    private const long SerialWorkLimit = 1 << 14;

    [ThreadStatic]
    private static float[]? t_scores;

    [ThreadStatic]
    private static float[]? t_rows;

    private readonly ComputePool _pool;
    private readonly int _heads;
    private readonly int _kvHeads;
    private readonly int _group;
    private readonly int _headDim;
    private readonly float _scale;

    public Attention(ComputePool pool, int heads, int kvHeads, int headDim)
    {
        _pool = pool;
        _heads = heads;
        _kvHeads = kvHeads;
        _group = heads / kvHeads;
        _headDim = headDim;
        _scale = 1.0f / MathF.Sqrt(headDim);
    }

    /// <summary>
    /// Attends <paramref name="tokens"/> queries (token t's heads at q[t·qStride + qOffset ..], in sequence
    /// sequences[t] at position positions[t]), writing heads × headDim values per token to output[t·heads·headDim ..].
    /// Every token's own K and V must already be stored.
    /// </summary>
    public void Run(KvCache cache, int layer, int[] sequences, int[] positions, int tokens, float[] q, int qStride, int qOffset, float[] output)
    {
        long span = 0;
        for (var t = 0; t < tokens; t++)
        {
            span += positions[t] + 1;
        }

        var grouped = tokens * _kvHeads >= _pool.ThreadCount || _group == 1;
        var items = tokens * (grouped ? _kvHeads : _heads);
        var job = new Job(this, cache, layer, sequences, positions, q, qStride, qOffset, output, grouped);
        if (span * _heads * _headDim <= SerialWorkLimit)
        {
            for (var i = 0; i < items; i++)
            {
                job.Execute(i);
            }
        }
        else
        {
            _pool.Run(ref job, items);
        }
    }

    private static float[] Scratch(ref float[]? buffer, int length)
    {
        if (buffer is null || buffer.Length < length)
        {
            buffer = new float[Math.Max(length, 2 * (buffer?.Length ?? 0))];
        }

        return buffer;
    }

    private static void Widen(ReadOnlySpan<ushort> src, Span<float> dst) =>
        Dequantize.Row(TensorType.F16, MemoryMarshal.AsBytes(src), dst);

    private static float RoundF16(float value) => Fp16.ToSingle(Fp16.FromSingle(value));

    /// <summary>
    /// Query heads <paramref name="firstHead"/> … + <paramref name="count"/> − 1 (all of one KV head's group) of one
    /// token: q holds their count × headDim values, output receives as many.
    /// </summary>
    private void Heads(KvCache cache, int sequence, int layer, int position, ReadOnlySpan<float> q, int firstHead, int count, Span<float> output)
    {
        var kvh = firstHead / _group;
        var hd = _headDim;
        var width = cache.Width;
        var length = position + 1;
        var scores = Scratch(ref t_scores, count * length).AsSpan(0, count * length);
        output.Clear();
        var offset = kvh * hd;
        if (cache.Type == KvCacheType.F32)
        {
            var keys = cache.KeysF32(sequence, layer);
            var values = cache.ValuesF32(sequence, layer);
            for (var j = 0; j < length; j++)
            {
                var key = keys.AsSpan((j * width) + offset, hd);
                for (var g = 0; g < count; g++)
                {
                    scores[(g * length) + j] = VectorMath.Dot(q.Slice(g * hd, hd), key) * _scale;
                }
            }

            for (var g = 0; g < count; g++)
            {
                VectorMath.Softmax(scores.Slice(g * length, length));
            }

            for (var j = 0; j < length; j++)
            {
                var value = values.AsSpan((j * width) + offset, hd);
                for (var g = 0; g < count; g++)
                {
                    VectorMath.MultiplyAdd(value, scores[(g * length) + j], output.Slice(g * hd, hd));
                }
            }

            return;
        }

        var scratch = Scratch(ref t_rows, (count + 1) * hd);
        var qh = scratch.AsSpan(0, count * hd);
        var row = scratch.AsSpan(count * hd, hd);
        for (var i = 0; i < qh.Length; i++)
        {
            qh[i] = RoundF16(q[i]);
        }

        var keys16 = cache.KeysF16(sequence, layer);
        var values16 = cache.ValuesF16(sequence, layer);
        for (var j = 0; j < length; j++)
        {
            Widen(keys16.AsSpan((j * width) + offset, hd), row);
            for (var g = 0; g < count; g++)
            {
                scores[(g * length) + j] = VectorMath.Dot(qh.Slice(g * hd, hd), row) * _scale;
            }
        }

        for (var g = 0; g < count; g++)
        {
            VectorMath.Softmax(scores.Slice(g * length, length));
        }

        for (var j = 0; j < length; j++)
        {
            Widen(values16.AsSpan((j * width) + offset, hd), row);
            for (var g = 0; g < count; g++)
            {
                VectorMath.MultiplyAdd(row, RoundF16(scores[(g * length) + j]), output.Slice(g * hd, hd));
            }
        }
    }

    /// <summary>One chunk = one (token, KV head group) when grouped, else one (token, query head).</summary>
    private readonly struct Job(
        Attention owner, KvCache cache, int layer, int[] sequences, int[] positions, float[] q, int qStride, int qOffset, float[] output, bool grouped)
        : IComputeJob
    {
        public void Execute(int chunk)
        {
            var heads = owner._heads;
            var hd = owner._headDim;
            var perToken = grouped ? owner._kvHeads : heads;
            var t = chunk / perToken;
            var count = grouped ? owner._group : 1;
            var h = (chunk % perToken) * count;
            owner.Heads(
                cache,
                sequences[t],
                layer,
                positions[t],
                q.AsSpan((t * qStride) + qOffset + (h * hd), count * hd),
                h,
                count,
                output.AsSpan(((t * heads) + h) * hd, count * hd));
        }
    }
}
