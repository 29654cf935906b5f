using Edgewise.Gguf;
using Edgewise.Gguf.Architectures;
using Edgewise.Inference.Model;
using Edgewise.Inference.Runtime.Kernels;

namespace Edgewise.Inference.Architectures.Phi3;

/// <summary>
/// phi3 (Phi-3, Phi-3.5-mini, Phi-4-mini): fused [Q | K | V] and [gate | up] projections, NEOX RoPE over the first
/// <c>rope.dimension_count</c> dims of each head, LongRoPE factor sets chosen by context size, attention factor
/// on cos and sin. The declared sliding window is read but not applied (llama.cpp attends causally over all).
/// </summary>
internal sealed class Phi3Architecture : ArchitectureDefinition
{
    private const int ContextGranularity = 256;

    public static Phi3Architecture Instance { get; } = new();

    public override RopeStyle RopeStyle => RopeStyle.Neox;

    /// <summary>
    /// <c>rope_freqs</c> if present; otherwise the long factors when the per-sequence context (rounded up to a
    /// multiple of 256, as llama.cpp pads it) exceeds the original context length (default: the training context), else the short ones. Fixed per
    /// context, independent of position.
    /// </summary>
    public override float[]? RopeFactors(ModelWeights weights, ModelHyperparameters hp, int contextLength)
    {
        if (weights.RopeFrequencies is not null)
        {
            return weights.RopeFrequencies;
        }

        var padded = (long)(contextLength + ContextGranularity - 1) / ContextGranularity * ContextGranularity;
        var original = hp.RopeScaling.OriginalContextLength > 0 ? hp.RopeScaling.OriginalContextLength : hp.ContextLength;
        return padded > original
            ? weights.RopeFactorsLong ?? weights.RopeFactorsShort
            : weights.RopeFactorsShort ?? weights.RopeFactorsLong;
    }

    protected override LayerWeights BindLayer(WeightBinder binder, int layer) => new()
    {
        AttentionNorm = binder.Vector(TensorNames.Block(layer, "attn_norm")),
        QueryKeyValue = binder.Matrix(TensorNames.Block(layer, "attn_qkv")),
        AttentionOutput = binder.Matrix(TensorNames.Block(layer, "attn_output")),
        FeedForwardNorm = binder.Vector(TensorNames.Block(layer, "ffn_norm")),
        Up = binder.Matrix(TensorNames.Block(layer, "ffn_up")),
        Down = binder.Matrix(TensorNames.Block(layer, "ffn_down")),
    };
}
