using Edgewise.Inference.Constraints;
using Edgewise.Inference.Runtime.Kernels;
using Edgewise.Tokenization.Templates;
using static Edgewise.Inference.Architectures.TensorDeclaration;
using static Edgewise.Inference.Architectures.TensorDimension;

namespace Edgewise.Inference.Architectures.Llama;

/// <summary>
/// llama (Llama 2/3.x, SmolLM2, TinyLlama): separate Q/K/V (optional biases), adjacent-pair RoPE, llama3
/// <c>rope_freqs</c> divisors when present, SwiGLU FFN. Tool calls as Llama 3.x JSON; Llama 3 template fallback.
/// </summary>
internal sealed class LlamaArchitecture : ModelArchitecture
{
    private LlamaArchitecture()
    {
    }

    public static LlamaArchitecture Instance { get; } = new();

    public override string Name => "llama";

    public override ToolCallFormat ToolCallFormat => ToolCallFormat.Llama3Json;

    public override ChatTemplateFamily ChatTemplateFallback => ChatTemplateFamily.Llama3;

    internal override RopeStyle RopeStyle => RopeStyle.AdjacentPairs;

    private protected override TensorDeclaration[] Tensors { get; } =
    [
        Require(TensorRole.TokenEmbedding, Embedding, Vocabulary),
        Require(TensorRole.OutputNorm, Embedding),
        Allow(TensorRole.Output, Embedding, Vocabulary),
        Allow(TensorRole.RopeFrequencies, RopePairs),

        Require(TensorRole.AttentionNorm, Embedding),
        Require(TensorRole.Query, Embedding, Query),
        Require(TensorRole.Key, Embedding, KeyValue),
        Require(TensorRole.Value, Embedding, Value),
        Allow(TensorRole.QueryBias, Query),
        Allow(TensorRole.KeyBias, KeyValue),
        Allow(TensorRole.ValueBias, Value),
        Allow(TensorRole.AttentionOutputBias, Embedding),
        Require(TensorRole.AttentionOutput, Query, Embedding),
        Require(TensorRole.FeedForwardNorm, Embedding),
        Require(TensorRole.Gate, Embedding, FeedForward),
        Require(TensorRole.Up, Embedding, FeedForward),
        Require(TensorRole.Down, FeedForward, Embedding),
    ];
}
