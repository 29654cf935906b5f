using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using Edgewise.Numerics;
using Edgewise.Numerics.Kernels;

namespace Edgewise.Benchmarks;

/// <summary>
/// Matrix-vector (decode) and matrix-matrix (prompt) kernels on Qwen2.5-0.5B's ffn_down shape (896 × 4864) and an odd
/// shape, scalar reference versus the best vector path. Weights read per call = Rows × row bytes (see
/// <see cref="WeightBytes"/>); GB/s = WeightBytes / mean time.
/// Run: <c>dotnet run -c Release --project bench/Edgewise.Benchmarks -- --filter '*KernelBenchmarks*' --job short</c>.
/// </summary>
[MemoryDiagnoser]
public class KernelBenchmarks : IDisposable
{
    private nint _weights;
    private float[] _input = [];
    private float[] _output = [];
    private byte[] _scratch = [];
    private ComputePool? _pool;

    /// <summary>Weight storage type.</summary>
    [Params(TensorType.Q4_0, TensorType.Q8_0, TensorType.Q4_K, TensorType.F16)]
    public TensorType Type { get; set; }

    /// <summary>"rows×cols": 896×4864 is ffn_down of Qwen2.5-0.5B; 1003×2816 is an odd size.</summary>
    [Params("896x4864", "1003x2816")]
    public string Shape { get; set; } = "896x4864";

    private int Rows => int.Parse(Shape.AsSpan(0, Shape.IndexOf('x', StringComparison.Ordinal)), provider: null);

    private int Cols => int.Parse(Shape.AsSpan(Shape.IndexOf('x', StringComparison.Ordinal) + 1), provider: null);

    /// <summary>Bytes of weights one product reads.</summary>
    public long WeightBytes => Rows * TensorTypeInfo.Get(Type).RowBytes(Cols);

    [GlobalSetup]
    public void Setup()
    {
        var rowBytes = (int)TensorTypeInfo.Get(Type).RowBytes(Cols);
        unsafe
        {
            _weights = (nint)NativeMemory.AlignedAlloc((nuint)WeightBytes, 64);
        }

        var rng = new Random(1);
        var row = new float[Cols];
        unsafe
        {
            for (var r = 0; r < Rows; r++)
            {
                for (var c = 0; c < Cols; c++)
                {
                    row[c] = (float)(rng.NextDouble() - 0.5) * 0.05f;
                }

                Quantize.Row(Type, row, new Span<byte>((byte*)_weights + (long)r * rowBytes, rowBytes));
            }
        }

        _input = new float[32 * Cols];
        for (var i = 0; i < _input.Length; i++)
        {
            _input[i] = (float)(rng.NextDouble() - 0.5) * 2;
        }

        _output = new float[32 * Rows];
        _scratch = new byte[MatMul.ScratchBytes(Type, Cols, 32)];
        _pool = new ComputePool(2);
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _pool?.Dispose();
        _pool = null;
        unsafe
        {
            NativeMemory.AlignedFree((void*)_weights);
        }

        _weights = 0;
        GC.SuppressFinalize(this);
    }

    /// <summary>Decode, scalar reference kernels, one thread.</summary>
    [Benchmark(Baseline = true)]
    public void MatVecScalar() =>
        MatMul.Compute(Type, _weights, Rows, Cols, _input.AsSpan(0, Cols), _output.AsSpan(0, Rows), 1, null, _scratch, SimdPath.Scalar);

    /// <summary>Decode, best vector path, one thread.</summary>
    [Benchmark]
    public void MatVecSimd() =>
        MatMul.Compute(Type, _weights, Rows, Cols, _input.AsSpan(0, Cols), _output.AsSpan(0, Rows), 1, null, _scratch, SimdSupport.Best);

    /// <summary>Decode, best vector path, two threads.</summary>
    [Benchmark]
    public void MatVecSimd2Threads() =>
        MatMul.Compute(Type, _weights, Rows, Cols, _input.AsSpan(0, Cols), _output.AsSpan(0, Rows), 1, _pool, _scratch, SimdSupport.Best);

    /// <summary>Prompt batch of 32 tokens, best vector path, one thread (reported per call: divide by 32 per token).</summary>
    [Benchmark]
    public void MatMul32Simd() =>
        MatMul.Compute(Type, _weights, Rows, Cols, _input, _output, 32, null, _scratch, SimdSupport.Best);
}
