using Edgewise.Numerics;

namespace Edgewise.Inference.Runtime.Kernels;

/// <summary>
/// Grouped-query causal attention over one sequence's cache: query head h of the token at position p attends to
/// positions 0 … p of KV head ⌊h · kvHeads / heads⌋ with softmax(q·k · scale). One work item per (token, head).
/// With an F16 cache the query and the attention weights are rounded to F16 first, as ggml does.
/// </summary>
internal sealed class Attention : IParallelJob
{
    private readonly WorkerPool _pool;
    private readonly int _heads;
    private readonly int _kvHeads;
    private readonly int _headDim;
    private readonly float _scale;
    private readonly float[][] _scores;
    private readonly float[][] _rowScratch;
    private KvCache? _cache;
    private float[]? _q;
    private float[]? _output;
    private int _sequence;
    private int _layer;
    private int _firstPosition;
    private int _qStride;
    private int _qOffset;

    public Attention(WorkerPool pool, int heads, int kvHeads, int headDim, int capacity)
    {
        _pool = pool;
        _heads = heads;
        _kvHeads = kvHeads;
        _headDim = headDim;
        _scale = 1.0f / MathF.Sqrt(headDim);
        _scores = new float[pool.Workers][];
        _rowScratch = new float[pool.Workers][];
        for (var i = 0; i < pool.Workers; i++)
        {
            _scores[i] = new float[capacity];
            _rowScratch[i] = new float[2 * headDim];
        }
    }

    /// <summary>
    /// Attends <paramref name="tokens"/> queries (token t's heads at q[t·qStride + qOffset ..]) at positions
    /// firstPosition + t, writing heads × headDim values per token to output[t·heads·headDim ..].
    /// </summary>
    public void Run(KvCache cache, int sequence, int layer, int firstPosition, int tokens, float[] q, int qStride, int qOffset, float[] output)
    {
        _cache = cache;
        _sequence = sequence;
        _layer = layer;
        _firstPosition = firstPosition;
        _q = q;
        _qStride = qStride;
        _qOffset = qOffset;
        _output = output;
        var work = (long)tokens * _heads * (firstPosition + tokens) * _headDim;
        try
        {
            _pool.Run(this, tokens * _heads, work > 1 << 14);
        }
        finally
        {
            _cache = null;
            _q = null;
            _output = null;
        }
    }

    public void Execute(int worker, int item)
    {
        var cache = _cache!;
        var t = item / _heads;
        var h = item % _heads;
        var kvh = h / (_heads / _kvHeads);
        var hd = _headDim;
        var width = cache.Width;
        var length = _firstPosition + t + 1;
        var scores = _scores[worker].AsSpan(0, length);
        var scratch = _rowScratch[worker];
        ReadOnlySpan<float> q = _q.AsSpan((t * _qStride) + _qOffset + (h * hd), hd);
        var output = _output.AsSpan(((t * _heads) + h) * hd, hd);
        output.Clear();
        if (cache.Type == KvCacheType.F32)
        {
            var keys = cache.KeysF32(_sequence, _layer);
            var values = cache.ValuesF32(_sequence, _layer);
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

        var qh = scratch.AsSpan(0, hd);
        var row = scratch.AsSpan(hd, hd);
        for (var i = 0; i < hd; i++)
        {
            qh[i] = Fp16.ToSingle(Fp16.FromSingle(q[i]));
        }

        var keys16 = cache.KeysF16(_sequence, _layer);
        var values16 = cache.ValuesF16(_sequence, _layer);
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

    private static void Widen(ReadOnlySpan<ushort> src, Span<float> dst)
    {
        for (var i = 0; i < src.Length; i++)
        {
            dst[i] = Fp16.ToSingle(src[i]);
        }
    }
}
