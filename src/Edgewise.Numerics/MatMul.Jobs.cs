using System.Runtime.CompilerServices;
using Edgewise.Numerics.Kernels;

namespace Edgewise.Numerics;

/// <summary>The chunked jobs <see cref="MatMul"/> hands to a <see cref="ComputePool"/>: each maps a chunk index to a run of weight rows.</summary>
public static unsafe partial class MatMul
{
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
            var r1 = Math.Min(rows, r0 + rowsPerChunk);
            if (layout == WeightLayout.RowGroups)
            {
                // The chunk's rows are restored to their stored bytes first (a copy as long as the transposition that
                // follows), then multiplied as stored rows, so a batch gets the stored layout's bits.
                var gemmBytes = LegacyGemm.ScratchBytes(blocks, rowsPerChunk);
                fixed (byte* scratch = GemmScratch(gemmBytes + checked((int)(rowsPerChunk * rowBytes))))
                {
                    var stored = scratch + gemmBytes;
                    RowGroups.UnpackRows(weightType, weights, rows, blocks, r0, r1, stored);

                    LegacyGemm.Rows(weightType, stored - (r0 * rowBytes), rowBytes, r0, r1, blocks, activations, actBytes, n, output, rows, scratch);
                }

                return;
            }

            fixed (byte* scratch = GemmScratch(LegacyGemm.ScratchBytes(blocks, rowsPerChunk)))
            {
                LegacyGemm.Rows(weightType, weights, rowBytes, r0, r1, blocks, activations, actBytes, n, output, rows, scratch, layout);
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

    /// <summary>One chunk = whole groups of Q4_0 rows in the <see cref="WeightLayout.RowGroups"/> layout against a few tokens prepared for <see cref="LegacyGemm"/>.</summary>
    private readonly struct RowDecodeJob(byte* weights, byte* activations, float* output, int rows, int blocks, int actBytes, int n, int rowsPerChunk) : IComputeJob
    {
        public void Execute(int chunk)
        {
            var r0 = chunk * rowsPerChunk;
            fixed (byte* scratch = GemmScratch(RowGroups.ScratchBytes(blocks, n)))
            {
                RowGroups.Rows(weights, rows, r0, Math.Min(rows, r0 + rowsPerChunk), blocks, activations, actBytes, n, output, rows, scratch);
            }
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

    /// <summary>
    /// One chunk = a block of Q4_K or Q6_K weight rows against every activation row prepared for <see cref="KQuantGemm"/>;
    /// Q4_K rows in the <see cref="WeightLayout.RowGroups"/> layout are restored to their stored bytes first.
    /// </summary>
    private readonly struct KQuantGemmJob(
        TensorType weightType, WeightLayout layout, byte* weights, byte* activations, float* output, long rowBytes, int actBytes, int rows, int blocks, int n,
        int rowsPerChunk)
        : IComputeJob
    {
        public void Execute(int chunk)
        {
            var r0 = chunk * rowsPerChunk;
            var r1 = Math.Min(rows, r0 + rowsPerChunk);
            var gemmBytes = KQuantGemm.ScratchBytes(blocks, rowsPerChunk);
            var relaid = layout == WeightLayout.RowGroups;
            fixed (byte* scratch = GemmScratch(gemmBytes + (relaid ? checked((int)(rowsPerChunk * rowBytes)) : 0)))
            {
                var source = weights;
                if (relaid)
                {
                    var stored = scratch + gemmBytes;
                    RowGroups.UnpackRows(weightType, weights, rows, blocks, r0, r1, stored);

                    source = stored - (r0 * rowBytes);
                }

                KQuantGemm.Rows(weightType, source, rowBytes, r0, r1, blocks, activations, actBytes, n, output, rows, scratch);
            }
        }
    }

    /// <summary>One chunk = whole groups of Q4_K rows in the <see cref="WeightLayout.RowGroups"/> layout against a few Q8_K rows.</summary>
    private readonly struct KRowDecodeJob(byte* weights, byte* activations, float* output, int rows, int blocks, int actBytes, int n, int rowsPerChunk) : IComputeJob
    {
        public void Execute(int chunk)
        {
            var r0 = chunk * rowsPerChunk;
            fixed (byte* scratch = GemmScratch(RowGroups.ScratchBytesQ4K(blocks, n)))
            {
                RowGroups.RowsQ4K(weights, rows, r0, Math.Min(rows, r0 + rowsPerChunk), blocks, activations, actBytes, n, output, rows, scratch);
            }
        }
    }

    /// <summary>
    /// One chunk = a block of weight rows against one prepared activation row (Q8_0, Q4_0, Q5_0). Batches never come
    /// here: <see cref="LegacyGemm"/> needs what <see cref="LegacyMatVec"/> needs, so <see cref="Choose"/> sends them there.
    /// </summary>
    private readonly struct LegacyJob(
        TensorType weightType, byte* weights, byte* activations, float* output, long rowBytes, int actBytes, int rows, int blocks, int n, int rowsPerChunk,
        bool wide)
        : IComputeJob
    {
        public void Execute(int chunk)
        {
            var r0 = chunk * rowsPerChunk;
            var r1 = Math.Min(rows, r0 + rowsPerChunk);
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

    /// <summary>Transposes one block of 32 prepared F16 activation rows per chunk for <see cref="F16Broadcast"/>.</summary>
    private readonly struct TransposeJob(byte* activations, int actStride, int tokens, int cols, float* transposed) : IComputeJob
    {
        public void Execute(int chunk) => F16Broadcast.Transpose(activations, actStride, tokens, cols, chunk, transposed);
    }

    /// <summary>
    /// One chunk = a block of F16 weight rows against every prepared activation row; with <paramref name="transposed"/>
    /// activations (a 512-bit prompt batch) through <see cref="F16Broadcast"/>.
    /// </summary>
    private readonly struct HalfJob(
        byte* weights, byte* activations, float* transposed, float* output, long rowBytes, int actBytes, int rows, int cols, int n, int rowsPerChunk, bool wide)
        : IComputeJob
    {
        public void Execute(int chunk)
        {
            var r0 = chunk * rowsPerChunk;
            var r1 = Math.Min(rows, r0 + rowsPerChunk);
            if (transposed != null)
            {
                F16Broadcast.Rows(weights, rowBytes, r0, r1, cols, activations, actBytes, transposed, n, output, rows);
                return;
            }

            F16MatVec.Rows(weights, rowBytes, r0, r1, cols, activations, actBytes, n, output, rows, wide);
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
