using System.Runtime.CompilerServices;
using Edgewise.Numerics.Kernels;

namespace Edgewise.Numerics;

/// <summary>
/// Weight matrix × activation rows, as ggml's CPU backend computes them: the activations are converted once per call
/// (<see cref="VecDot.ConvertActivations"/>), then every output is one <see cref="VecDot"/> dot product. Rows are split
/// across a <see cref="ComputePool"/>; with several activation rows (a prompt batch) each block of weight rows is
/// kept in cache while it meets a tile of activation rows, so weights are read from memory once per call.
/// </summary>
public static unsafe partial class MatMul
{
    /// <summary>Activation rows per tile when several rows are multiplied at once.</summary>
    private const int TokenTile = 32;

    /// <summary>
    /// Bytes of weights a single-token chunk should cover: every claim is an atomic on a line both threads write, and
    /// each chunk restarts its prefetch stream. 256 KiB measured 3–10 % faster than 64 KiB per token on F16, Q4_K_M
    /// and Q4_0 files (512 KiB no better); small matrices are still split at least four ways per thread.
    /// </summary>
    private const int ChunkWeightBytes = 256 * 1024;

    [ThreadStatic]
    private static byte[]? t_scratch;

    [ThreadStatic]
    private static byte[]? t_gemmScratch;

    /// <summary>Bytes of scratch <see cref="Compute(TensorType, ReadOnlySpan{byte}, int, int, ReadOnlySpan{float}, Span{float}, int, ComputePool?, Span{byte})"/> needs for its converted activations.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The type has no dot product, or a count is negative.</exception>
    public static int ScratchBytes(TensorType weightType, int cols, int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        var rowBytes = VecDot.ActivationRowBytes(weightType, cols);
        if (LegacyMatVec.Handles(weightType))
        {
            rowBytes = Math.Max(rowBytes, Math.Max(LegacyMatVec.PreparedBytes(cols), LegacyGemm.PreparedBytes(cols)));
        }
        else if (weightType == TensorType.F16)
        {
            rowBytes = Math.Max(rowBytes, F16MatVec.PreparedBytes(cols));
            if (n > 1)
            {
                return checked((int)((rowBytes * (long)n) + F16Broadcast.TransposedBytes(cols, n)));
            }
        }
        else if (KQuantGemm.Handles(weightType))
        {
            rowBytes = Math.Max(rowBytes, KQuantGemm.PreparedBytes(weightType, cols));
        }

        return checked(rowBytes * n);
    }

    /// <summary>
    /// output[t·rows + r] = Σ_c weights[r, c] · input[t·cols + c] for t &lt; <paramref name="n"/>, r &lt; <paramref name="rows"/>.
    /// </summary>
    /// <param name="weightType">Storage type of the weights.</param>
    /// <param name="weights"><paramref name="rows"/> rows of <see cref="TensorTypeInfo.RowBytes(long)"/>(<paramref name="cols"/>) bytes.</param>
    /// <param name="rows">Output features (weight rows).</param>
    /// <param name="cols">Input features; a multiple of the type's block size.</param>
    /// <param name="input"><paramref name="n"/> × <paramref name="cols"/> activations, row-major.</param>
    /// <param name="output"><paramref name="n"/> × <paramref name="rows"/> results, row-major.</param>
    /// <param name="n">Activation rows (tokens).</param>
    /// <param name="pool">Threads to split the rows over; null runs on the calling thread.</param>
    /// <param name="scratch">At least <see cref="ScratchBytes(TensorType, int, int)"/> bytes for the converted activations; empty uses a per-thread buffer that grows as needed.</param>
    /// <exception cref="ArgumentOutOfRangeException">The type has no dot product, or a count is negative.</exception>
    /// <exception cref="ArgumentException">A length does not fit.</exception>
    public static void Compute(
        TensorType weightType, ReadOnlySpan<byte> weights, int rows, int cols, ReadOnlySpan<float> input, Span<float> output, int n,
        ComputePool? pool = null, Span<byte> scratch = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        var rowBytes = TensorTypeInfo.Get(weightType).RowBytes(cols);
        if (weights.Length != rowBytes * rows)
        {
            throw new ArgumentException("The weights are not rows × row bytes long.", nameof(weights));
        }

        fixed (byte* w = weights)
        {
            Compute(weightType, (nint)w, rows, cols, input, output, n, pool, scratch, SimdSupport.Best);
        }
    }

    /// <summary>
    /// As the span overload, for weights at a raw address (e.g. a memory-mapped GGUF tensor) that stays valid and
    /// unmoved for the call: <paramref name="rows"/> × <see cref="TensorTypeInfo.RowBytes(long)"/>(<paramref name="cols"/>) bytes.
    /// </summary>
    /// <param name="weightType">Storage type of the weights.</param>
    /// <param name="weights">Address of the first weight row.</param>
    /// <param name="rows">Output features (weight rows).</param>
    /// <param name="cols">Input features; a multiple of the type's block size.</param>
    /// <param name="input"><paramref name="n"/> × <paramref name="cols"/> activations, row-major.</param>
    /// <param name="output"><paramref name="n"/> × <paramref name="rows"/> results, row-major.</param>
    /// <param name="n">Activation rows (tokens).</param>
    /// <param name="pool">Threads to split the rows over; null runs on the calling thread.</param>
    /// <param name="scratch">At least <see cref="ScratchBytes(TensorType, int, int)"/> bytes, or empty for a per-thread buffer.</param>
    /// <exception cref="ArgumentOutOfRangeException">The type has no dot product, or a count is negative.</exception>
    /// <exception cref="ArgumentException">A length does not fit, or the address is zero with rows to read.</exception>
    public static void Compute(
        TensorType weightType, nint weights, int rows, int cols, ReadOnlySpan<float> input, Span<float> output, int n,
        ComputePool? pool = null, Span<byte> scratch = default) =>
        Compute(weightType, weights, rows, cols, input, output, n, pool, scratch, SimdSupport.Best);

    /// <summary>
    /// As the raw-address overload, for weights re-laid by <see cref="WeightPacking.Pack(WeightLayout, TensorType, nint, nint, int, int)"/> into
    /// <paramref name="layout"/>.
    /// </summary>
    /// <param name="weightType">Storage type of the weights.</param>
    /// <param name="layout">How the weight bytes are ordered; <see cref="WeightPacking.IsSupported(WeightLayout, TensorType)"/> must hold for it here.</param>
    /// <param name="weights">Address of the first weight row.</param>
    /// <param name="rows">Output features (weight rows).</param>
    /// <param name="cols">Input features; a multiple of the type's block size.</param>
    /// <param name="input"><paramref name="n"/> × <paramref name="cols"/> activations, row-major.</param>
    /// <param name="output"><paramref name="n"/> × <paramref name="rows"/> results, row-major.</param>
    /// <param name="n">Activation rows (tokens).</param>
    /// <param name="pool">Threads to split the rows over; null runs on the calling thread.</param>
    /// <param name="scratch">At least <see cref="ScratchBytes(TensorType, int, int)"/> bytes, or empty for a per-thread buffer.</param>
    /// <exception cref="ArgumentOutOfRangeException">The type has no dot product, or a count is negative.</exception>
    /// <exception cref="ArgumentException">A length does not fit, the address is zero with rows to read, or this CPU has no kernel for the layout.</exception>
    public static void Compute(
        TensorType weightType, WeightLayout layout, nint weights, int rows, int cols, ReadOnlySpan<float> input, Span<float> output, int n,
        ComputePool? pool = null, Span<byte> scratch = default) =>
        Compute(weightType, weights, rows, cols, input, output, n, pool, scratch, SimdSupport.Best, layout);

    /// <summary>The implementation, on a chosen kernel path (test and benchmark hook).</summary>
    internal static void Compute(
        TensorType weightType, nint weights, int rows, int cols, ReadOnlySpan<float> input, Span<float> output, int n,
        ComputePool? pool, Span<byte> scratch, SimdPath path, WeightLayout layout = WeightLayout.Stored)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        CheckLayout(weightType, layout, path);
        var rowBytes = TensorTypeInfo.Get(weightType).RowBytes(cols);
        if (input.Length != (long)n * cols)
        {
            throw new ArgumentException("The input is not n × cols long.", nameof(input));
        }

        if (output.Length != (long)n * rows)
        {
            throw new ArgumentException("The output is not n × rows long.", nameof(output));
        }

        if (weights == 0 && rows > 0 && rowBytes > 0)
        {
            throw new ArgumentException("The weight address is zero.", nameof(weights));
        }

        if (rows == 0 || n == 0)
        {
            return;
        }

        if (cols == 0)
        {
            output.Clear();
            return;
        }

        var route = Choose(weightType, n, path, layout);
        var actBytes = PreparedBytes(route, weightType, cols);
        scratch = Scratch(scratch, checked((int)((actBytes * (long)n) + ExtraBytes(route, cols, n, path))));
        fixed (float* x = input)
        fixed (float* y = output)
        fixed (byte* act = scratch)
        {
            var sink = new PoolSink(pool);
            Plan(ref sink, route, new Operand(weightType, layout, (byte*)weights, rowBytes, rows, cols), x, y, n, act, actBytes, pool, path);
        }
    }

    /// <summary>Throws when <paramref name="layout"/> has no kernel for the type on <paramref name="path"/>.</summary>
    private static void CheckLayout(TensorType weightType, WeightLayout layout, SimdPath path)
    {
        if (layout != WeightLayout.Stored && !WeightPacking.IsSupported(layout, weightType, path))
        {
            throw new ArgumentException($"There is no {path} kernel for {weightType} weights in the {layout} layout on this CPU.", nameof(layout));
        }
    }

    /// <summary>Which kernel family multiplies <paramref name="n"/> activation rows by weights of this type and layout on <paramref name="path"/>.</summary>
    private static Route Choose(TensorType weightType, int n, SimdPath path, WeightLayout layout)
    {
        var wide = path is SimdPath.Vector256 or SimdPath.Vector512;
        if (wide && LegacyMatVec.IsSupported && LegacyMatVec.Handles(weightType))
        {
            if (layout == WeightLayout.RowGroups)
            {
                return n <= RowGroups.MaxTokens ? Route.RowDecode : Route.LegacyGemm;
            }

            var gemm = (n > 1 || layout == WeightLayout.BlockGroups) && LegacyGemm.IsSupported;
            return !gemm ? Route.Legacy : n == 1 ? Route.GroupDecode : Route.LegacyGemm;
        }

        if (wide && F16MatVec.IsSupported && weightType == TensorType.F16)
        {
            return Route.Half;
        }

        if (wide && layout == WeightLayout.RowGroups && weightType == TensorType.Q4_K)
        {
            return n <= RowGroups.MaxTokens ? Route.KRowDecode : Route.KQuantGemm;
        }

        if (wide && KQuantMatVec.IsSupported && KQuantMatVec.Handles(weightType))
        {
            return n > 1 && KQuantGemm.IsSupported && KQuantGemm.Handles(weightType) ? Route.KQuantGemm : Route.KQuant;
        }

        return Route.Generic;
    }

    /// <summary>The name of the kernel <see cref="Plan"/> runs for <paramref name="n"/> tokens of this type and layout on <paramref name="path"/> (for <see cref="KernelDispatch"/>).</summary>
    internal static string KernelName(TensorType type, WeightLayout layout, int n, SimdPath path)
    {
        CheckLayout(type, layout, path);
        return Choose(type, n, path, layout) switch
        {
            Route.GroupDecode => nameof(BlockGroups),
            Route.RowDecode or Route.KRowDecode => nameof(RowGroups),
            Route.LegacyGemm => nameof(LegacyGemm),
            Route.Legacy => type == TensorType.Q4_0 && path == SimdPath.Vector512 && LegacyDecode.IsSupported ? nameof(LegacyDecode) : nameof(LegacyMatVec),
            Route.KQuantGemm => nameof(KQuantGemm),
            Route.KQuant when n > 1 => nameof(KQuantMatVec) + ".Gemm",
            Route.KQuant => path == SimdPath.Vector512 && KQuantDecode.IsSupported ? nameof(KQuantDecode) : nameof(KQuantMatVec),
            Route.Half when n > 1 => UsesBroadcast(Route.Half, n, path) ? nameof(F16Broadcast) : nameof(F16Panel),
            Route.Half => nameof(F16Decode) + (path == SimdPath.Vector512 ? " 512-bit" : " 256-bit") + (F16Decode.RawWidening ? " raw widening" : string.Empty),
            _ => nameof(DotKernels),
        };
    }

    /// <summary>Bytes of one prepared activation row for <paramref name="route"/>.</summary>
    private static int PreparedBytes(Route route, TensorType weightType, int cols) => route switch
    {
        Route.LegacyGemm or Route.GroupDecode or Route.RowDecode => LegacyGemm.PreparedBytes(cols),
        Route.Legacy => LegacyMatVec.PreparedBytes(cols),
        Route.KQuantGemm => KQuantGemm.PreparedBytes(weightType, cols),
        Route.Half => F16MatVec.PreparedBytes(cols),
        _ => VecDot.ActivationRowBytes(weightType, cols),
    };

    /// <summary>Bytes of scratch past the prepared rows: the transposed activations of an F16 prompt batch on the broadcast kernel.</summary>
    private static long ExtraBytes(Route route, int cols, int n, SimdPath path) =>
        UsesBroadcast(route, n, path) ? F16Broadcast.TransposedBytes(cols, n) : 0;

    private static bool UsesBroadcast(Route route, int n, SimdPath path) =>
        route == Route.Half && n > 1 && path == SimdPath.Vector512 && F16Broadcast.IsSupported;

    /// <summary><paramref name="scratch"/> when given (checked to hold <paramref name="need"/> bytes), else this thread's buffer grown to it.</summary>
    private static Span<byte> Scratch(Span<byte> scratch, int need)
    {
        if (!scratch.IsEmpty)
        {
            return scratch.Length >= need ? scratch : throw new ArgumentException("The scratch buffer is smaller than ScratchBytes.", nameof(scratch));
        }

        if (t_scratch is null || t_scratch.Length < need)
        {
            t_scratch = GC.AllocateUninitializedArray<byte>(Math.Max(need, t_scratch?.Length * 2 ?? 0), pinned: true);
        }

        return t_scratch;
    }

    /// <summary>
    /// Prepares the activations of <paramref name="w"/>'s route into <paramref name="act"/> (on the pool, now) and hands
    /// the product's chunked job to <paramref name="sink"/>.
    /// </summary>
    private static void Plan<TSink>(
        ref TSink sink, Route route, in Operand w, float* x, float* y, int n, byte* act, int actBytes, ComputePool? pool, SimdPath path)
        where TSink : struct, IJobSink
    {
        var threads = pool?.ThreadCount ?? 1;
        var type = w.Type;
        var weights = w.Weights;
        var rowBytes = w.RowBytes;
        var rows = w.Rows;
        var cols = w.Cols;
        var batchRows = Math.Clamp((rows / (4 * threads)) & ~3, 4, 64);
        switch (route)
        {
            case Route.GroupDecode:
            {
                var prepare = new GemmPrepareJob(type, x, act, cols, actBytes);
                Run(pool, ref prepare, n);
                var groupRows = Math.Max(2, RowsPerChunk(rows, rowBytes, threads) & ~1);
                var decode = new GroupDecodeJob(type, weights, act, y, rowBytes, rows, cols / 32, groupRows);
                sink.Add(ref decode, (rows + groupRows - 1) / groupRows);
                return;
            }

            case Route.RowDecode:
            {
                var prepare = new GemmPrepareJob(type, x, act, cols, actBytes);
                Run(pool, ref prepare, n);
                var groupRows = WholeGroups(RowsPerChunk(rows, rowBytes, threads));
                var decode = new RowDecodeJob(weights, act, y, rows, cols / 32, actBytes, n, groupRows);
                sink.Add(ref decode, (rows + groupRows - 1) / groupRows);
                return;
            }

            case Route.LegacyGemm:
            {
                var prepare = new GemmPrepareJob(type, x, act, cols, actBytes);
                Run(pool, ref prepare, n);
                if (w.Layout == WeightLayout.RowGroups)
                {
                    // Chunks start on a group of eight rows, whose rows the job restores before the stored-layout kernel.
                    batchRows = WholeGroups(Math.Min(rows / (4 * threads), 64));
                }

                var gemmJob = new LegacyGemmJob(type, w.Layout, weights, act, y, rowBytes, actBytes, rows, cols / 32, n, batchRows);
                sink.Add(ref gemmJob, (rows + batchRows - 1) / batchRows);
                return;
            }

            case Route.KQuantGemm:
            {
                var prepare = new KGemmPrepareJob(type, x, act, cols, actBytes);
                Run(pool, ref prepare, n);
                if (w.Layout == WeightLayout.RowGroups)
                {
                    batchRows = WholeGroups(Math.Min(rows / (4 * threads), 64));
                }

                var kGemmJob = new KQuantGemmJob(type, w.Layout, weights, act, y, rowBytes, actBytes, rows, cols / 256, n, batchRows);
                sink.Add(ref kGemmJob, (rows + batchRows - 1) / batchRows);
                return;
            }

            case Route.Legacy:
            {
                var prepare = new PrepareJob(type, x, act, cols, actBytes);
                Run(pool, ref prepare, n);
                var blockRows = n == 1 ? RowsPerChunk(rows, rowBytes, threads) : batchRows;
                var wide = n == 1 && type == TensorType.Q4_0 && path == SimdPath.Vector512 && LegacyDecode.IsSupported;
                var rowJob = new LegacyJob(type, weights, act, y, rowBytes, actBytes, rows, cols / 32, n, blockRows, wide);
                sink.Add(ref rowJob, (rows + blockRows - 1) / blockRows);
                return;
            }

            case Route.Half:
            {
                if (n == 1)
                {
                    F16MatVec.Prepare(new ReadOnlySpan<float>(x, cols), (float*)act, F16Decode.ActivationScale(F16Decode.RawWidening));
                }
                else
                {
                    var prepare = new HalfPrepareJob(x, act, cols, actBytes);
                    Run(pool, ref prepare, n);
                }

                float* transposed = null;
                if (UsesBroadcast(route, n, path))
                {
                    transposed = (float*)(act + ((long)actBytes * n));
                    var transpose = new TransposeJob(act, actBytes, n, cols, transposed);
                    Run(pool, ref transpose, (n + F16Broadcast.BlockTokens - 1) / F16Broadcast.BlockTokens);
                }

                var blockRows = n == 1 ? Math.Max(4, RowsPerChunk(rows, rowBytes, threads) & ~3) : Math.Clamp(rows / (48 * threads) * 12, 12, 60);
                var halfJob = new HalfJob(weights, act, transposed, y, rowBytes, actBytes, rows, cols, n, blockRows, path == SimdPath.Vector512);
                sink.Add(ref halfJob, (rows + blockRows - 1) / blockRows);
                return;
            }
        }

        var convert = new ConvertJob(type, x, act, cols, actBytes);
        Run(pool, ref convert, n);
        if (route == Route.KRowDecode)
        {
            var groupRows = WholeGroups(RowsPerChunk(rows, rowBytes, threads));
            var decode = new KRowDecodeJob(weights, act, y, rows, cols / 256, actBytes, n, groupRows);
            sink.Add(ref decode, (rows + groupRows - 1) / groupRows);
            return;
        }

        if (route == Route.KQuant)
        {
            var blockRows = n == 1 ? RowsPerChunk(rows, rowBytes, threads) : Math.Clamp(rows / (4 * threads), 1, 64);
            if (n == 1 && path == SimdPath.Vector512 && KQuantDecode.IsSupported)
            {
                var decode = new KQuantDecodeJob(type, weights, act, y, rowBytes, rows, cols / 256, blockRows);
                sink.Add(ref decode, (rows + blockRows - 1) / blockRows);
                return;
            }

            var kJob = new KQuantJob(type, weights, act, y, rowBytes, actBytes, rows, cols / 256, n, blockRows);
            sink.Add(ref kJob, (rows + blockRows - 1) / blockRows);
            return;
        }

        var kernel = DotKernels.Get(type, path);
        var perChunk = RowsPerChunk(rows, rowBytes * Math.Min(n, TokenTile), threads);
        var job = new MatMulJob(weights, act, y, rowBytes, actBytes, rows, cols, n, perChunk, kernel);
        sink.Add(ref job, (rows + perChunk - 1) / perChunk);
    }

    /// <summary><paramref name="rowsPerChunk"/> rounded down to whole groups of <see cref="RowGroups.GroupRows"/> (at least one), so chunks of re-laid rows start on a group.</summary>
    private static int WholeGroups(int rowsPerChunk) => Math.Max(RowGroups.GroupRows, rowsPerChunk & ~(RowGroups.GroupRows - 1));

    private static int RowsPerChunk(int rows, long bytesPerRow, int threads)
    {
        var bySize = (int)Math.Clamp(ChunkWeightBytes / Math.Max(1, bytesPerRow), 1, int.MaxValue);
        var byBalance = Math.Max(1, rows / (4 * threads));
        return Math.Max(1, Math.Min(bySize, byBalance));
    }

    /// <summary>This thread's buffer for a prompt-batch chunk's transposed weight rows, grown as needed (pinned, so fixing it costs nothing).</summary>
    private static byte[] GemmScratch(int bytes)
    {
        if (t_gemmScratch is null || t_gemmScratch.Length < bytes)
        {
            t_gemmScratch = GC.AllocateUninitializedArray<byte>(bytes, pinned: true);
        }

        return t_gemmScratch;
    }

    private static void Run<TJob>(ComputePool? pool, ref TJob job, int chunks)
        where TJob : struct, IComputeJob
    {
        if (pool is null)
        {
            for (var c = 0; c < chunks; c++)
            {
                job.Execute(c);
            }
        }
        else
        {
            pool.Run(ref job, chunks);
        }
    }
}
