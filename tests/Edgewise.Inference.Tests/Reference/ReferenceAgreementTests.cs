using Edgewise.Inference.Model;
using Edgewise.Testing;

namespace Edgewise.Inference.Tests.Reference;

/// <summary>Every shipped reference model against its own llama.cpp JSON (tolerances from the reference README).</summary>
public sealed class ReferenceAgreementTests(ITestOutputHelper output)
{
    // README bounds (p99 tol, max) per variant type, plus this engine's own tighter regression bounds: it rounds
    // activations as ggml does (F16, Q8_0, Q8_K), so it lands far inside the README's (figures in the report).
    private const float F32Tol = 0.001f, F32Max = 0.003f, F16Tol = 0.01f, F16Max = 0.03f;
    private const float Q8Tol = 0.3f, Q8Max = 0.6f, Q4Tol = 0.5f, Q4Max = 1.0f;

    public static TheoryData<string, string, float, float, float, float> Variants => new()
    {
        { "ref-qwen2-F32.gguf", "ref-qwen2-F32.json", F32Tol, F32Max, 2e-5f, 5e-5f },
        { "ref-qwen2-Q4_K_M.gguf", "ref-qwen2-Q4_K_M.json", Q4Tol, Q4Max, 0.1f, 0.25f },
        { "ref-phi3-F16.gguf", "ref-phi3-F16.json", F16Tol, F16Max, 0.008f, 0.015f },
        { "ref-phi3-Q4_0.gguf", "ref-phi3-Q4_0.json", Q4Tol, Q4Max, 0.25f, 0.5f },
        { "ref-phi3-Q4_K_M.gguf", "ref-phi3-Q4_K_M.json", Q4Tol, Q4Max, 0.25f, 0.5f },
        { "ref-qwen3-Q8_0.gguf", "ref-qwen3-Q8_0.json", Q8Tol, Q8Max, 0.1f, 0.2f },
        { "ref-llama32-F16.gguf", "ref-llama32-F16.json", F16Tol, F16Max, 0.006f, 0.012f },
        { "ref-phi4-F16.gguf", "ref-phi4-F16.json", F16Tol, F16Max, 0.006f, 0.012f },
        { "ref-phi4-F16.gguf", "ref-phi4-F16.longctx.json", F16Tol, F16Max, 0.006f, 0.012f },
        { "ref-phi4-Q8_0.gguf", "ref-phi4-Q8_0.json", Q8Tol, Q8Max, 0.1f, 0.2f },
        { "ref-phi4-Q4_K_M.gguf", "ref-phi4-Q4_K_M.json", Q4Tol, Q4Max, 0.1f, 0.25f },
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public void TeacherForced_ShippedVariant_WithinTolerance(string modelFile, string json, float tol, float maxTol, float engineP99, float engineMax)
    {
        var reference = ReferenceLogits.Load(json);
        using var model = ReferenceComparison.LoadModel(modelFile);
        using var context = ReferenceComparison.CreateContext(model, reference);

        var result = ReferenceComparison.TeacherForced(context, reference, tol);

        var message = result.Describe(json);
        output.WriteLine(message);
        Assert.True(result.P99 <= tol && result.Max <= maxTol && result.TopOneFailures.Length == 0, message);
        Assert.True(result.P99 <= engineP99 && result.Max <= engineMax, "regression bound: " + message);
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Greedy_ShippedVariant_MatchesUpToFirstNearTie(string modelFile, string json, float tol, float maxTol, float engineP99, float engineMax)
    {
        _ = (maxTol, engineP99, engineMax);
        var reference = ReferenceLogits.Load(json);
        using var model = ReferenceComparison.LoadModel(modelFile);
        using var context = ReferenceComparison.CreateContext(model, reference);

        var failures = ReferenceComparison.Greedy(context, reference, tol);

        Assert.True(failures.Length == 0, $"{json}: {failures}");
    }

    /// <summary>
    /// Reference models with their Q4_0/Q5_0/Q8_0 matrices re-laid at load (the default: all three where the CPU has
    /// AVX-VNNI, Q4_0 and Q4_K into row groups where it has AVX2 without it) and read in place: a prompt batch gives the same bits either way (the re-laid kernels keep the batch kernels'
    /// float chains), and token-by-token decoding with the re-laid single-token kernels stays within the reference
    /// tolerance. Qwen3's Q8_0 embedding is tied to the output, so its looked-up rows come back from the re-laid copy.
    /// </summary>
    [Theory]
    [InlineData("ref-phi3-Q4_0.gguf", "ref-phi3-Q4_0.json", Q4Tol)]
    [InlineData("ref-qwen3-Q8_0.gguf", "ref-qwen3-Q8_0.json", Q8Tol)]
    [InlineData("ref-qwen2-Q4_K_M.gguf", "ref-qwen2-Q4_K_M.json", Q4Tol)]
    public void RepackedModel_SameBatchBitsAsInPlace_AndWithinTolerance(string file, string json, float tol)
    {
        var reference = ReferenceLogits.Load(json);
        using var packed = LocalModel.Load(SharedPaths.ReferenceFile("models", file));
        using var inPlace = LocalModel.Load(SharedPaths.ReferenceFile("models", file), repack: false);
        Assert.Equal(0, inPlace.RepackedBytes);
        if (!inPlace.WeightKinds.Any(k => Numerics.WeightPacking.Preferred(k.Type) != Numerics.WeightLayout.Stored))
        {
            Assert.Equal(0, packed.RepackedBytes);
            Assert.Skip("This CPU re-lays none of this file's matrix types (Q4_0/Q5_0/Q8_0 with AVX-VNNI, Q4_0/Q4_K with AVX2 and FMA but no AVX-VNNI).");
        }

        Assert.True(packed.RepackedBytes > 0);
        using var a = ReferenceComparison.CreateContext(packed, reference);
        using var b = ReferenceComparison.CreateContext(inPlace, reference);
        var prompt = reference.Prompts[0].EvalTokens;
        var expected = b.Evaluate(prompt, 0, allLogits: true).ToArray();
        var actual = a.Evaluate(prompt, 0, allLogits: true).ToArray();
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));

        var failures = ReferenceComparison.Greedy(a, reference, tol);
        Assert.True(failures.Length == 0, $"{json} re-laid: {failures}");
    }
}
