using System.Text;
using System.Text.Json;
using Edgewise.Gguf;
using Edgewise.Inference.Constraints;
using Edgewise.Testing;
using Edgewise.Tokenization;

namespace Edgewise.Inference.Tests.Constraints;

/// <summary>Shared vocabularies and drivers for the constraint tests.</summary>
internal static class ConstraintTestSupport
{
    private static readonly Lazy<Tokenizer> s_phi = new(() => Load("models", "ref-phi4-Q8_0.gguf"));
    private static readonly Lazy<Tokenizer> s_qwen = new(() => Load("tokenizer", "ggml-vocab-qwen2-rebuilt.gguf"));

    /// <summary>The 32,064-token SentencePiece vocabulary of ref-phi4.</summary>
    public static Tokenizer Phi => s_phi.Value;

    /// <summary>The 151,936-token (151,665 in the vocab file) Qwen2 byte-level BPE vocabulary.</summary>
    public static Tokenizer Qwen => s_qwen.Value;

    public static Constraint Schema(string json)
    {
        using var document = JsonDocument.Parse(json);
        return Constraint.ForJsonSchema(document.RootElement.Clone());
    }

    /// <summary>True when the constraint accepts <paramref name="text"/> as complete output.</summary>
    public static bool Accepts(Constraint constraint, string text) => Run(constraint, text) == Outcome.Complete;

    /// <summary>True when <paramref name="text"/> is a valid (possibly incomplete) prefix.</summary>
    public static bool AcceptsPrefix(Constraint constraint, string text) => Run(constraint, text) != Outcome.Rejected;

    public enum Outcome
    {
        Rejected,
        Prefix,
        Complete,
    }

    public static Outcome Run(Constraint constraint, string text)
    {
        var states = new List<ParseStack> { constraint.Start() };
        var next = new List<ParseStack>();
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            ParseStack.Feed(states, b, next);
            if (next.Count == 0)
            {
                return Outcome.Rejected;
            }

            (states, next) = (next, states);
        }

        return states.Any(s => s.CanFinish) ? Outcome.Complete : Outcome.Prefix;
    }

    /// <summary>
    /// Samples with the constraint from seeded random logits (temperature 1, no top-k/p truncation beyond the
    /// constraint): returns the output text and whether generation ended with end-of-generation.
    /// </summary>
    public static (string Text, bool Ended) SampleRandom(Constraint constraint, Tokenizer tokenizer, int seed, int maxTokens) =>
        SampleRandom(constraint.CreateSampler(tokenizer), tokenizer, seed, maxTokens);

    /// <summary>Samples like <see cref="SampleRandom(Constraint, Tokenizer, int, int)"/> from an already-advanced sampler.</summary>
    public static (string Text, bool Ended) SampleRandom(ConstraintSampler sampler, Tokenizer tokenizer, int seed, int maxTokens)
    {
        var chain = Edgewise.Inference.Sampling.SamplerChain.Create(
            new Edgewise.Inference.Sampling.SamplingOptions { Temperature = 1, TopK = 0, TopP = 1, MinP = 0, Seed = seed },
            tokenizer.Vocabulary.Count,
            sampler);
        var random = new Random(seed);
        var logits = new float[tokenizer.Vocabulary.Count];
        var detokenizer = new StreamingDetokenizer(tokenizer);
        var text = new StringBuilder();
        for (var step = 0; step < maxTokens; step++)
        {
            for (var i = 0; i < logits.Length; i++)
            {
                logits[i] = (float)(random.NextDouble() * 8);
            }

            var token = chain.Sample(logits);
            chain.Accept(token);
            if (tokenizer.IsEndOfGeneration(token))
            {
                return (text.Append(detokenizer.Flush()).ToString(), true);
            }

            text.Append(detokenizer.Append(token));
        }

        return (text.Append(detokenizer.Flush()).ToString(), false);
    }

    private static Tokenizer Load(string folder, string file)
    {
        using var gguf = GgufFile.Open(SharedPaths.ReferenceFile(folder, file));
        return Tokenizer.FromGguf(gguf.Metadata);
    }
}
