namespace Edgewise.Inference.Tests.Reference;

/// <summary>Every shipped reference model against its own llama.cpp JSON (tolerances from the reference README).</summary>
public sealed class ReferenceAgreementTests(ITestOutputHelper output)
{
    public static TheoryData<string, string, float, float> Variants => new()
    {
        { "ref-qwen2-F32.gguf", "ref-qwen2-F32.json", 0.001f, 0.003f },
        { "ref-qwen2-Q4_K_M.gguf", "ref-qwen2-Q4_K_M.json", 0.5f, 1.0f },
        { "ref-phi3-F16.gguf", "ref-phi3-F16.json", 0.01f, 0.03f },
        { "ref-phi3-Q4_0.gguf", "ref-phi3-Q4_0.json", 0.5f, 1.0f },
        { "ref-phi3-Q4_K_M.gguf", "ref-phi3-Q4_K_M.json", 0.5f, 1.0f },
        { "ref-qwen3-Q8_0.gguf", "ref-qwen3-Q8_0.json", 0.3f, 0.6f },
        { "ref-llama32-F16.gguf", "ref-llama32-F16.json", 0.01f, 0.03f },
        { "ref-phi4-F16.gguf", "ref-phi4-F16.json", 0.01f, 0.03f },
        { "ref-phi4-F16.gguf", "ref-phi4-F16.longctx.json", 0.01f, 0.03f },
        { "ref-phi4-Q8_0.gguf", "ref-phi4-Q8_0.json", 0.3f, 0.6f },
        { "ref-phi4-Q4_K_M.gguf", "ref-phi4-Q4_K_M.json", 0.5f, 1.0f },
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public void TeacherForced_ShippedVariant_WithinTolerance(string modelFile, string json, float tol, float maxTol)
    {
        var reference = ReferenceLogits.Load(json);
        using var model = ReferenceComparison.LoadModel(modelFile);
        using var context = ReferenceComparison.CreateContext(model, reference);

        var result = ReferenceComparison.TeacherForced(context, reference, tol);

        var message = result.Describe(json);
        output.WriteLine(message);
        Assert.True(result.P99 <= tol && result.Max <= maxTol && result.TopOneFailures.Length == 0, message);
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Greedy_ShippedVariant_MatchesUpToFirstNearTie(string modelFile, string json, float tol, float maxTol)
    {
        _ = maxTol;
        var reference = ReferenceLogits.Load(json);
        using var model = ReferenceComparison.LoadModel(modelFile);
        using var context = ReferenceComparison.CreateContext(model, reference);

        var failures = ReferenceComparison.Greedy(context, reference, tol);

        Assert.True(failures.Length == 0, $"{json}: {failures}");
    }
}
