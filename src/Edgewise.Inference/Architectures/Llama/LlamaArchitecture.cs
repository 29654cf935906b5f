using Edgewise.Gguf;
using Edgewise.Inference.Model;
using Edgewise.Inference.Runtime.Kernels;

namespace Edgewise.Inference.Architectures.Llama;

/// <summary>
/// llama (Llama 2/3.x, SmolLM2, TinyLlama): separate Q/K/V (optional biases), adjacent-pair RoPE, llama3
/// <c>rope_freqs</c> divisors when present, SwiGLU FFN.
/// </summary>
internal sealed class LlamaArchitecture : ArchitectureDefinition
{
    public static LlamaArchitecture Instance { get; } = new();

    public override RopeStyle RopeStyle => RopeStyle.AdjacentPairs;

    protected override LayerWeights BindLayer(WeightBinder binder, int layer) => new()
    {
        AttentionNorm = binder.Vector(TensorNames.Block(layer, "attn_norm")),
        Query = binder.Matrix(TensorNames.Block(layer, "attn_q")),
        Key = binder.Matrix(TensorNames.Block(layer, "attn_k")),
        Value = binder.Matrix(TensorNames.Block(layer, "attn_v")),
        QueryBias = binder.OptionalVector(TensorNames.Block(layer, "attn_q", "bias")),
        KeyBias = binder.OptionalVector(TensorNames.Block(layer, "attn_k", "bias")),
        ValueBias = binder.OptionalVector(TensorNames.Block(layer, "attn_v", "bias")),
        AttentionOutput = binder.Matrix(TensorNames.Block(layer, "attn_output")),
        AttentionOutputBias = binder.OptionalVector(TensorNames.Block(layer, "attn_output", "bias")),
        FeedForwardNorm = binder.Vector(TensorNames.Block(layer, "ffn_norm")),
        Gate = binder.Matrix(TensorNames.Block(layer, "ffn_gate")),
        Up = binder.Matrix(TensorNames.Block(layer, "ffn_up")),
        Down = binder.Matrix(TensorNames.Block(layer, "ffn_down")),
    };
}
