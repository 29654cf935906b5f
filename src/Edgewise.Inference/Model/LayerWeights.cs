namespace Edgewise.Inference.Model;

/// <summary>The bound weights of one transformer block. Matrices stay in the memory map; 1-D norms and biases are small F32 copies.</summary>
internal sealed class LayerWeights
{
    public required float[] AttentionNorm { get; init; }

    /// <summary>Separate Q projection (null when <see cref="QueryKeyValue"/> is fused).</summary>
    public WeightMatrix? Query { get; init; }

    public WeightMatrix? Key { get; init; }

    public WeightMatrix? Value { get; init; }

    /// <summary>Fused [Q | K | V] projection (phi3).</summary>
    public WeightMatrix? QueryKeyValue { get; init; }

    public float[]? QueryBias { get; init; }

    public float[]? KeyBias { get; init; }

    public float[]? ValueBias { get; init; }

    /// <summary>Per-head RMSNorm weights of Q (qwen3).</summary>
    public float[]? QueryNorm { get; init; }

    /// <summary>Per-head RMSNorm weights of K (qwen3).</summary>
    public float[]? KeyNorm { get; init; }

    public required WeightMatrix AttentionOutput { get; init; }

    public float[]? AttentionOutputBias { get; init; }

    public required float[] FeedForwardNorm { get; init; }

    /// <summary>Gate projection; null when <see cref="Up"/> is the fused [gate | up] projection (phi3).</summary>
    public WeightMatrix? Gate { get; init; }

    public required WeightMatrix Up { get; init; }

    public required WeightMatrix Down { get; init; }

    /// <summary>Every matrix of this block that is bound (separate or fused projections).</summary>
    public IEnumerable<WeightMatrix> Matrices()
    {
        WeightMatrix?[] all = [Query, Key, Value, QueryKeyValue, AttentionOutput, Gate, Up, Down];
        foreach (var matrix in all)
        {
            if (matrix is not null)
            {
                yield return matrix;
            }
        }
    }
}
