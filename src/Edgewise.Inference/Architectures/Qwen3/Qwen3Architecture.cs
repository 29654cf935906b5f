using Edgewise.Gguf;
using Edgewise.Inference.Model;
using Edgewise.Inference.Runtime.Kernels;

namespace Edgewise.Inference.Architectures.Qwen3;

/// <summary>
/// qwen3 (dense): separate Q/K/V without biases, per-head RMSNorm of Q and K (<c>attn_q_norm</c>,
/// <c>attn_k_norm</c>) before NEOX RoPE, head dimension from <c>key_length</c>, SwiGLU FFN.
/// </summary>
internal sealed class Qwen3Architecture : ArchitectureDefinition
{
    public static Qwen3Architecture Instance { get; } = new();

    public override RopeStyle RopeStyle => RopeStyle.Neox;

    protected override LayerWeights BindLayer(WeightBinder binder, int layer) => new()
    {
        AttentionNorm = binder.Vector(TensorNames.Block(layer, "attn_norm")),
        Query = binder.Matrix(TensorNames.Block(layer, "attn_q")),
        Key = binder.Matrix(TensorNames.Block(layer, "attn_k")),
        Value = binder.Matrix(TensorNames.Block(layer, "attn_v")),
        QueryNorm = binder.Vector(TensorNames.Block(layer, "attn_q_norm")),
        KeyNorm = binder.Vector(TensorNames.Block(layer, "attn_k_norm")),
        AttentionOutput = binder.Matrix(TensorNames.Block(layer, "attn_output")),
        FeedForwardNorm = binder.Vector(TensorNames.Block(layer, "ffn_norm")),
        Gate = binder.Matrix(TensorNames.Block(layer, "ffn_gate")),
        Up = binder.Matrix(TensorNames.Block(layer, "ffn_up")),
        Down = binder.Matrix(TensorNames.Block(layer, "ffn_down")),
    };
}
