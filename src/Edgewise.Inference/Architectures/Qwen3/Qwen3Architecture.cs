using Edgewise.Inference.Constraints;
using Edgewise.Inference.Runtime.Kernels;
using Edgewise.Tokenization.Templates;
using static Edgewise.Inference.Architectures.TensorDeclaration;
using static Edgewise.Inference.Architectures.TensorDimension;

namespace Edgewise.Inference.Architectures.Qwen3;

/// <summary>
/// qwen3 (dense): separate Q/K/V without biases, per-head RMSNorm of Q and K (<c>attn_q_norm</c>,
/// <c>attn_k_norm</c>) before NEOX RoPE, head dimension from <c>key_length</c>, SwiGLU FFN. Tool calls in Hermes
/// tags; ChatML template fallback.
/// </summary>
internal sealed class Qwen3Architecture : ModelArchitecture
{
    private Qwen3Architecture()
    {
    }

    public static Qwen3Architecture Instance { get; } = new();

    public override string Name => "qwen3";

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
        Require(TensorRole.QueryNorm, HeadDimension),
        Require(TensorRole.KeyNorm, HeadDimension),
        Require(TensorRole.AttentionOutput, Query, Embedding),
        Require(TensorRole.FeedForwardNorm, Embedding),
        Require(TensorRole.Gate, Embedding, FeedForward),
        Require(TensorRole.Up, Embedding, FeedForward),
        Require(TensorRole.Down, FeedForward, Embedding),
    ];
}
