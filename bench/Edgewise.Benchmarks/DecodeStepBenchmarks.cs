using BenchmarkDotNet.Attributes;
using Edgewise.Inference.Model;
using Edgewise.Inference.Runtime;
using Edgewise.Inference.Synthesis;

namespace Edgewise.Benchmarks;

/// <summary>
/// One decode step (one token through the whole model, logits out) of a synthetic model, with the memory diagnoser:
/// steady-state generation must allocate nothing, so Allocated should read 0 B (a step that allocates shows its bytes
/// here). The model is written to a temporary file in setup with the real shape and llama-quantize's type mix, or
/// EDGEWISE_BENCH_MODEL names an existing GGUF file to use instead (Shape and Quant are then only labels).
/// Run: <c>dotnet run -c Release --project bench/Edgewise.Benchmarks -- --filter '*DecodeStepBenchmarks*' --job short</c>.
/// </summary>
[MemoryDiagnoser]
public class DecodeStepBenchmarks : IDisposable
{
    private const int PromptLength = 16;

    private readonly int[] _token = [1000];
    private string _path = "";
    private LocalModel? _model;
    private Context? _context;

    /// <summary>Synthetic shape (see <see cref="ModelShapes"/>).</summary>
    [Params("smollm2-135m")]
    public string Shape { get; set; } = "smollm2-135m";

    /// <summary>Quantization scheme (see <see cref="QuantizationScheme.Names"/>).</summary>
    [Params("q8_0", "q4_k_m")]
    public string Quant { get; set; } = "q8_0";

    [GlobalSetup]
    public void Setup()
    {
        var existing = Environment.GetEnvironmentVariable("EDGEWISE_BENCH_MODEL");
        if (string.IsNullOrEmpty(existing))
        {
            var shape = ModelShapes.Find(Shape) ?? throw new InvalidOperationException($"Unknown shape {Shape}.");
            var scheme = QuantizationScheme.Parse(Quant) ?? throw new InvalidOperationException($"Unknown quantization {Quant}.");
            _path = Path.Combine(Path.GetTempPath(), $"edgewise-bench-{Shape}-{Quant}-{Environment.ProcessId}.gguf");
            SyntheticModel.Write(_path, shape, scheme, null, 1);
        }

        _model = LocalModel.Load(string.IsNullOrEmpty(existing) ? _path : existing);
        _context = _model.CreateContext(new ContextOptions { ContextLength = 512, BatchSize = 32, SequenceCount = 1 });
        var prompt = new int[PromptLength];
        for (var i = 0; i < prompt.Length; i++)
        {
            prompt[i] = 100 + i;
        }

        _context.Evaluate(prompt);
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _context?.Dispose();
        _model?.Dispose();
        _context = null;
        _model = null;
        if (_path.Length > 0)
        {
            File.Delete(_path);
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>One generated token: the forward pass over the model and the logits (the sequence is cut back to the prompt when full).</summary>
    [Benchmark]
    public float DecodeStep()
    {
        var context = _context!;
        if (context.GetRemainingCapacity(0) < 1)
        {
            context.TruncateSequence(0, PromptLength);
        }

        return context.Evaluate(_token)[0];
    }
}
