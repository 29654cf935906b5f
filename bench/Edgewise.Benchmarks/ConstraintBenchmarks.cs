using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Edgewise.Gguf;
using Edgewise.Inference.Constraints;
using Edgewise.Inference.Sampling;
using Edgewise.Tokenization;
using Microsoft.Extensions.AI;

namespace Edgewise.Benchmarks;

/// <summary>
/// Per-token cost of constrained decoding on the Qwen2 vocabulary (151,936 ids): one
/// <see cref="ConstraintSampler.Apply"/> (token mask from the trie walk or string tables, then filtering the full
/// candidate list) at typical parser states, after <see cref="TokenCandidates.Load"/> of the step's logits, which
/// every sampled step pays anyway and is measured alone as the baseline. The vocabulary is
/// <c>ggml-vocab-qwen2-rebuilt.gguf</c> from <c>EDGEWISE_SHARED</c>/reference/tokenizer or a <c>shared</c> folder above
/// the working directory.
/// </summary>
[MemoryDiagnoser]
public class ConstraintBenchmarks
{
    private const string Schema = """
        {"type":"object","properties":{"name":{"type":"string"},"city":{"type":"string","maxLength":40},"age":{"type":"integer","minimum":0,"maximum":150},"tags":{"type":"array","items":{"type":"string"}}},"required":["name","age"]}
        """;

    private Tokenizer _tokenizer = null!;
    private TokenCandidates _candidates = null!;
    private float[] _logits = [];
    private ConstraintSampler _sampler = null!;

    /// <summary>The parser state the step starts from.</summary>
    [Params("start", "string", "bounded-string", "number", "after-value", "any-json", "tool-args")]
    public string State { get; set; } = "string";

    /// <summary>Loads the vocabulary, builds the token index and moves the constraint to <see cref="State"/>.</summary>
    [GlobalSetup]
    public void Setup()
    {
        using (var file = GgufFile.Open(FindVocabulary()))
        {
            _tokenizer = Tokenizer.FromGguf(file.Metadata);
        }

        var random = new Random(7);
        _logits = new float[_tokenizer.Vocabulary.Count];
        for (var i = 0; i < _logits.Length; i++)
        {
            _logits[i] = (float)(random.NextDouble() * 10);
        }

        _candidates = new TokenCandidates(_logits.Length);
        using var schema = JsonDocument.Parse(Schema);
        var json = Constraint.ForJsonSchema(schema.RootElement.Clone());
        (var constraint, var prefix) = State switch
        {
            "start" => (json, string.Empty),
            "string" => (json, "{\"name\": \"Ada Love"),
            "bounded-string" => (json, "{\"name\": \"Ada\", \"city\": \"Lon"),
            "number" => (json, "{\"name\": \"Ada\", \"age\": 3"),
            "after-value" => (json, "{\"name\": \"Ada\", \"age\": 36"),
            "any-json" => (Constraint.ForJsonObject(), "{\"items\": [{\"id\": 1, \"label\": \"x\"}, {\"id\":"),
            _ => (Tools(schema.RootElement.Clone()), "<tool_call>\n{\"name\": \"lookup\", \"arguments\": {\"name\": \"Ad"),
        };

        _sampler = constraint.CreateSampler(_tokenizer);
        foreach (var id in _tokenizer.Encode(prefix, addSpecial: false, parseSpecial: true))
        {
            _sampler.Accept(id);
        }

        if (!_sampler.IsActive || _sampler.IsFailed)
        {
            throw new InvalidOperationException("The prefix did not reach the benchmark state.");
        }
    }

    /// <summary>Baseline: loading the logits into the candidate list (paid by every sampled step).</summary>
    [Benchmark(Baseline = true)]
    public int LoadOnly()
    {
        _candidates.Load(_logits);
        return _candidates.Count;
    }

    /// <summary>Load plus the constraint's mask and filter.</summary>
    [Benchmark]
    public int LoadAndConstrain()
    {
        _candidates.Load(_logits);
        _sampler.Apply(_candidates);
        return _candidates.Count;
    }

    private static ToolCallConstraint Tools(JsonElement schema) =>
        new([AIFunctionFactory.CreateDeclaration("lookup", "Looks a person up.", schema), AIFunctionFactory.CreateDeclaration("weather", "Weather.", schema)], ToolCallFormat.Hermes);

    private static string FindVocabulary()
    {
        const string name = "ggml-vocab-qwen2-rebuilt.gguf";
        var shared = Environment.GetEnvironmentVariable("EDGEWISE_SHARED");
        if (!string.IsNullOrEmpty(shared))
        {
            return Path.Combine(shared, "reference", "tokenizer", name);
        }

        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "reference", "tokenizer", name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("Qwen2 vocabulary not found; set EDGEWISE_SHARED.", name);
    }
}
