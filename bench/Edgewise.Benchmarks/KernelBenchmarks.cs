using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using Edgewise.Numerics;
using Edgewise.Numerics.Kernels;

namespace Edgewise.Benchmarks;

/// <summary>
/// Matrix-vector (decode) and matrix-matrix (prompt) kernels, scalar reference versus the dispatched path, on the
/// real shapes of Qwen2.5-0.5B (896 columns: attn_q/attn_output 896×896, ffn_gate/up 4864×896, output 151936×896) and
/// Llama-3.2-1B (2048×2048, 8192×2048, ffn_down 2048×8192, output 128256×2048 for the K-quants, whose blocks of 256
/// do not divide 896), plus an odd shape (1003×2816). <see cref="Case"/> is "TYPE ROWSxCOLS". Weights read per call =
/// rows × row bytes; GB/s = that / mean time.
/// Run: <c>dotnet run -c Release --project bench/Edgewise.Benchmarks -- --filter '*KernelBenchmarks*' --job short</c>;
/// to run a few cases only, e.g. <c>EDGEWISE_KERNEL_CASES='Q4_K 2048x8192;Q8_0 896x896'</c>.
/// </summary>
[MemoryDiagnoser]
public class KernelBenchmarks : IDisposable
{
    private nint _weights;
    private float[] _input = [];
    private float[] _output = [];
    private byte[] _scratch = [];
    private ComputePool? _pool;

    /// <summary>"TYPE ROWSxCOLS".</summary>
    [ParamsSource(nameof(Cases))]
    public string Case { get; set; } = "Q8_0 896x896";

    private TensorType Type => Enum.Parse<TensorType>(Case.AsSpan(0, Case.IndexOf(' ', StringComparison.Ordinal)));

    private int Rows => int.Parse(Case.AsSpan(Case.IndexOf(' ', StringComparison.Ordinal) + 1, Case.IndexOf('x', StringComparison.Ordinal) - Case.IndexOf(' ', StringComparison.Ordinal) - 1), provider: null);

    private int Cols => int.Parse(Case.AsSpan(Case.IndexOf('x', StringComparison.Ordinal) + 1), provider: null);

    /// <summary>Every type with the shapes its block size allows, or the ';'-separated cases in EDGEWISE_KERNEL_CASES.</summary>
    public static IEnumerable<string> Cases()
    {
        var chosen = Environment.GetEnvironmentVariable("EDGEWISE_KERNEL_CASES");
        if (!string.IsNullOrWhiteSpace(chosen))
        {
            foreach (var item in chosen.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                yield return item;
            }

            yield break;
        }

        foreach (var type in new[] { "Q8_0", "Q4_0", "Q5_0", "F16" })
        {
            foreach (var shape in new[] { "896x896", "4864x896", "151936x896", "2048x8192", "1003x2816" })
            {
                yield return $"{type} {shape}";
            }
        }

        foreach (var type in new[] { "Q4_K", "Q5_K", "Q6_K" })
        {
            foreach (var shape in new[] { "2048x2048", "8192x2048", "2048x8192", "128256x2048", "1003x2816" })
            {
                yield return $"{type} {shape}";
            }
        }
    }

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
        for (var c = 0; c < Cols; c++)
        {
            row[c] = (float)(rng.NextDouble() - 0.5) * 0.05f;
        }

        unsafe
        {
            // Speed does not depend on the values: a few distinct rows, repeated.
            var distinct = new byte[8][];
            for (var k = 0; k < distinct.Length; k++)
            {
                for (var c = 0; c < Cols; c++)
                {
                    row[c] = (float)(rng.NextDouble() - 0.5) * 0.05f;
                }

                distinct[k] = new byte[rowBytes];
                Quantize.Row(Type, row, distinct[k]);
            }

            for (var r = 0; r < Rows; r++)
            {
                distinct[r % distinct.Length].CopyTo(new Span<byte>((byte*)_weights + (long)r * rowBytes, rowBytes));
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

    /// <summary>Decode, dispatched (best) path, one thread.</summary>
    [Benchmark]
    public void MatVecSimd() =>
        MatMul.Compute(Type, _weights, Rows, Cols, _input.AsSpan(0, Cols), _output.AsSpan(0, Rows), 1, null, _scratch, SimdSupport.Best);

    /// <summary>Decode, dispatched path, two pool threads.</summary>
    [Benchmark]
    public void MatVecSimd2Threads() =>
        MatMul.Compute(Type, _weights, Rows, Cols, _input.AsSpan(0, Cols), _output.AsSpan(0, Rows), 1, _pool, _scratch, SimdSupport.Best);

    /// <summary>Prompt batch of 32 tokens, dispatched path, one thread (per call: divide by 32 per token).</summary>
    [Benchmark]
    public void MatMul32Simd() =>
        MatMul.Compute(Type, _weights, Rows, Cols, _input, _output, 32, null, _scratch, SimdSupport.Best);
}
