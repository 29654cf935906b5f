using System.Runtime.CompilerServices;
using Edgewise.Numerics.Kernels;

namespace Edgewise.Numerics;

/// <summary>
/// Weight matrix × activation rows, as ggml's CPU backend computes them: the activations are converted once per call
/// (<see cref="VecDot.ConvertActivations"/>), then every output is one <see cref="VecDot"/> dot product. Rows are split
/// across a <see cref="ComputePool"/>; with several activation rows (a prompt batch) each block of weight rows is
/// kept in cache while it meets a tile of activation rows, so weights are read from memory once per call.
/// </summary>
public static unsafe class MatMul
{
    /// <summary>Activation rows per tile when several rows are multiplied at once.</summary>
    private const int TokenTile = 32;

    /// <summary>Bytes of weights a chunk of work should cover, to keep scheduling overhead small.</summary>
    private const int ChunkWeightBytes = 64 * 1024;

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
    /// <param name="scratch">At least <see cref="ScratchBytes"/> bytes for the converted activations; empty uses a per-thread buffer that grows as needed.</param>
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
    /// <param name="scratch">At least <see cref="ScratchBytes"/> bytes, or empty for a per-thread buffer.</param>
    /// <exception cref="ArgumentOutOfRangeException">The type has no dot product, or a count is negative.</exception>
    /// <exception cref="ArgumentException">A length does not fit, or the address is zero with rows to read.</exception>
    public static void Compute(
        TensorType weightType, nint weights, int rows, int cols, ReadOnlySpan<float> input, Span<float> output, int n,
        ComputePool? pool = null, Span<byte> scratch = default) =>
        Compute(weightType, weights, rows, cols, input, output, n, pool, scratch, SimdSupport.Best);

    /// <summary>
    /// As the raw-address overload, for weights re-laid by <see cref="WeightPacking.Pack(WeightLayout, TensorType, nint, int, int)"/> into
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
    /// <param name="scratch">At least <see cref="ScratchBytes"/> bytes, or empty for a per-thread buffer.</param>
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
        if (layout != WeightLayout.Stored && !WeightPacking.IsSupported(layout, weightType, path))
        {
            throw new ArgumentException($"There is no {path} kernel for {weightType} weights in the {layout} layout on this CPU.", nameof(layout));
        }

        var actBytes = VecDot.ActivationRowBytes(weightType, cols);
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

        var fast = path is SimdPath.Vector256 or SimdPath.Vector512 && LegacyMatVec.IsSupported && LegacyMatVec.Handles(weightType);
        var half = path is SimdPath.Vector256 or SimdPath.Vector512 && F16MatVec.IsSupported && weightType == TensorType.F16;
        var kquant = path is SimdPath.Vector256 or SimdPath.Vector512 && KQuantMatVec.IsSupported && KQuantMatVec.Handles(weightType);
        var grouped = layout == WeightLayout.BlockGroups;
        var gemm = fast && (n > 1 || grouped) && LegacyGemm.IsSupported;
        var kgemm = kquant && n > 1 && KQuantGemm.IsSupported && KQuantGemm.Handles(weightType);
        if (gemm)
        {
            actBytes = LegacyGemm.PreparedBytes(cols);
        }
        else if (kgemm)
        {
            actBytes = KQuantGemm.PreparedBytes(weightType, cols);
        }
        else if (fast)
        {
            actBytes = LegacyMatVec.PreparedBytes(cols);
        }
        else if (half)
        {
            actBytes = F16MatVec.PreparedBytes(cols);
        }

        var need = actBytes * n;
        if (scratch.IsEmpty)
        {
            if (t_scratch is null || t_scratch.Length < need)
            {
                t_scratch = GC.AllocateUninitializedArray<byte>(Math.Max(need, t_scratch?.Length * 2 ?? 0), pinned: true);
            }

            scratch = t_scratch;
        }
        else if (scratch.Length < need)
        {
            throw new ArgumentException("The scratch buffer is smaller than ScratchBytes.", nameof(scratch));
        }

        fixed (float* x = input)
        fixed (float* y = output)
        fixed (byte* act = scratch)
        {
            if (gemm)
            {
                var prepare = new GemmPrepareJob(weightType, x, act, cols, actBytes);
                Run(pool, ref prepare, n);
                var threads = pool?.ThreadCount ?? 1;
                var blockRows = Math.Clamp((rows / (4 * threads)) & ~3, 4, 64);
                if (n == 1)
                {
                    var groupRows = RowsPerChunk(rows, rowBytes, threads) & ~1;
                    groupRows = Math.Max(2, groupRows);
                    var decode = new GroupDecodeJob(weightType, (byte*)weights, act, y, rowBytes, rows, cols / 32, groupRows);
                    Run(pool, ref decode, (rows + groupRows - 1) / groupRows);
                    return;
                }

                var gemmJob = new LegacyGemmJob(weightType, layout, (byte*)weights, act, y, rowBytes, actBytes, rows, cols / 32, n, blockRows);
                Run(pool, ref gemmJob, (rows + blockRows - 1) / blockRows);
                return;
            }

            if (kgemm)
            {
                var prepare = new KGemmPrepareJob(weightType, x, act, cols, actBytes);
                Run(pool, ref prepare, n);
                var threads = pool?.ThreadCount ?? 1;
                var blockRows = Math.Clamp((rows / (4 * threads)) & ~3, 4, 64);
                var kGemmJob = new KQuantGemmJob(weightType, (byte*)weights, act, y, rowBytes, actBytes, rows, cols / 256, n, blockRows);
                Run(pool, ref kGemmJob, (rows + blockRows - 1) / blockRows);
                return;
            }

            if (fast)
            {
                var prepare = new PrepareJob(weightType, x, act, cols, actBytes);
                Run(pool, ref prepare, n);
                var threads = pool?.ThreadCount ?? 1;
                var blockRows = n == 1 ? RowsPerChunk(rows, rowBytes, threads) : Math.Clamp((rows / (4 * threads)) & ~3, 4, 64);
                var wide = n == 1 && weightType == TensorType.Q4_0 && path == SimdPath.Vector512 && LegacyDecode.IsSupported;
                var rowJob = new LegacyJob(weightType, (byte*)weights, act, y, rowBytes, actBytes, rows, cols / 32, n, blockRows, wide);
                Run(pool, ref rowJob, (rows + blockRows - 1) / blockRows);
                return;
            }

            if (half)
            {
                if (n == 1)
                {
                    F16MatVec.Prepare(new ReadOnlySpan<float>(x, cols), (float*)act, F16MatVec.ActivationScale);
                }
                else
                {
                    var prepare = new HalfPrepareJob(x, act, cols, actBytes);
                    Run(pool, ref prepare, n);
                }

                var threads = pool?.ThreadCount ?? 1;
                var blockRows = n == 1 ? Math.Max(4, RowsPerChunk(rows, rowBytes, threads) & ~3) : Math.Clamp(rows / (48 * threads) * 12, 12, 60);
                var halfJob = new HalfJob((byte*)weights, act, y, rowBytes, actBytes, rows, cols, n, blockRows, path == SimdPath.Vector512);
                Run(pool, ref halfJob, (rows + blockRows - 1) / blockRows);
                return;
            }

            var convert = new ConvertJob(weightType, x, act, cols, actBytes);
            Run(pool, ref convert, n);
            if (kquant)
            {
                var threads = pool?.ThreadCount ?? 1;
                var blockRows = n == 1 ? RowsPerChunk(rows, rowBytes, threads) : Math.Clamp(rows / (4 * threads), 1, 64);
                if (n == 1 && path == SimdPath.Vector512 && KQuantDecode.IsSupported)
                {
                    var decode = new KQuantDecodeJob(weightType, (byte*)weights, act, y, rowBytes, rows, cols / 256, blockRows);
                    Run(pool, ref decode, (rows + blockRows - 1) / blockRows);
                    return;
                }

                var kJob = new KQuantJob(weightType, (byte*)weights, act, y, rowBytes, actBytes, rows, cols / 256, n, blockRows);
                Run(pool, ref kJob, (rows + blockRows - 1) / blockRows);
                return;
            }

            var kernel = DotKernels.Get(weightType, path);
            var perChunk = RowsPerChunk(rows, rowBytes * Math.Min(n, TokenTile), pool?.ThreadCount ?? 1);
            var job = new MatMulJob((byte*)weights, act, y, rowBytes, actBytes, rows, cols, n, perChunk, kernel);
            Run(pool, ref job, (rows + perChunk - 1) / perChunk);
        }
    }

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

    /// <summary>Converts one activation row per chunk.</summary>
    private readonly struct ConvertJob(TensorType weightType, float* input, byte* output, int cols, int actBytes) : IComputeJob
    {
        public void Execute(int chunk) => VecDot.ConvertActivations(
            weightType, new ReadOnlySpan<float>(input + (long)chunk * cols, cols), new Span<byte>(output + (long)chunk * actBytes, actBytes));
    }

    /// <summary>Prepares one activation row per chunk for <see cref="LegacyMatVec"/>.</summary>
    private readonly struct PrepareJob(TensorType weightType, float* input, byte* output, int cols, int actBytes) : IComputeJob
    {
        public void Execute(int chunk)
        {
            Span<byte> q80 = cols <= 16384 ? stackalloc byte[(cols / 32) * 34] : new byte[(cols / 32) * 34];
            LegacyMatVec.Prepare(weightType, new ReadOnlySpan<float>(input + ((long)chunk * cols), cols), output + ((long)chunk * actBytes), q80);
        }
    }

    /// <summary>Prepares one activation row per chunk for <see cref="LegacyGemm"/>.</summary>
    private readonly struct GemmPrepareJob(TensorType weightType, float* input, byte* output, int cols, int actBytes) : IComputeJob
    {
        public void Execute(int chunk)
        {
            Span<byte> q80 = cols <= 16384 ? stackalloc byte[(cols / 32) * 34] : new byte[(cols / 32) * 34];
            LegacyGemm.Prepare(weightType, new ReadOnlySpan<float>(input + ((long)chunk * cols), cols), output + ((long)chunk * actBytes), q80);
        }
    }

    /// <summary>One chunk = a block of weight rows against every activation row prepared for <see cref="LegacyGemm"/>.</summary>
    private readonly struct LegacyGemmJob(
        TensorType weightType, WeightLayout layout, byte* weights, byte* activations, float* output, long rowBytes, int actBytes, int rows, int blocks,
        int n, int rowsPerChunk)
        : IComputeJob
    {
        public void Execute(int chunk)
        {
            var r0 = chunk * rowsPerChunk;
            fixed (byte* scratch = GemmScratch(LegacyGemm.ScratchBytes(blocks, rowsPerChunk)))
            {
                LegacyGemm.Rows(
                    weightType, weights, rowBytes, r0, Math.Min(rows, r0 + rowsPerChunk), blocks, activations, actBytes, n, output, rows, scratch, layout);
            }
        }
    }

    /// <summary>One chunk = a block of Q4_0, Q5_0 or Q8_0 rows in the <see cref="WeightLayout.BlockGroups"/> layout against one token prepared for <see cref="LegacyGemm"/>.</summary>
    private readonly struct GroupDecodeJob(
        TensorType weightType, byte* weights, byte* activation, float* output, long rowBytes, int rows, int blocks, int rowsPerChunk)
        : IComputeJob
    {
        public void Execute(int chunk)
        {
            var r0 = chunk * rowsPerChunk;
            BlockGroups.Rows(weightType, weights, rowBytes, r0, Math.Min(rows, r0 + rowsPerChunk), blocks, activation, output);
        }
    }

    /// <summary>Prepares one activation row per chunk for <see cref="KQuantGemm"/>.</summary>
    private readonly struct KGemmPrepareJob(TensorType weightType, float* input, byte* output, int cols, int actBytes) : IComputeJob
    {
        public void Execute(int chunk)
        {
            var bytes = (cols / 256) * 292;
            Span<byte> q8k = bytes <= 32768 ? stackalloc byte[bytes] : new byte[bytes];
            KQuantGemm.Prepare(weightType, new ReadOnlySpan<float>(input + ((long)chunk * cols), cols), output + ((long)chunk * actBytes), q8k);
        }
    }

    /// <summary>One chunk = a block of Q4_K or Q6_K weight rows against every activation row prepared for <see cref="KQuantGemm"/>.</summary>
    private readonly struct KQuantGemmJob(
        TensorType weightType, byte* weights, byte* activations, float* output, long rowBytes, int actBytes, int rows, int blocks, int n, int rowsPerChunk)
        : IComputeJob
    {
        public void Execute(int chunk)
        {
            var r0 = chunk * rowsPerChunk;
            fixed (byte* scratch = GemmScratch(KQuantGemm.ScratchBytes(blocks, rowsPerChunk)))
            {
                KQuantGemm.Rows(weightType, weights, rowBytes, r0, Math.Min(rows, r0 + rowsPerChunk), blocks, activations, actBytes, n, output, rows, scratch);
            }
        }
    }

    /// <summary>One chunk = a block of weight rows against every prepared activation row (Q8_0, Q4_0, Q5_0); tiled for batches.</summary>
    private readonly struct LegacyJob(
        TensorType weightType, byte* weights, byte* activations, float* output, long rowBytes, int actBytes, int rows, int blocks, int n, int rowsPerChunk,
        bool wide)
        : IComputeJob
    {
        public void Execute(int chunk)
        {
            var r0 = chunk * rowsPerChunk;
            var r1 = Math.Min(rows, r0 + rowsPerChunk);
            if (n > 1)
            {
                var floats = LegacyTile.ScratchFloats(blocks);
                var buffer = floats <= 16384 ? stackalloc float[floats] : new float[floats];
                fixed (float* scratch = buffer)
                {
                    LegacyTile.Rows(weightType, weights, rowBytes, r0, r1, blocks, activations, actBytes, n, output, rows, scratch);
                }

                return;
            }

            var scales = stackalloc float[2 * blocks];
            if (wide)
            {
                LegacyDecode.RowsQ40(weights, rowBytes, r0, r1, blocks, activations, output, scales);
                return;
            }

            KQuantDecode.PrefetchStart(weights + (r0 * rowBytes), (r1 - r0) * rowBytes);
            for (var r = r0; r < r1; r++)
            {
                LegacyMatVec.Row(weightType, weights + (r * rowBytes), blocks, activations, actBytes, n, output + r, rows, scales);
            }
        }
    }

    /// <summary>Prepares one activation row per chunk for the F16 kernels.</summary>
    private readonly struct HalfPrepareJob(float* input, byte* output, int cols, int actBytes) : IComputeJob
    {
        public void Execute(int chunk) =>
            F16MatVec.Prepare(new ReadOnlySpan<float>(input + ((long)chunk * cols), cols), (float*)(output + ((long)chunk * actBytes)), F16MatVec.ActivationScale);
    }

    /// <summary>One chunk = a block of F16 weight rows against every prepared activation row.</summary>
    private readonly struct HalfJob(
        byte* weights, byte* activations, float* output, long rowBytes, int actBytes, int rows, int cols, int n, int rowsPerChunk, bool wide)
        : IComputeJob
    {
        public void Execute(int chunk)
        {
            var r0 = chunk * rowsPerChunk;
            F16MatVec.Rows(weights, rowBytes, r0, Math.Min(rows, r0 + rowsPerChunk), cols, activations, actBytes, n, output, rows, wide);
        }
    }

    /// <summary>One chunk = a block of Q4_K/Q5_K/Q6_K weight rows against every Q8_K activation row.</summary>
    private readonly struct KQuantJob(
        TensorType weightType, byte* weights, byte* activations, float* output, long rowBytes, int actBytes, int rows, int blocks, int n, int rowsPerChunk)
        : IComputeJob
    {
        public void Execute(int chunk)
        {
            var r0 = chunk * rowsPerChunk;
            KQuantMatVec.Rows(weightType, weights, rowBytes, r0, Math.Min(rows, r0 + rowsPerChunk), blocks, activations, actBytes, n, output, rows);
        }
    }

    /// <summary>One chunk = a block of Q4_K/Q5_K/Q6_K weight rows against one Q8_K activation row, 512 bits wide.</summary>
    private readonly struct KQuantDecodeJob(
        TensorType weightType, byte* weights, byte* activation, float* output, long rowBytes, int rows, int blocks, int rowsPerChunk)
        : IComputeJob
    {
        public void Execute(int chunk)
        {
            var r0 = chunk * rowsPerChunk;
            KQuantDecode.Rows(weightType, weights, rowBytes, r0, Math.Min(rows, r0 + rowsPerChunk), blocks, activation, output);
        }
    }

    /// <summary>One chunk = a block of weight rows against every activation row, tile by tile.</summary>
    private readonly struct MatMulJob(
        byte* weights, byte* activations, float* output, long rowBytes, int actBytes, int rows, int cols, int n, int rowsPerChunk, DotKernel kernel)
        : IComputeJob
    {
        public void Execute(int chunk)
        {
            var r0 = chunk * rowsPerChunk;
            var r1 = Math.Min(rows, r0 + rowsPerChunk);
            for (var t0 = 0; t0 < n; t0 += TokenTile)
            {
                var t1 = Math.Min(n, t0 + TokenTile);
                for (var r = r0; r < r1; r++)
                {
                    ref var row = ref Unsafe.AsRef<byte>(weights + r * rowBytes);
                    for (var t = t0; t < t1; t++)
                    {
                        output[(long)t * rows + r] = kernel.Invoke(ref row, ref Unsafe.AsRef<byte>(activations + (long)t * actBytes), cols);
                    }
                }
            }
        }
    }
}
