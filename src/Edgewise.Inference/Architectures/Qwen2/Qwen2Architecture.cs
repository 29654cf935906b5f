using Edgewise.Gguf;
using Edgewise.Inference.Model;
using Edgewise.Inference.Runtime.Kernels;

namespace Edgewise.Inference.Architectures.Qwen2;

/// <summary>qwen2 (Qwen2, Qwen2.5): separate Q/K/V with required biases, NEOX RoPE, SwiGLU FFN, usually tied output.</summary>
internal sealed class Qwen2Architecture : ArchitectureDefinition
{
    public static Qwen2Architecture Instance { get; } = new();

    public override RopeStyle RopeStyle => RopeStyle.Neox;

    protected override LayerWeights BindLayer(WeightBinder binder, int layer) => new()
    {
        AttentionNorm = binder.Vector(TensorNames.Block(layer, "attn_norm")),
        Query = binder.Matrix(TensorNames.Block(layer, "attn_q")),
        Key = binder.Matrix(TensorNames.Block(layer, "attn_k")),
        Value = binder.Matrix(TensorNames.Block(layer, "attn_v")),
        QueryBias = binder.Vector(TensorNames.Block(layer, "attn_q", "bias")),
        KeyBias = binder.Vector(TensorNames.Block(layer, "attn_k", "bias")),
        ValueBias = binder.Vector(TensorNames.Block(layer, "attn_v", "bias")),
        AttentionOutput = binder.Matrix(TensorNames.Block(layer, "attn_output")),
        FeedForwardNorm = binder.Vector(TensorNames.Block(layer, "ffn_norm")),
        Gate = binder.Matrix(TensorNames.Block(layer, "ffn_gate")),
        Up = binder.Matrix(TensorNames.Block(layer, "ffn_up")),
        Down = binder.Matrix(TensorNames.Block(layer, "ffn_down")),
    };
}
