namespace Edgewise.Inference.Runtime.Kernels;

/// <summary>Which dimensions of a head rotate together.</summary>
internal enum RopeStyle
{
    /// <summary>Adjacent pairs (2i, 2i+1): llama.</summary>
    AdjacentPairs,

    /// <summary>Split halves (i, i + d/2) of the rotated dims: NEOX style (qwen2, qwen3, phi3).</summary>
    Neox,
}

/// <summary>
/// Rotary position embedding over the first <c>rotaryDims</c> dimensions of every head: pair i rotates by
/// pos · θ^(−2i/rotaryDims) / f_i, with cos and sin scaled by the attention factor; the remaining dimensions
/// pass through. Angles follow ggml's float recurrence (θ_i = θ_{i−1} · scale) so results match llama.cpp.
/// </summary>
internal sealed class Rope
{
    private readonly RopeStyle _style;
    private readonly int _rotaryDims;
    private readonly float _thetaScale;
    private readonly float[]? _factors;
    private readonly float _attentionFactor;
    private readonly float[] _cos;
    private readonly float[] _sin;
    private int _tokens;

    public Rope(RopeStyle style, int rotaryDims, float freqBase, float[]? factors, float attentionFactor, int maxTokens)
    {
        _style = style;
        _rotaryDims = rotaryDims;
        _thetaScale = MathF.Pow(freqBase, -2.0f / rotaryDims);
        _factors = factors;
        _attentionFactor = attentionFactor;
        _cos = new float[maxTokens * (rotaryDims / 2)];
        _sin = new float[maxTokens * (rotaryDims / 2)];
    }

    /// <summary>Computes the angles for token t at position <paramref name="positions"/>[t].</summary>
    public void Prepare(ReadOnlySpan<int> positions)
    {
        var pairs = _rotaryDims / 2;
        var tokens = positions.Length;
        for (var t = 0; t < tokens; t++)
        {
            float theta = positions[t];
            for (var i = 0; i < pairs; i++)
            {
                var f = _factors is null ? 1.0f : _factors[i];
                var angle = theta / f;
                _cos[(t * pairs) + i] = MathF.Cos(angle) * _attentionFactor;
                _sin[(t * pairs) + i] = MathF.Sin(angle) * _attentionFactor;
                theta *= _thetaScale;
            }
        }

        _tokens = tokens;
    }

    /// <summary>Rotates <paramref name="heads"/> heads of <paramref name="headDim"/> values per token in place; token t starts at t·stride.</summary>
    public void Apply(Span<float> data, int heads, int headDim, int stride)
    {
        var pairs = _rotaryDims / 2;
        for (var t = 0; t < _tokens; t++)
        {
            var cos = _cos.AsSpan(t * pairs, pairs);
            var sin = _sin.AsSpan(t * pairs, pairs);
            for (var h = 0; h < heads; h++)
            {
                var head = data.Slice((t * stride) + (h * headDim), headDim);
                if (_style == RopeStyle.Neox)
                {
                    for (var i = 0; i < pairs; i++)
                    {
                        var x0 = head[i];
                        var x1 = head[i + pairs];
                        head[i] = (x0 * cos[i]) - (x1 * sin[i]);
                        head[i + pairs] = (x0 * sin[i]) + (x1 * cos[i]);
                    }
                }
                else
                {
                    for (var i = 0; i < pairs; i++)
                    {
                        var x0 = head[2 * i];
                        var x1 = head[(2 * i) + 1];
                        head[2 * i] = (x0 * cos[i]) - (x1 * sin[i]);
                        head[(2 * i) + 1] = (x0 * sin[i]) + (x1 * cos[i]);
                    }
                }
            }
        }
    }
}
