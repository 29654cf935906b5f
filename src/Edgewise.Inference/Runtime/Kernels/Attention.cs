using System.Runtime.InteropServices;
using Edgewise.Numerics;

namespace Edgewise.Inference.Runtime.Kernels;

/// <summary>
/// Grouped-query causal attention over one sequence's cache: query head h of the token at position p attends to
/// positions 0 … p of KV head ⌊h · kvHeads / heads⌋ with softmax(q·k · scale). One chunk of the shared
/// <see cref="ComputePool"/> per (token, head); scratch is per thread and grows only when a longer context needs it.
/// With an F16 cache the query and the attention weights are rounded to F16 first, as ggml does.
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
    private readonly int _headDim;
    private readonly float _scale;

    public Attention(ComputePool pool, int heads, int kvHeads, int headDim)
    {
        _pool = pool;
        _heads = heads;
        _kvHeads = kvHeads;
        _headDim = headDim;
        _scale = 1.0f / MathF.Sqrt(headDim);
    }

    /// <summary>
    /// Attends <paramref name="tokens"/> queries (token t's heads at q[t·qStride + qOffset ..]) at positions
    /// firstPosition + t, writing heads × headDim values per token to output[t·heads·headDim ..].
    /// </summary>
    public void Run(KvCache cache, int sequence, int layer, int firstPosition, int tokens, float[] q, int qStride, int qOffset, float[] output)
    {
        var job = new Job(this, cache, sequence, layer, firstPosition, q, qStride, qOffset, output);
        var items = tokens * _heads;
        var work = (long)items * (firstPosition + tokens) * _headDim;
        if (work <= SerialWorkLimit)
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

    private void Head(KvCache cache, int sequence, int layer, int position, ReadOnlySpan<float> q, int h, Span<float> output)
    {
        var kvh = h / (_heads / _kvHeads);
        var hd = _headDim;
        var width = cache.Width;
        var length = position + 1;
        var scores = Scratch(ref t_scores, length).AsSpan(0, length);
        output.Clear();
        if (cache.Type == KvCacheType.F32)
        {
            var keys = cache.KeysF32(sequence, layer);
            var values = cache.ValuesF32(sequence, layer);
            for (var j = 0; j < length; j++)
            {
                scores[j] = VectorMath.Dot(q, keys.AsSpan((j * width) + (kvh * hd), hd)) * _scale;
            }

            VectorMath.Softmax(scores);
            for (var j = 0; j < length; j++)
            {
                VectorMath.MultiplyAdd(values.AsSpan((j * width) + (kvh * hd), hd), scores[j], output);
            }

            return;
        }

        var scratch = Scratch(ref t_rows, 2 * hd);
        var qh = scratch.AsSpan(0, hd);
        var row = scratch.AsSpan(hd, hd);
        for (var i = 0; i < hd; i++)
        {
            qh[i] = Fp16.ToSingle(Fp16.FromSingle(q[i]));
        }

        var keys16 = cache.KeysF16(sequence, layer);
        var values16 = cache.ValuesF16(sequence, layer);
        for (var j = 0; j < length; j++)
        {
            Widen(keys16.AsSpan((j * width) + (kvh * hd), hd), row);
            scores[j] = VectorMath.Dot(qh, row) * _scale;
        }

        VectorMath.Softmax(scores);
        for (var j = 0; j < length; j++)
        {
            Widen(values16.AsSpan((j * width) + (kvh * hd), hd), row);
            VectorMath.MultiplyAdd(row, Fp16.ToSingle(Fp16.FromSingle(scores[j])), output);
        }
    }

    private static void Widen(ReadOnlySpan<ushort> src, Span<float> dst) =>
        Dequantize.Row(TensorType.F16, MemoryMarshal.AsBytes(src), dst);

    /// <summary>One chunk = one (token, head).</summary>
    private readonly struct Job(
        Attention owner, KvCache cache, int sequence, int layer, int firstPosition, float[] q, int qStride, int qOffset, float[] output)
        : IComputeJob
    {
        public void Execute(int chunk)
        {
            var heads = owner._heads;
            var hd = owner._headDim;
            var t = chunk / heads;
            var h = chunk % heads;
            owner.Head(
                cache,
                sequence,
                layer,
                firstPosition + t,
                q.AsSpan((t * qStride) + qOffset + (h * hd), hd),
                h,
                output.AsSpan(((t * heads) + h) * hd, hd));
        }
    }
}
