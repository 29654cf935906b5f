using Edgewise.Inference.Architectures;
using Edgewise.Inference.Model;
using Edgewise.Inference.Runtime.Kernels;

namespace Edgewise.Inference.Runtime;

/// <summary>
/// The shared decoder-only transformer forward pass (pre-norm RMSNorm, GQA attention with RoPE, SwiGLU FFN)
/// driven by the bound weights: fused or separate QKV, optional biases, optional per-head Q/K norms. All buffers
/// are allocated here, once, for <c>batchSize</c> tokens; <see cref="Run"/> allocates nothing.
/// </summary>
internal sealed class ForwardPass
{
    private readonly ModelWeights _weights;
    private readonly ModelHyperparameters _hp;
    private readonly KvCache _cache;
    private readonly WeightMultiplier _multiplier;
    private readonly Attention _attention;
    private readonly Rope _rope;
    private readonly int _qkvWidth;
    private readonly float[] _x;
    private readonly float[] _xn;
    private readonly float[] _q;
    private readonly float[] _k;
    private readonly float[] _v;
    private readonly float[] _attn;
    private readonly float[] _tmp;
    private readonly float[] _gate;
    private readonly float[] _up;

    public ForwardPass(ModelWeights weights, ModelHyperparameters hp, ModelArchitecture architecture, KvCache cache, Edgewise.Numerics.ComputePool compute, int batchSize)
    {
        _weights = weights;
        _hp = hp;
        _cache = cache;
        var e = hp.EmbeddingLength;
        var fused = weights.Layers[0].QueryKeyValue is not null;
        _qkvWidth = hp.QueryLength + hp.KeyValueLength + hp.ValueLength;
        _multiplier = new WeightMultiplier(compute, weights.Matrices(), batchSize);
        _attention = new Attention(compute, hp.HeadCount, hp.HeadCountKv, hp.HeadDimension);
        var scaling = hp.RopeScaling;
        var attentionFactor = scaling.Kind == RopeScalingKind.LongRope ? scaling.AttentionFactor : 1f;
        _rope = new Rope(
            architecture.RopeStyle,
            hp.RopeDimensionCount,
            hp.RopeFreqBase,
            architecture.RopeFactors(weights, hp, cache.Capacity),
            attentionFactor,
            batchSize);
        _x = new float[batchSize * e];
        _xn = new float[batchSize * e];
        // A single token's separate Q, K and V projections run as one dispatch into one row of _q (see AttentionBlock).
        _q = new float[Math.Max(batchSize * (fused ? _qkvWidth : hp.QueryLength), _qkvWidth)];
        _k = fused ? [] : new float[batchSize * hp.KeyValueLength];
        _v = fused ? [] : new float[batchSize * hp.ValueLength];
        _attn = new float[batchSize * hp.QueryLength];
        _tmp = new float[batchSize * e];
        var fusedUp = weights.Layers[0].Gate is null;
        _gate = new float[Math.Max(batchSize * hp.FeedForwardLength * (fusedUp ? 2 : 1), 2 * hp.FeedForwardLength)];
        _up = fusedUp ? [] : new float[batchSize * hp.FeedForwardLength];
    }

    /// <summary>
    /// Runs <paramref name="tokens"/> (at most the batch size), token t belonging to sequence
    /// <paramref name="sequences"/>[t] at position <paramref name="positions"/>[t] (tokens of one sequence in
    /// position order; several sequences may share the batch, each attending to its own cache). Writes the logits of
    /// the tokens listed in <paramref name="logitTokens"/> (batch indices), in that order, to rows
    /// <paramref name="logitRow"/> … of <paramref name="logits"/>; none when the list is empty.
    /// </summary>
    public void Run(ReadOnlySpan<int> tokens, int[] sequences, int[] positions, ReadOnlySpan<int> logitTokens, float[]? logits, int logitRow)
    {
        var n = tokens.Length;
        var e = _hp.EmbeddingLength;
        for (var t = 0; t < n; t++)
        {
            var dst = _x.AsSpan(t * e, e);
            var row = _weights.TokenEmbedding.Row(tokens[t], dst);
            row.CopyTo(dst);
        }

        _rope.Prepare(positions.AsSpan(0, n));
        for (var layer = 0; layer < _weights.Layers.Count; layer++)
        {
            AttentionBlock(_weights.Layers[layer], layer, sequences, positions, n);
            FeedForwardBlock(_weights.Layers[layer], n);
        }

        if (logits is null || logitTokens.IsEmpty)
        {
            return;
        }

        var rows = logitTokens.Length;
        for (var r = 0; r < rows; r++)
        {
            VectorMath.RmsNorm(_x.AsSpan(logitTokens[r] * e, e), _weights.OutputNorm, _hp.RmsEpsilon, _xn.AsSpan(r * e, e));
        }

        _multiplier.Run(_weights.Output, _xn, rows, logits, _weights.Output.Rows, logitRow * _weights.Output.Rows);
    }

    private void AttentionBlock(LayerWeights w, int layer, int[] sequences, int[] positions, int n)
    {
        var e = _hp.EmbeddingLength;
        var hd = _hp.HeadDimension;
        for (var t = 0; t < n; t++)
        {
            VectorMath.RmsNorm(_x.AsSpan(t * e, e), w.AttentionNorm, _hp.RmsEpsilon, _xn.AsSpan(t * e, e));
        }

        float[] qBuf, kBuf, vBuf;
        int qStride, kStride, vStride, qOff = 0, kOff = 0, vOff = 0;
        if (w.QueryKeyValue is not null || n == 1)
        {
            // One token's separate projections are computed as one [Q | K | V] row in one pool dispatch.
            if (w.QueryKeyValue is { } qkv)
            {
                _multiplier.Run(qkv, _xn, n, _q, _qkvWidth);
            }
            else
            {
                _multiplier.RunRow([w.Query!, w.Key!, w.Value!], _xn, _q);
            }

            qBuf = kBuf = vBuf = _q;
            qStride = kStride = vStride = _qkvWidth;
            kOff = _hp.QueryLength;
            vOff = _hp.QueryLength + _hp.KeyValueLength;
        }
        else
        {
            _multiplier.Run(w.Query!, _xn, n, _q, _hp.QueryLength);
            _multiplier.Run(w.Key!, _xn, n, _k, _hp.KeyValueLength);
            _multiplier.Run(w.Value!, _xn, n, _v, _hp.ValueLength);
            (qBuf, kBuf, vBuf) = (_q, _k, _v);
            (qStride, kStride, vStride) = (_hp.QueryLength, _hp.KeyValueLength, _hp.ValueLength);
        }

        for (var t = 0; t < n; t++)
        {
            AddBias(w.QueryBias, qBuf.AsSpan((t * qStride) + qOff, _hp.QueryLength));
            AddBias(w.KeyBias, kBuf.AsSpan((t * kStride) + kOff, _hp.KeyValueLength));
            AddBias(w.ValueBias, vBuf.AsSpan((t * vStride) + vOff, _hp.ValueLength));
            HeadNorm(w.QueryNorm, qBuf.AsSpan((t * qStride) + qOff, _hp.QueryLength), hd);
            HeadNorm(w.KeyNorm, kBuf.AsSpan((t * kStride) + kOff, _hp.KeyValueLength), hd);
        }

        _rope.Apply(qBuf.AsSpan(qOff), _hp.HeadCount, hd, qStride);
        _rope.Apply(kBuf.AsSpan(kOff), _hp.HeadCountKv, hd, kStride);
        _cache.Store(sequences.AsSpan(0, n), positions.AsSpan(0, n), layer, kBuf, kStride, kOff, vBuf, vStride, vOff);
        _attention.Run(_cache, layer, sequences, positions, n, qBuf, qStride, qOff, _attn);
        _multiplier.Run(w.AttentionOutput, _attn, n, _tmp, e);
        for (var t = 0; t < n; t++)
        {
            var delta = _tmp.AsSpan(t * e, e);
            AddBias(w.AttentionOutputBias, delta);
            VectorMath.Add(delta, _x.AsSpan(t * e, e));
        }
    }

    private void FeedForwardBlock(LayerWeights w, int n)
    {
        var e = _hp.EmbeddingLength;
        var ff = _hp.FeedForwardLength;
        for (var t = 0; t < n; t++)
        {
            VectorMath.RmsNorm(_x.AsSpan(t * e, e), w.FeedForwardNorm, _hp.RmsEpsilon, _xn.AsSpan(t * e, e));
        }

        if (w.Gate is { } gate && n > 1)
        {
            _multiplier.Run(gate, _xn, n, _gate, ff);
            _multiplier.Run(w.Up, _xn, n, _up, ff);
            for (var t = 0; t < n; t++)
            {
                VectorMath.SwiGlu(_gate.AsSpan(t * ff, ff), _up.AsSpan(t * ff, ff));
            }
        }
        else
        {
            // [gate | up] rows (fused in the file, or one token's two projections in one dispatch): activate in place,
            // then pack the n products contiguously for ffn_down.
            if (w.Gate is { } single)
            {
                _multiplier.RunRow([single, w.Up], _xn, _gate);
            }
            else
            {
                _multiplier.Run(w.Up, _xn, n, _gate, 2 * ff);
            }

            for (var t = 0; t < n; t++)
            {
                var g = _gate.AsSpan(2 * t * ff, ff);
                VectorMath.SwiGlu(g, _gate.AsSpan((2 * t * ff) + ff, ff));
                g.CopyTo(_gate.AsSpan(t * ff, ff));
            }
        }

        _multiplier.Run(w.Down, _gate, n, _tmp, e);
        for (var t = 0; t < n; t++)
        {
            VectorMath.Add(_tmp.AsSpan(t * e, e), _x.AsSpan(t * e, e));
        }
    }

    private static void AddBias(float[]? bias, Span<float> values)
    {
        if (bias is not null)
        {
            VectorMath.Add(bias, values);
        }
    }

    private void HeadNorm(float[]? weight, Span<float> heads, int headDim)
    {
        if (weight is null)
        {
            return;
        }

        for (var h = 0; h < heads.Length; h += headDim)
        {
            var head = heads.Slice(h, headDim);
            VectorMath.RmsNorm(head, weight, _hp.RmsEpsilon, head);
        }
    }
}
