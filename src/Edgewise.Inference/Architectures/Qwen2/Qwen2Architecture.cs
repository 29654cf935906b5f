using Edgewise.Inference.Constraints;
using Edgewise.Inference.Runtime.Kernels;
using Edgewise.Tokenization.Templates;
using static Edgewise.Inference.Architectures.TensorDeclaration;
using static Edgewise.Inference.Architectures.TensorDimension;

namespace Edgewise.Inference.Architectures.Qwen2;

/// <summary>
/// qwen2 (Qwen2, Qwen2.5): separate Q/K/V with required biases, NEOX RoPE, SwiGLU FFN, usually tied output. Tool
/// calls in Hermes tags; ChatML template fallback.
/// </summary>
internal sealed class Qwen2Architecture : ModelArchitecture
{
    private Qwen2Architecture()
    {
    }

    public static Qwen2Architecture Instance { get; } = new();

    public override string Name => "qwen2";

    public override ToolCallFormat ToolCallFormat => ToolCallFormat.Hermes;

    public override ChatTemplateFamily ChatTemplateFallback => ChatTemplateFamily.ChatMl;

    internal override RopeStyle RopeStyle => RopeStyle.Neox;

    private protected override TensorDeclaration[] Tensors { get; } =
    [
        Require(TensorRole.TokenEmbedding, Embedding, Vocabulary),
        Require(TensorRole.OutputNorm, Embedding),
        Allow(TensorRole.Output, Embedding, Vocabulary),

        Require(TensorRole.AttentionNorm, Embedding),
        Require(TensorRole.Query, Embedding, Query),
        Require(TensorRole.Key, Embedding, KeyValue),
        Require(TensorRole.Value, Embedding, Value),
        Require(TensorRole.QueryBias, Query),
        Require(TensorRole.KeyBias, KeyValue),
        Require(TensorRole.ValueBias, Value),
        Require(TensorRole.AttentionOutput, Query, Embedding),
        Require(TensorRole.FeedForwardNorm, Embedding),
        Require(TensorRole.Gate, Embedding, FeedForward),
        Require(TensorRole.Up, Embedding, FeedForward),
        Require(TensorRole.Down, FeedForward, Embedding),
    ];
}
