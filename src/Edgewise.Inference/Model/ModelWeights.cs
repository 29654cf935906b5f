namespace Edgewise.Inference.Model;

/// <summary>Every bound weight of a model, immutable and shared by all contexts.</summary>
internal sealed class ModelWeights
{
    public required WeightMatrix TokenEmbedding { get; init; }

    public required float[] OutputNorm { get; init; }

    /// <summary>The unembedding matrix: <c>output.weight</c>, or <c>token_embd.weight</c> when tied.</summary>
    public required WeightMatrix Output { get; init; }

    /// <summary>Llama 3 per-pair frequency divisors.</summary>
    public float[]? RopeFrequencies { get; init; }

    /// <summary>LongRoPE divisors for contexts beyond the original length.</summary>
    public float[]? RopeFactorsLong { get; init; }

    /// <summary>LongRoPE divisors for contexts within the original length.</summary>
    public float[]? RopeFactorsShort { get; init; }

    public required IReadOnlyList<LayerWeights> Layers { get; init; }

    /// <summary>Every matrix a forward pass multiplies by: each layer's projections and the unembedding.</summary>
    public IEnumerable<WeightMatrix> Matrices() => Layers.SelectMany(layer => layer.Matrices()).Append(Output);
}
