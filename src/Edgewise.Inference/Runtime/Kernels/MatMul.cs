using Edgewise.Inference.Model;
using Edgewise.Numerics;

namespace Edgewise.Inference.Runtime.Kernels;

/// <summary>
/// Y[t, r] = Σ_c W[r, c] · X[t, c] for n tokens. Types with a Numerics dot kernel go through
/// <see cref="Numerics.MatMul"/> (ggml's integer dot products on the context's compute pool). Otherwise weight
/// rows are read in place (decoded into a per-worker row
/// buffer when not F32), split across workers in chunks of rows; each decoded row is reused for every token, so a
/// prompt is processed matrix-matrix and a single token matrix-vector. Inputs are first rounded the way ggml
/// rounds them for the weight's type (see <see cref="ActivationKind"/>).
/// </summary>
internal sealed class MatMul : IParallelJob
{
    private const long SerialWorkLimit = 1 << 15;

    private readonly WorkerPool _pool;
    private readonly ComputePool _compute;
    private readonly byte[] _activations;
    private readonly float[][] _rowScratch;
    private readonly float[] _rounded;
    private readonly byte[] _bytes;
    private WeightMatrix? _w;
    private float[]? _x;
    private float[]? _y;
    private int _tokens;
    private int _chunkRows;
    private int _ldy;
    private int _yOffset;

    /// <param name="pool">The context's workers.</param>
    /// <param name="compute">The context's compute pool for the Numerics kernels.</param>
    /// <param name="maxColumns">Widest input of any weight.</param>
    /// <param name="maxTokens">Most tokens per call.</param>
    public MatMul(WorkerPool pool, ComputePool compute, int maxColumns, int maxTokens)
    {
        _pool = pool;
        _compute = compute;
        _activations = GC.AllocateUninitializedArray<byte>(
            checked(Math.Max((2 * maxColumns) + 512, (maxColumns / 32 * 68) + 576) * maxTokens), pinned: true);
        _rowScratch = new float[pool.Workers][];
        for (var i = 0; i < _rowScratch.Length; i++)
        {
            _rowScratch[i] = new float[maxColumns];
        }

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
        if (ldy == w.Rows && VecDot.IsSupported(w.Type))
        {
            Numerics.MatMul.Compute(w.Type, w.Address, w.Rows, cols, x.AsSpan(0, tokens * cols), y.AsSpan(yOffset, tokens * w.Rows), tokens, _compute, _activations);
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

        _w = w;
        _x = input;
        _y = y;
        _tokens = tokens;
        _ldy = ldy;
        _yOffset = yOffset;
        var work = (long)w.Rows * cols * tokens;
        var chunks = work < SerialWorkLimit ? 1 : Math.Min(w.Rows, _pool.Workers * 8);
        _chunkRows = (w.Rows + chunks - 1) / chunks;
        try
        {
            _pool.Run(this, (w.Rows + _chunkRows - 1) / _chunkRows, chunks > 1);
        }
        finally
        {
            _w = null;
            _x = null;
            _y = null;
        }
    }

    public void Execute(int worker, int item)
    {
        var w = _w!;
        var x = _x!;
        var y = _y!;
        var cols = w.Columns;
        var start = item * _chunkRows;
        var end = Math.Min(w.Rows, start + _chunkRows);
        var scratch = _rowScratch[worker];
        for (var r = start; r < end; r++)
        {
            var row = w.Row(r, scratch);
            for (var t = 0; t < _tokens; t++)
            {
                y[(t * _ldy) + _yOffset + r] = VectorMath.Dot(row, x.AsSpan(t * cols, cols));
            }
        }
    }
}
