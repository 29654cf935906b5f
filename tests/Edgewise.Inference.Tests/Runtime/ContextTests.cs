using Edgewise.Gguf;
using Edgewise.Inference.Model;
using Edgewise.Inference.Runtime;
using Edgewise.Inference.Tests.Support;
using Edgewise.Testing;

namespace Edgewise.Inference.Tests.Runtime;

public sealed class ContextTests
{
    private static readonly int[] s_prompt = [3, 17, 5, 42, 8, 1, 29, 33, 11, 2, 40, 7];

    public static TheoryData<string> TinyArchitectures => new() { "llama", "qwen2", "qwen3", "phi3" };

    [Theory]
    [MemberData(nameof(TinyArchitectures))]
    public void Evaluate_TokenByToken_MatchesBatch(string arch)
    {
        using var model = Tiny(arch).Load();
        AssertTokenByTokenMatchesBatch(model, s_prompt, 1e-4f);
    }

    [Fact]
    public void Evaluate_RefQwen2TokenByToken_MatchesBatch()
    {
        using var model = LocalModel.Load(SharedPaths.ReferenceFile("models", "ref-qwen2-F32.gguf"));
        AssertTokenByTokenMatchesBatch(model, [9707, 11, 1879, 0, 358, 1079, 264, 1273, 315, 279, 1849, 13], 1e-4f);
    }

    [Fact]
    public void Evaluate_SmallBatchSize_MatchesOneBatch()
    {
        using var model = Tiny("qwen2").Load();
        using var one = model.CreateContext(new ContextOptions { KvCacheType = KvCacheType.F32, MaxLogitRows = s_prompt.Length });
        using var split = model.CreateContext(new ContextOptions { KvCacheType = KvCacheType.F32, MaxLogitRows = s_prompt.Length, BatchSize = 5 });

        var expected = one.Evaluate(s_prompt, allLogits: true).ToArray();
        var actual = split.Evaluate(s_prompt, allLogits: true).ToArray();

        AssertClose(expected, actual, 1e-5f);
    }

    [Fact]
    public void Evaluate_F16Cache_CloseToF32Cache()
    {
        using var model = Tiny("llama").Load();
        using var f32 = model.CreateContext(new ContextOptions { KvCacheType = KvCacheType.F32 });
        using var f16 = model.CreateContext();

        var expected = f32.Evaluate(s_prompt).ToArray();
        var actual = f16.Evaluate(s_prompt).ToArray();

        Assert.Equal(KvCacheType.F16, f16.KvCacheType);
        AssertClose(expected, actual, 0.02f);
    }

    [Fact]
    public void Evaluate_BeyondContext_ThrowsBeforeAnyWork()
    {
        using var model = Tiny("llama").Load();
        using var context = model.CreateContext(new ContextOptions { ContextLength = 16 });
        context.Evaluate(s_prompt);

        var ex = Assert.Throws<ContextLimitExceededException>(() => context.Evaluate([1, 2, 3, 4, 5]));

        Assert.Equal(17, ex.Required);
        Assert.Equal(16, ex.ContextLength);
        Assert.Equal(s_prompt.Length, context.GetSequenceLength(0));
        Assert.Equal(4, context.GetRemainingCapacity(0));
    }

    [Fact]
    public void Evaluate_TokenOutsideVocabulary_Throws()
    {
        using var model = Tiny("llama").Load();
        using var context = model.CreateContext();

        Assert.Throws<ArgumentOutOfRangeException>(() => context.Evaluate([1, 48]));
        Assert.Throws<ArgumentOutOfRangeException>(() => context.Evaluate([-1]));
        Assert.Equal(0, context.GetSequenceLength(0));
    }

    [Fact]
    public void Evaluate_TooManyLogitRows_Throws()
    {
        using var model = Tiny("llama").Load();
        using var context = model.CreateContext(new ContextOptions { MaxLogitRows = 2 });

        Assert.Throws<ArgumentException>(() => context.Evaluate([1, 2, 3], allLogits: true));
    }

    [Fact]
    public void Evaluate_TwoSequences_Independent()
    {
        using var model = Tiny("phi3").Load();
        using var context = model.CreateContext(new ContextOptions { SequenceCount = 2, KvCacheType = KvCacheType.F32 });

        var first = context.Evaluate(s_prompt, sequence: 0).ToArray();
        context.Evaluate([5, 6, 7], sequence: 1);
        context.ClearSequence(1);
        var second = context.Evaluate(s_prompt, sequence: 1).ToArray();

        AssertClose(first, second, 0f);
        Assert.Equal(s_prompt.Length, context.GetSequenceLength(0));
    }

    [Fact]
    public void TruncateSequence_ThenReevaluate_SameLogits()
    {
        using var model = Tiny("qwen3").Load();
        using var context = model.CreateContext(new ContextOptions { KvCacheType = KvCacheType.F32 });
        var expected = context.Evaluate(s_prompt).ToArray();

        context.TruncateSequence(0, 6);
        var actual = context.Evaluate(s_prompt.AsSpan(6)).ToArray();

        AssertClose(expected, actual, 1e-5f);
    }

    [Fact]
    public void Phi3LongRope_ContextAboveOriginal_UsesOtherFactors()
    {
        using var model = Tiny("phi3")
            .Set(GgufKeys.Llm.RopeScalingOriginalContext("phi3"), GgufValue.UInt32(256))
            .With(TensorNames.RopeFactorsLong).With(TensorNames.RopeFactorsShort).Load();
        using var shortContext = model.CreateContext(new ContextOptions { ContextLength = 256, KvCacheType = KvCacheType.F32 });
        using var longContext = model.CreateContext(new ContextOptions { ContextLength = 257, KvCacheType = KvCacheType.F32 });
        using var sameAsShort = model.CreateContext(new ContextOptions { ContextLength = 100, KvCacheType = KvCacheType.F32 });

        var a = shortContext.Evaluate(s_prompt).ToArray();
        var b = longContext.Evaluate(s_prompt).ToArray();
        var c = sameAsShort.Evaluate(s_prompt).ToArray();

        AssertClose(a, c, 0f);
        Assert.True(MaxDifference(a, b) > 1e-3f);
    }

    private static TinyModel Tiny(string arch)
    {
        var tiny = new TinyModel(arch);
        return arch switch
        {
            "llama" => tiny.With(TensorNames.RopeFreqs).With(TensorNames.Output),
            "phi3" => tiny.Set(GgufKeys.Llm.RopeDimensionCount("phi3"), GgufValue.UInt32(6))
                .Set(GgufKeys.Llm.RopeScalingAttnFactor("phi3"), GgufValue.Float32(1.19f))
                .With(TensorNames.RopeFactorsLong).With(TensorNames.RopeFactorsShort),
            _ => tiny,
        };
    }

    private static void AssertTokenByTokenMatchesBatch(LocalModel model, int[] tokens, float tolerance)
    {
        using var batch = model.CreateContext(new ContextOptions { KvCacheType = KvCacheType.F32, MaxLogitRows = tokens.Length, ContextLength = 64 });
        using var single = model.CreateContext(new ContextOptions { KvCacheType = KvCacheType.F32, ContextLength = 64 });
        var all = batch.Evaluate(tokens, allLogits: true).ToArray();
        var vocab = batch.VocabSize;
        for (var i = 0; i < tokens.Length; i++)
        {
            var step = single.Evaluate(tokens.AsSpan(i, 1)).ToArray();
            AssertClose(all.AsSpan(i * vocab, vocab).ToArray(), step, tolerance);
        }
    }

    private static void AssertClose(float[] expected, float[] actual, float tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        var max = MaxDifference(expected, actual);
        Assert.True(max <= tolerance, $"max |Δ| {max} > {tolerance}");
    }

    private static float MaxDifference(float[] a, float[] b)
    {
        var max = 0f;
        for (var i = 0; i < a.Length; i++)
        {
            max = Math.Max(max, Math.Abs(a[i] - b[i]));
        }

        return max;
    }
}
