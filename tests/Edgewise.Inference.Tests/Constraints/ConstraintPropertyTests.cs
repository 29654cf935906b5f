using System.Text.Json;
using Edgewise.Inference.Constraints;
using Edgewise.Inference.Generation;
using Edgewise.Inference.Model;
using Edgewise.Inference.Runtime;
using Edgewise.Inference.Sampling;
using Edgewise.Testing;
using Edgewise.Tokenization;
using FsCheck;
using FsCheck.Fluent;
using static Edgewise.Inference.Tests.Constraints.ConstraintTestSupport;

namespace Edgewise.Inference.Tests.Constraints;

/// <summary>
/// Random schemas (FsCheck) × sampled output (temperature 1, random seeds) must always validate with the
/// independent <see cref="ReferenceValidator"/>. Case counts: 900 with random logits over the 32,064-token phi4
/// vocabulary, 60 with random logits over the Qwen2 vocabulary, 48 with the random-weight ref-phi4-Q8_0 model and
/// 12 with ref-qwen3-Q8_0 — 1,020 in all.
/// </summary>
public sealed class ConstraintPropertyTests
{
    [Fact]
    public void Sample_RandomSchemaRandomLogitsPhiVocabulary_AlwaysValid() => Check(Phi, 900, depth: 3);

    [Fact]
    public void Sample_RandomSchemaRandomLogitsQwenVocabulary_AlwaysValid() => Check(Qwen, 60, depth: 2);

    [Fact]
    public void Complete_RandomSchemaPhi4ReferenceModel_AlwaysValid() => CheckModel("ref-phi4-Q8_0.gguf", 48);

    [Fact]
    public void Complete_RandomSchemaQwen3ReferenceModel_AlwaysValid() => CheckModel("ref-qwen3-Q8_0.gguf", 12);

    private static void Check(Tokenizer tokenizer, int cases, int depth)
    {
        var generator = from schema in SchemaGenerator.Schemas(depth)
                        from seed in Gen.Choose(0, int.MaxValue)
                        select (schema, seed);
        Prop.ForAll(Arb.From(generator), c =>
        {
            var (text, ended) = SampleRandom(Compile(c.schema), tokenizer, c.seed, c.schema.MaxBytes + 2);
            Assert.True(ended && IsValid(c.schema, text), text);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(cases).WithQuietOnSuccess(true));
    }

    private static void CheckModel(string file, int cases)
    {
        using var model = LocalModel.Load(SharedPaths.ReferenceFile("models", file));
        var tokenizer = Tokenizer.FromGguf(model.Metadata);
        using var context = model.CreateContext(new ContextOptions { ContextLength = 512, KvCacheType = KvCacheType.F16 });
        var prompt = tokenizer.Encode("Answer with JSON only:", addSpecial: true, parseSpecial: false);
        var generator = from schema in SchemaGenerator.Schemas(2).Where(s => s.MaxBytes <= 400)
                        from seed in Gen.Choose(0, int.MaxValue)
                        select (schema, seed);
        Prop.ForAll(Arb.From(generator), c =>
        {
            var result = Completion.Run(context, tokenizer, new CompletionRequest
            {
                Prompt = prompt,
                MaxTokens = c.schema.MaxBytes + 2,
                Sampling = new SamplingOptions { Temperature = 1, Seed = c.seed },
                Constraint = Compile(c.schema),
            });
            Assert.True(result.FinishReason == "stop" && IsValid(c.schema, result.Text), result.Text);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(cases).WithQuietOnSuccess(true));
    }

    private static Constraint Compile(SchemaGenerator.Sample sample)
    {
        using var document = JsonDocument.Parse(sample.Schema.ToJsonString());
        return Constraint.ForJsonSchema(document.RootElement.Clone());
    }

    private static bool IsValid(SchemaGenerator.Sample sample, string text)
    {
        using var schema = JsonDocument.Parse(sample.Schema.ToJsonString());
        try
        {
            using var value = JsonDocument.Parse(text);
            return ReferenceValidator.IsValid(schema.RootElement, value.RootElement);
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
