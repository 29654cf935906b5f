using System.Runtime.CompilerServices;
using Edgewise.Numerics.Kernels;

namespace Edgewise.Numerics;

/// <summary>One activation row against several weight matrices in one pool dispatch, and the plumbing both entry points share.</summary>
public static unsafe partial class MatMul
{
    /// <summary>Most matrices <see cref="ComputeRow(ReadOnlySpan{MatMulWeights}, int, ReadOnlySpan{float}, Span{float}, ComputePool?, Span{byte})"/> takes at once.</summary>
    public const int MaxRowMatrices = JobList.Capacity;

    /// <summary>Kernel families, chosen per call by <see cref="Choose"/>.</summary>
    private enum Route
    {
        Generic,
        Legacy,
        GroupDecode,
        RowDecode,
        KRowDecode,
        LegacyGemm,
        KQuant,
        KQuantGemm,
        Half,
    }

    /// <summary>Receives the chunked job of one product.</summary>
    private interface IJobSink
    {
        void Add<TJob>(ref TJob job, int chunks)
            where TJob : unmanaged, IComputeJob;
    }

    /// <summary>
    /// Bytes of scratch <see cref="ComputeRow(ReadOnlySpan{MatMulWeights}, int, ReadOnlySpan{float}, Span{float}, ComputePool?, Span{byte})"/>
    /// needs: one prepared activation row per matrix.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A type has no dot product, or <paramref name="cols"/> is negative.</exception>
    public static int ScratchBytes(ReadOnlySpan<MatMulWeights> matrices, int cols)
    {
        var total = 0;
        foreach (var m in matrices)
        {
            total = checked(total + ScratchBytes(m.Type, cols, 1));
        }

        return total;
    }

    /// <summary>
    /// One activation row times every matrix of <paramref name="matrices"/> (all with <paramref name="cols"/> columns), in
    /// one dispatch on <paramref name="pool"/>: <paramref name="output"/> is their results one after another (the first
    /// matrix's rows, then the second's, ...). Each result has the same bits as
    /// <see cref="Compute(TensorType, WeightLayout, nint, int, int, ReadOnlySpan{float}, Span{float}, int, ComputePool?, Span{byte})"/>
    /// gives for that matrix alone; one dispatch instead of several saves a pool barrier per matrix, which a decode step
    /// (a layer's query, key and value projections, or its gate and up projections) would otherwise pay each time.
    /// </summary>
    /// <param name="matrices">1 to <see cref="MaxRowMatrices"/> matrices; types and layouts may differ.</param>
    /// <param name="cols">Input features of every matrix; a multiple of each type's block size.</param>
    /// <param name="input"><paramref name="cols"/> activations.</param>
    /// <param name="output">Σ rows results.</param>
    /// <param name="pool">Threads to split the rows over; null runs on the calling thread.</param>
    /// <param name="scratch">At least <see cref="ScratchBytes(ReadOnlySpan{MatMulWeights}, int)"/> bytes, or empty for a per-thread buffer.</param>
    /// <exception cref="ArgumentOutOfRangeException">A type has no dot product, or a count is negative.</exception>
    /// <exception cref="ArgumentException">There are no or too many matrices, a length does not fit, an address is zero, or a layout has no kernel on this CPU.</exception>
    public static void ComputeRow(
        ReadOnlySpan<MatMulWeights> matrices, int cols, ReadOnlySpan<float> input, Span<float> output, ComputePool? pool = null, Span<byte> scratch = default) =>
        ComputeRow(matrices, cols, input, output, pool, scratch, SimdSupport.Best);

    /// <summary>The implementation, on a chosen kernel path (test hook).</summary>
    internal static void ComputeRow(
        ReadOnlySpan<MatMulWeights> matrices, int cols, ReadOnlySpan<float> input, Span<float> output, ComputePool? pool, Span<byte> scratch, SimdPath path)
    {
        if (matrices.IsEmpty || matrices.Length > MaxRowMatrices)
        {
            throw new ArgumentException($"Between 1 and {MaxRowMatrices} matrices are multiplied at once.", nameof(matrices));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        if (input.Length != cols)
        {
            throw new ArgumentException("The input is not cols long.", nameof(input));
        }

        var rows = 0L;
        var need = 0;
        Span<Route> routes = stackalloc Route[MaxRowMatrices];
        Span<int> prepared = stackalloc int[MaxRowMatrices];
        for (var m = 0; m < matrices.Length; m++)
        {
            var w = matrices[m];
            ArgumentOutOfRangeException.ThrowIfNegative(w.Rows, nameof(matrices));
            CheckLayout(w.Type, w.Layout, path);
            if (w.Address == 0 && w.Rows > 0 && cols > 0)
            {
                throw new ArgumentException("A weight address is zero.", nameof(matrices));
            }

            rows += w.Rows;
            routes[m] = Choose(w.Type, 1, path, w.Layout);
            prepared[m] = PreparedBytes(routes[m], w.Type, cols);
            need = checked(need + prepared[m]);
        }

        if (output.Length != rows)
        {
            throw new ArgumentException("The output is not as long as the matrices' rows together.", nameof(output));
        }

        if (cols == 0)
        {
            output.Clear();
            return;
        }

        scratch = Scratch(scratch, need);
        fixed (float* x = input)
        fixed (float* y = output)
        fixed (byte* act = scratch)
        {
            var jobs = default(JobList);
            var outAt = 0L;
            var actAt = 0L;
            for (var m = 0; m < matrices.Length; m++)
            {
                var w = matrices[m];
                if (w.Rows > 0)
                {
                    var operand = new Operand(w.Type, w.Layout, (byte*)w.Address, TensorTypeInfo.Get(w.Type).RowBytes(cols), w.Rows, cols);
                    Plan(ref jobs, routes[m], operand, x, y + outAt, 1, act + actAt, prepared[m], pool, path);
                }

                outAt += w.Rows;
                actAt += prepared[m];
            }

            var all = new JobListJob(&jobs);
            Run(pool, ref all, jobs.Chunks);
        }
    }

    /// <summary>One weight matrix as <see cref="Plan"/> sees it.</summary>
    private readonly struct Operand(TensorType type, WeightLayout layout, byte* weights, long rowBytes, int rows, int cols)
    {
        public TensorType Type => type;

        public WeightLayout Layout => layout;

        public byte* Weights => weights;

        public long RowBytes => rowBytes;

        public int Rows => rows;

        public int Cols => cols;
    }

    /// <summary>Runs each job on the pool as it arrives.</summary>
    private readonly struct PoolSink(ComputePool? pool) : IJobSink
    {
        public void Add<TJob>(ref TJob job, int chunks)
            where TJob : unmanaged, IComputeJob => Run(pool, ref job, chunks);
    }

    /// <summary>
    /// Up to <see cref="Capacity"/> jobs kept by value (every job is an unmanaged struct of pointers and counts), their
    /// chunks numbered one after another, so <see cref="JobListJob"/> runs them all in one dispatch.
    /// </summary>
    private struct JobList : IJobSink
    {
        public const int Capacity = 4;
        private const int SlotBytes = 128;

        private fixed long _jobs[Capacity * SlotBytes / sizeof(long)];
        private fixed long _invoke[Capacity];
        private fixed int _ends[Capacity];
        private int _count;

        /// <summary>Chunks of every job together.</summary>
        public readonly int Chunks => _count == 0 ? 0 : _ends[_count - 1];

        public void Add<TJob>(ref TJob job, int chunks)
            where TJob : unmanaged, IComputeJob
        {
            if (_count == Capacity || sizeof(TJob) > SlotBytes)
            {
                throw new InvalidOperationException("The job list is full, or a job is larger than a slot.");
            }

            fixed (long* slots = _jobs)
            {
                *(TJob*)((byte*)slots + (_count * SlotBytes)) = job;
            }

            _invoke[_count] = (long)(delegate*<byte*, int, void>)&Invoke<TJob>;
            _ends[_count] = Chunks + chunks;
            _count++;
        }

        /// <summary>Runs chunk <paramref name="chunk"/> of the whole list.</summary>
        public void Execute(int chunk)
        {
            var i = 0;
            while (chunk >= _ends[i])
            {
                i++;
            }

            var start = i == 0 ? 0 : _ends[i - 1];
            fixed (long* slots = _jobs)
            {
                ((delegate*<byte*, int, void>)_invoke[i])((byte*)slots + (i * SlotBytes), chunk - start);
            }
        }

        private static void Invoke<TJob>(byte* job, int chunk)
            where TJob : unmanaged, IComputeJob => ((TJob*)job)->Execute(chunk);
    }

    /// <summary>The chunks of a <see cref="JobList"/> on the caller's stack, which outlives the dispatch.</summary>
    private readonly struct JobListJob(JobList* jobs) : IComputeJob
    {
        public void Execute(int chunk) => jobs->Execute(chunk);
    }
}
