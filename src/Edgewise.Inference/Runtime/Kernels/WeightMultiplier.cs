using Edgewise.Inference.Model;
using Edgewise.Numerics;

namespace Edgewise.Inference.Runtime.Kernels;

/// <summary>
/// Multiplies activations by a model's <see cref="WeightMatrix"/>es for the forward pass: Y[t, r] = Σ_c W[r, c] · X[t, c]
/// for n tokens, with scratch sized once for every matrix of the model. Types with a Numerics dot kernel go through the
/// kernels of <see cref="MatMul"/> (ggml's integer dot products on the context's compute pool). Otherwise weight
/// rows are read in place (decoded into a per-thread row buffer when not F32), split across the pool in chunks of rows;
/// each decoded row is reused for every token, so a prompt is processed matrix-matrix and a single token matrix-vector.
/// Inputs are first rounded the way ggml rounds them for the weight's type (see <see cref="ActivationKind"/>).
/// </summary>
internal sealed class WeightMultiplier
{
    private const long SerialWorkLimit = 1 << 15;

    [ThreadStatic]
    private static float[]? t_row;

    private readonly ComputePool _compute;
    private readonly byte[] _activations;
    private readonly float[] _rounded;
    private readonly byte[] _bytes;

    /// <param name="compute">The shared compute pool.</param>
    /// <param name="weights">Every matrix this instance will multiply by: the scratch fits the widest and the
    /// converted-activation layout of each type, as <see cref="MatMul.ScratchBytes(TensorType, int, int)"/> reports it.</param>
    /// <param name="maxTokens">Most tokens per call.</param>
    public WeightMultiplier(ComputePool compute, IEnumerable<WeightMatrix> weights, int maxTokens)
    {
        _compute = compute;
        var maxColumns = 0;
        var scratch = 0;
        foreach (var w in weights)
        {
            maxColumns = Math.Max(maxColumns, w.Columns);
            if (VecDot.IsSupported(w.Type))
            {
                scratch = Math.Max(scratch, MatMul.ScratchBytes(w.Type, w.Columns, maxTokens));
                scratch = Math.Max(scratch, MatMul.MaxRowMatrices * MatMul.ScratchBytes(w.Type, w.Columns, 1));
            }
        }

        _activations = GC.AllocateUninitializedArray<byte>(Math.Max(scratch, 64), pinned: true);
        _rounded = new float[(long)maxColumns * maxTokens];
        _bytes = new byte[2 * maxColumns + 64];
    }

    /// <summary>
    /// Computes <paramref name="tokens"/> rows of output: y[t·ldy + yOffset + r] for every weight row r, from
    /// x[t·W.Columns ..].
    /// </summary>
    public void Run(WeightMatrix w, float[] x, int tokens, float[] y, int ldy, int yOffset = 0)
    {
        var cols = w.Columns;
        if ((ldy == w.Rows || tokens == 1) && VecDot.IsSupported(w.Type))
        {
            MatMul.Compute(
                w.Type, w.Layout, w.Address, w.Rows, cols, x.AsSpan(0, tokens * cols), y.AsSpan(yOffset, tokens * w.Rows), tokens, _compute, _activations);
            return;
        }

        float[] input;
        if (w.Activation == ActivationKind.Float)
        {
            input = x;
        }
        else
        {
            for (var t = 0; t < tokens; t++)
            {
                ActivationKinds.Round(w.Activation, x.AsSpan(t * cols, cols), _rounded.AsSpan(t * cols, cols), _bytes);
            }

            input = _rounded;
        }

        var work = (long)w.Rows * cols * tokens;
        var chunks = work < SerialWorkLimit ? 1 : Math.Min(w.Rows, _compute.ThreadCount * 8);
        var chunkRows = (w.Rows + chunks - 1) / chunks;
        var job = new Job(w, input, y, tokens, ldy, yOffset, chunkRows);
        _compute.Run(ref job, (w.Rows + chunkRows - 1) / chunkRows);
    }

    /// <summary>
    /// One token through several matrices with the same columns: y[0 ..] gets their results one after another. With a
    /// dot kernel for every type they run as one dispatch on the pool (<see cref="MatMul.ComputeRow(ReadOnlySpan{MatMulWeights}, int, ReadOnlySpan{float}, Span{float}, ComputePool?, Span{byte})"/>),
    /// each with the same bits as alone.
    /// </summary>
    public void RunRow(ReadOnlySpan<WeightMatrix> parts, float[] x, float[] y)
    {
        var cols = parts[0].Columns;
        Span<MatMulWeights> operands = stackalloc MatMulWeights[MatMul.MaxRowMatrices];
        var together = parts.Length <= operands.Length;
        var rows = 0;
        for (var i = 0; i < parts.Length; i++)
        {
            var w = parts[i];
            together &= w.Columns == cols && VecDot.IsSupported(w.Type);
            if (together)
            {
                operands[i] = new MatMulWeights(w.Type, w.Layout, w.Address, w.Rows);
            }

            rows += w.Rows;
        }

        if (together)
        {
            MatMul.ComputeRow(operands[..parts.Length], cols, x.AsSpan(0, cols), y.AsSpan(0, rows), _compute, _activations);
            return;
        }

        var at = 0;
        foreach (var w in parts)
        {
            Run(w, x, 1, y, rows, at);
            at += w.Rows;
        }
    }

    /// <summary>One chunk = a run of weight rows, each decoded once (into per-thread scratch) and reused for every token.</summary>
    private readonly struct Job(WeightMatrix w, float[] x, float[] y, int tokens, int ldy, int yOffset, int chunkRows) : IComputeJob
    {
        public void Execute(int chunk)
        {
            var cols = w.Columns;
            var start = chunk * chunkRows;
            var end = Math.Min(w.Rows, start + chunkRows);
            if (t_row is null || t_row.Length < cols)
            {
                t_row = new float[cols];
            }

            for (var r = start; r < end; r++)
            {
                var row = w.Row(r, t_row);
                for (var t = 0; t < tokens; t++)
                {
                    y[(t * ldy) + yOffset + r] = VectorMath.Dot(row, x.AsSpan(t * cols, cols));
                }
            }
        }
    }
}
