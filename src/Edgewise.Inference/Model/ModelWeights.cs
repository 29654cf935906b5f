using Edgewise.Numerics;

namespace Edgewise.Inference.Model;

/// <summary>Every bound weight of a model, immutable once packed and shared by all contexts.</summary>
internal sealed class ModelWeights : IDisposable
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

    /// <summary>
    /// Re-lays every matrix the forward pass multiplies by into the layout <see cref="Numerics.MatMul"/> runs fastest
    /// on this CPU (<see cref="WeightPacking.Preferred(TensorType)"/>), in parallel. A token embedding that is not
    /// also the output matrix is only looked up row by row and stays in place; a tied one is re-laid too, and its
    /// looked-up rows are restored one at a time (<see cref="WeightMatrix.Row"/>). A matrix whose copy cannot be
    /// allocated stays in place: repacking is an optimisation and never the reason a model fails to load.
    /// </summary>
    /// <returns>The bytes copied.</returns>
    public long Repack()
    {
        var matrices = Matrices()
            .Where(m => WeightPacking.Preferred(m.Type) != WeightLayout.Stored)
            .Distinct()
            .ToArray();
        Parallel.ForEach(matrices, m =>
        {
            try
            {
                m.Repack(WeightPacking.Preferred(m.Type));
            }
            catch (OutOfMemoryException)
            {
                // No room for the copy: the matrix is read in place from the mapped file, as without repacking.
            }
        });
        return matrices.Where(m => m.Layout != WeightLayout.Stored).Sum(m => (long)m.RowBytes * m.Rows);
    }

    /// <summary>Frees the re-laid copies.</summary>
    public void Dispose()
    {
        foreach (var matrix in Matrices())
        {
            matrix.Dispose();
        }
    }
}
