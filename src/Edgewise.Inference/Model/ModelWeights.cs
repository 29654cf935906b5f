using Edgewise.Gguf;
using Edgewise.Numerics;

namespace Edgewise.Inference.Model;

/// <summary>Every bound weight of a model, immutable once packed and shared by all contexts.</summary>
internal sealed class ModelWeights : IDisposable
{
    private WeightBuffer? _copies;
    private (long Start, long End)[] _replaced = [];

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
    /// on this CPU (<see cref="WeightPacking.Preferred(TensorType)"/>), in parallel, into one <see cref="WeightBuffer"/>
    /// (one allocation rounded to 2 MiB, instead of one per matrix). A token embedding that is not also the output
    /// matrix is only looked up row by row and stays in place; a tied one is re-laid too, and its looked-up rows are
    /// restored one at a time (<see cref="WeightMatrix.Row"/>). Repacking is an optimisation and never the reason a
    /// model fails to load: when the copies would leave less than a quarter of the available memory free (Linux
    /// over-commits, so a failed allocation cannot be relied on to say so), or cannot be allocated, every matrix is
    /// read in place.
    /// </summary>
    /// <param name="availableBytes">Memory available now (see <see cref="SystemMemory.Read"/>).</param>
    /// <returns>The bytes allocated for the copies; 0 when none were made.</returns>
    public long Repack(long availableBytes)
    {
        var candidates = Matrices()
            .Where(m => m.Layout == WeightLayout.Stored && WeightPacking.Preferred(m.Type) != WeightLayout.Stored)
            .Distinct()
            .ToArray();
        var layouts = new WeightLayout[candidates.Length];
        Parallel.For(0, candidates.Length, i => layouts[i] = candidates[i].PreferredLayout());
        var matrices = candidates.Zip(layouts, (m, layout) => (Matrix: m, Layout: layout)).Where(m => m.Layout != WeightLayout.Stored).ToArray();
        var offsets = new long[matrices.Length];
        var total = 0L;
        for (var i = 0; i < matrices.Length; i++)
        {
            offsets[i] = total;
            total += (matrices[i].Matrix.Bytes + 63) & ~63L;
        }

        if (total == 0 || total > availableBytes - (availableBytes / 4))
        {
            return 0;
        }

        try
        {
            _copies = new WeightBuffer(total);
        }
        catch (OutOfMemoryException)
        {
            return 0;
        }

        _replaced = matrices.Select(m => ((long)m.Matrix.Address, (long)m.Matrix.Address + m.Matrix.Bytes)).OrderBy(r => r.Item1).ToArray();
        var copies = _copies.Address;
        Parallel.For(0, matrices.Length, i => matrices[i].Matrix.Repack(matrices[i].Layout, copies + (nint)offsets[i]));
        return total;
    }

    /// <summary>
    /// After <see cref="Repack"/>, releases the mapped file pages that held the re-laid matrices' stored bytes
    /// (<see cref="GgufFile.ReleasePages"/>): runs of replaced tensors separated only by tensors no matrix reads in
    /// place (norms and biases were copied at bind) are released as one range, in whole 2 MiB blocks.
    /// </summary>
    /// <returns>Bytes released.</returns>
    public long ReleaseReplacedPages(GgufFile file)
    {
        var inPlace = Matrices()
            .Append(TokenEmbedding)
            .Where(m => m.Layout == WeightLayout.Stored)
            .Select(m => ((long)m.Address, (long)m.Address + m.Bytes))
            .ToArray();
        var released = 0L;
        var i = 0;
        while (i < _replaced.Length)
        {
            var (start, end) = _replaced[i++];
            while (i < _replaced.Length && !inPlace.Any(r => r.Item1 < _replaced[i].Start && r.Item2 > end))
            {
                end = Math.Max(end, _replaced[i++].End);
            }

            released += file.ReleasePages((nint)start, end - start);
        }

        return released;
    }

    /// <summary>Frees the re-laid copies; no matrix may be used afterwards.</summary>
    public void Dispose()
    {
        foreach (var matrix in Matrices().Append(TokenEmbedding))
        {
            matrix.Invalidate();
        }

        _copies?.Dispose();
        _copies = null;
    }
}
