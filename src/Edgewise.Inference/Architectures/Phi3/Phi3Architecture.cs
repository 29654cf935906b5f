using Edgewise.Inference.Constraints;
using Edgewise.Inference.Model;
using Edgewise.Inference.Runtime.Kernels;
using Edgewise.Tokenization.Templates;
using static Edgewise.Inference.Architectures.TensorDeclaration;
using static Edgewise.Inference.Architectures.TensorDimension;

namespace Edgewise.Inference.Architectures.Phi3;

/// <summary>
/// phi3 (Phi-3, Phi-3.5-mini, Phi-4-mini): fused [Q | K | V] and [gate | up] projections, NEOX RoPE over the first
/// <c>rope.dimension_count</c> dims of each head, LongRoPE factor sets chosen by context size, attention factor
/// on cos and sin. The declared sliding window is read but not applied (llama.cpp attends causally over all).
/// Tool calls as generic JSON; Phi-3 template fallback.
/// </summary>
internal sealed class Phi3Architecture : ModelArchitecture
{
    private const int ContextGranularity = 256;

    private Phi3Architecture()
    {
    }

    public static Phi3Architecture Instance { get; } = new();

    public override string Name => "phi3";

    public override ToolCallFormat ToolCallFormat => ToolCallFormat.Json;

    public override ChatTemplateFamily ChatTemplateFallback => ChatTemplateFamily.Phi3;

    internal override RopeStyle RopeStyle => RopeStyle.Neox;

    private protected override TensorDeclaration[] Tensors { get; } =
    [
        Require(TensorRole.TokenEmbedding, Embedding, Vocabulary),
        Require(TensorRole.OutputNorm, Embedding),
        Allow(TensorRole.Output, Embedding, Vocabulary),
        Allow(TensorRole.RopeFactorsLong, RopePairs),
        Allow(TensorRole.RopeFactorsShort, RopePairs),

        Require(TensorRole.AttentionNorm, Embedding),
        Require(TensorRole.QueryKeyValue, Embedding, QueryKeyValue),
        Require(TensorRole.AttentionOutput, Query, Embedding),
        Require(TensorRole.FeedForwardNorm, Embedding),
        Require(TensorRole.Up, Embedding, GateUp),
        Require(TensorRole.Down, FeedForward, Embedding),
    ];

    /// <summary>
    /// The long factors when the per-sequence context (rounded up to a multiple of 256, as llama.cpp pads it) exceeds
    /// the original context length (default: the training context), else the short ones. Fixed per context,
    /// independent of position. (phi3 declares no <c>rope_freqs</c>, so one in a file is never bound.)
    /// </summary>
    internal override float[]? RopeFactors(ModelWeights weights, ModelHyperparameters hp, int contextLength)
    {
        var padded = (long)(contextLength + ContextGranularity - 1) / ContextGranularity * ContextGranularity;
        var original = hp.RopeScaling.OriginalContextLength > 0 ? hp.RopeScaling.OriginalContextLength : hp.ContextLength;
        return padded > original
            ? weights.RopeFactorsLong ?? weights.RopeFactorsShort
            : weights.RopeFactorsShort ?? weights.RopeFactorsLong;
    }
}
