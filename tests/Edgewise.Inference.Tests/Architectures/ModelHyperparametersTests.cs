using Edgewise.Gguf;
using Edgewise.Inference.Architectures;
using Edgewise.Inference.Architectures.Llama;
using Edgewise.Inference.Architectures.Phi3;
using Edgewise.Inference.Architectures.Qwen2;
using Edgewise.Inference.Architectures.Qwen3;
using Edgewise.Inference.Tests.Support;
using Edgewise.Testing;

namespace Edgewise.Inference.Tests.Architectures;

public sealed class ModelHyperparametersTests
{
    [Fact]
    public void Read_RefQwen3_HeadDimensionFromKeyLength()
    {
        var hp = ReadReference("ref-qwen3-Q8_0.gguf");

        Assert.Same(Qwen3Architecture.Instance, hp.Architecture);
        Assert.Equal(64, hp.EmbeddingLength);
        Assert.Equal(32, hp.HeadDimension);
        Assert.Equal(128, hp.QueryLength);
        Assert.Equal(64, hp.KeyValueLength);
        Assert.Equal(151_936, hp.VocabSize);
        Assert.Equal(40_960, hp.ContextLength);
        Assert.True(hp.TiedOutput);
        Assert.Equal(RopeScalingKind.None, hp.RopeScaling.Kind);
    }

    [Fact]
    public void Read_RefQwen2_VocabularyFromTokenCount()
    {
        var hp = ReadReference("ref-qwen2-F32.gguf");

        Assert.Same(Qwen2Architecture.Instance, hp.Architecture);
        Assert.Equal(151_936, hp.VocabSize);
        Assert.Equal(16, hp.HeadDimension);
        Assert.Equal(1e6f, hp.RopeFreqBase);
        Assert.Equal(1e-6f, hp.RmsEpsilon);
    }

    [Fact]
    public void Read_RefLlama32_FrequencyFactors()
    {
        var hp = ReadReference("ref-llama32-F16.gguf");

        Assert.Same(LlamaArchitecture.Instance, hp.Architecture);
        Assert.Equal(RopeScalingKind.FrequencyFactors, hp.RopeScaling.Kind);
        Assert.Equal(2, hp.HeadCount);
        Assert.Equal(1, hp.HeadCountKv);
        Assert.Equal(32, hp.RopeDimensionCount);
        Assert.Equal(128_256, hp.VocabSize);
    }

    [Fact]
    public void Read_RefPhi4_LongRopeWithAttentionFactor()
    {
        var hp = ReadReference("ref-phi4-F16.gguf");

        Assert.Same(Phi3Architecture.Instance, hp.Architecture);
        Assert.Equal(RopeScalingKind.LongRope, hp.RopeScaling.Kind);
        Assert.Equal(4096, hp.RopeScaling.OriginalContextLength);
        Assert.Equal(1.1902381f, hp.RopeScaling.AttentionFactor, 1e-6f);
        Assert.Equal(24, hp.RopeDimensionCount);
        Assert.Equal(32, hp.HeadDimension);
        Assert.Equal(262_144, hp.SlidingWindow);
    }

    [Fact]
    public void Read_RefPhi3_NoScalingWithoutFactors()
    {
        var hp = ReadReference("ref-phi3-F16.gguf");

        Assert.Equal(RopeScalingKind.None, hp.RopeScaling.Kind);
        Assert.Equal(64, hp.HeadDimension);
        Assert.Equal(32_064, hp.VocabSize);
    }

    [Fact]
    public void Read_UnsupportedArchitecture_NamesIt()
    {
        var ex = ReadThrows(new TinyModel("llama").Set(GgufKeys.General.Architecture, GgufValue.String("gemma9")));

        Assert.Equal(GgufErrorCodes.ArchitectureUnsupported, ex.Code);
        Assert.Contains("gemma9", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_UnprintableArchitecture_FixedMessage()
    {
        var ex = ReadThrows(new TinyModel("llama").Set(GgufKeys.General.Architecture, GgufValue.String("evil\n<script>")));

        Assert.Equal(GgufErrorCodes.ArchitectureUnsupported, ex.Code);
        Assert.DoesNotContain("evil", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_MissingArchitecture_Unsupported()
    {
        var ex = ReadThrows(new TinyModel("llama").Remove(GgufKeys.General.Architecture));

        Assert.Equal(GgufErrorCodes.ArchitectureUnsupported, ex.Code);
    }

    public static TheoryData<string, uint> OutOfRangeCounts => new()
    {
        { GgufKeys.Llm.BlockCount("llama"), 0 },
        { GgufKeys.Llm.BlockCount("llama"), ModelHyperparameters.MaxBlockCount + 1 },
        { GgufKeys.Llm.HeadCount("llama"), 0 },
        { GgufKeys.Llm.HeadCountKv("llama"), 0 },
        { GgufKeys.Llm.HeadCountKv("llama"), 3 },
        { GgufKeys.Llm.HeadCount("llama"), 5 },
        { GgufKeys.Llm.ContextLength("llama"), 0 },
        { GgufKeys.Llm.ContextLength("llama"), (1u << 24) + 1 },
        { GgufKeys.Llm.EmbeddingLength("llama"), 0 },
        { GgufKeys.Llm.FeedForwardLength("llama"), 0 },
        { GgufKeys.Llm.RopeDimensionCount("llama"), 3 },
        { GgufKeys.Llm.RopeDimensionCount("llama"), 64 },
        { GgufKeys.Llm.VocabSize("llama"), 0 },
    };

    [Theory]
    [MemberData(nameof(OutOfRangeCounts))]
    public void Read_CountOutOfRange_Hyperparameter(string key, uint value)
    {
        var ex = ReadThrows(new TinyModel("llama").Set(key, GgufValue.UInt32(value)));

        Assert.Equal(GgufErrorCodes.Hyperparameter, ex.Code);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(0f)]
    [InlineData(-1f)]
    public void Read_BadRopeTheta_Hyperparameter(float theta)
    {
        var ex = ReadThrows(new TinyModel("llama").Set(GgufKeys.Llm.RopeFreqBase("llama"), GgufValue.Float32(theta)));

        Assert.Equal(GgufErrorCodes.Hyperparameter, ex.Code);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(0f)]
    [InlineData(-1e-5f)]
    public void Read_BadEpsilon_Hyperparameter(float eps)
    {
        var ex = ReadThrows(new TinyModel("llama").Set(GgufKeys.Llm.RmsEpsilon("llama"), GgufValue.Float32(eps)));

        Assert.Equal(GgufErrorCodes.Hyperparameter, ex.Code);
    }

    [Fact]
    public void Read_MissingEpsilon_Hyperparameter()
    {
        var ex = ReadThrows(new TinyModel("llama").Remove(GgufKeys.Llm.RmsEpsilon("llama")));

        Assert.Equal(GgufErrorCodes.Hyperparameter, ex.Code);
    }

    [Fact]
    public void Read_HeadsNotDividingEmbeddingWithoutKeyLength_Hyperparameter()
    {
        var ex = ReadThrows(new TinyModel("llama").Set(GgufKeys.Llm.EmbeddingLength("llama"), GgufValue.UInt32(30)));

        Assert.Equal(GgufErrorCodes.Hyperparameter, ex.Code);
    }

    [Fact]
    public void Read_MissingVocabulary_Hyperparameter()
    {
        var ex = ReadThrows(new TinyModel("llama").Remove(GgufKeys.Llm.VocabSize("llama")));

        Assert.Equal(GgufErrorCodes.Hyperparameter, ex.Code);
    }

    [Fact]
    public void Read_Defaults_HeadDimensionAndRopeDimensions()
    {
        using var file = GgufFile.FromBytes(new TinyModel("llama").Remove(GgufKeys.Llm.RopeFreqBase("llama")).Build());

        var hp = ModelHyperparameters.Read(file.Header);

        Assert.Equal(8, hp.HeadDimension);
        Assert.Equal(8, hp.RopeDimensionCount);
        Assert.Equal(10000f, hp.RopeFreqBase);
        Assert.True(hp.TiedOutput);
        Assert.Null(hp.SlidingWindow);
    }

    private static ModelHyperparameters ReadReference(string file)
    {
        using var gguf = GgufFile.Open(SharedPaths.ReferenceFile("models", file));
        return ModelHyperparameters.Read(gguf.Header);
    }

    private static InvalidModelFileException ReadThrows(TinyModel model)
    {
        // Build without the layout (a broken header cannot produce one): metadata only.
        var writer = new GgufWriter();
        foreach (var (key, value) in model.MetadataForTests)
        {
            writer.Add(key, value);
        }

        using var file = GgufFile.FromBytes(writer.ToArray());
        return Assert.Throws<InvalidModelFileException>(() => ModelHyperparameters.Read(file.Header));
    }
}
