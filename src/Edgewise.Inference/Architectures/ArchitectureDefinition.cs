using Edgewise.Gguf;
using Edgewise.Gguf.Architectures;
using Edgewise.Inference.Architectures.Llama;
using Edgewise.Inference.Architectures.Phi3;
using Edgewise.Inference.Architectures.Qwen2;
using Edgewise.Inference.Architectures.Qwen3;
using Edgewise.Inference.Model;
using Edgewise.Inference.Runtime.Kernels;

namespace Edgewise.Inference.Architectures;

/// <summary>
/// What distinguishes one architecture: how its tensors bind (by the names in <see cref="TensorNames"/>), which
/// RoPE style it uses and which rope factors apply for a context size. Hyperparameters are read by
/// <see cref="ModelHyperparameters.Read"/>; the forward pass is shared and driven by the bound weights.
/// </summary>
internal abstract class ArchitectureDefinition
{
    public abstract RopeStyle RopeStyle { get; }

    public static ArchitectureDefinition For(ModelArchitecture architecture) => architecture switch
    {
        ModelArchitecture.Llama => LlamaArchitecture.Instance,
        ModelArchitecture.Qwen2 => Qwen2Architecture.Instance,
        ModelArchitecture.Qwen3 => Qwen3Architecture.Instance,
        ModelArchitecture.Phi3 => Phi3Architecture.Instance,
        _ => throw new ArgumentOutOfRangeException(nameof(architecture)),
    };

    /// <summary>Binds every tensor. The caller has validated the layout.</summary>
    public ModelWeights Bind(WeightBinder binder, ModelHyperparameters hp)
    {
        var layers = new LayerWeights[hp.BlockCount];
        for (var i = 0; i < layers.Length; i++)
        {
            layers[i] = BindLayer(binder, i);
        }

        var embedding = binder.Matrix(TensorNames.TokenEmbedding);
        return new ModelWeights
        {
            TokenEmbedding = embedding,
            OutputNorm = binder.Vector(TensorNames.OutputNorm),
            Output = binder.OptionalMatrix(TensorNames.Output) ?? embedding,
            RopeFrequencies = binder.OptionalVector(TensorNames.RopeFreqs),
            RopeFactorsLong = binder.OptionalVector(TensorNames.RopeFactorsLong),
            RopeFactorsShort = binder.OptionalVector(TensorNames.RopeFactorsShort),
            Layers = layers,
        };
    }

    /// <summary>
    /// The per-pair frequency divisors for a context of <paramref name="contextLength"/> positions per sequence,
    /// or null for none.
    /// </summary>
    public virtual float[]? RopeFactors(ModelWeights weights, ModelHyperparameters hp, int contextLength) => weights.RopeFrequencies;

    /// <summary>Binds the tensors of block <paramref name="layer"/>.</summary>
    protected abstract LayerWeights BindLayer(WeightBinder binder, int layer);
}
