using Edgewise.Gguf;
using Edgewise.Inference.Architectures;
using Edgewise.Inference.Constraints;
using Edgewise.Inference.Model;
using Edgewise.Inference.Runtime;
using Edgewise.Inference.Tests.Support;
using Edgewise.Inference.Synthesis;
using Edgewise.Tokenization.Templates;

namespace Edgewise.Inference.Tests.Architectures;

/// <summary>
/// Each architecture's tensor list is the one source of the loader's checks, the weight binding, the synthesizer's
/// tensors and a shape's parameter count: a model synthesized for every registered architecture holds exactly the
/// tensors the loader requires (plus the optional ones the shape asks for), loads, and binds every matrix it holds.
/// </summary>
public sealed class ArchitectureTensorListTests
{
    public static TheoryData<string, bool> Architectures()
    {
        var data = new TheoryData<string, bool>();
        foreach (var architecture in ModelArchitectures.All)
        {
            data.Add(architecture.Name, true);
            data.Add(architecture.Name, false);
        }

        return data;
    }

    public static TheoryData<string> ArchitectureNames()
    {
        var data = new TheoryData<string>();
        foreach (var architecture in ModelArchitectures.All)
        {
            data.Add(architecture.Name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void Synthesize_EveryArchitecture_HoldsExactlyTheLoadersRequiredTensorsAndLoads(string name, bool tied)
    {
        var shape = TinyShape(ModelArchitectures.Get(name), tied);
        using var file = GgufFile.FromBytes(Synthesize(shape));

        var layout = ModelTensorLayout.Validate(file.Header);

        var required = layout.Tensors.Where(t => t.Required).Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var optionalUsed = OptionalTensorsOf(shape);
        var written = file.Tensors.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(required.Count + optionalUsed.Count, file.Tensors.Count);
        Assert.Equal(required.OrderBy(n => n, StringComparer.Ordinal), written.Except(optionalUsed).OrderBy(n => n, StringComparer.Ordinal));
        Assert.All(optionalUsed, n => Assert.Contains(layout.Tensors, t => t.Name == n && !t.Required));
        Assert.All(file.Tensors, t => Assert.Equal(layout.Tensors.Single(r => r.Name == t.Name).Shape, t.Dimensions));
        Assert.Equal(file.Tensors.Where(t => !IsRopeTable(t.Name)).Sum(t => t.ElementCount), shape.ParameterCount);

        using var model = LocalModel.Load(file, ownsFile: false, repack: false);
        var matrices = file.Tensors.Count(t => t.Dimensions.Count == 2);
        var multiplied = model.WeightKinds.Sum(k => k.Matrices);
        Assert.Equal(tied ? matrices : matrices - 1, multiplied); // an untied token embedding is only looked up
        Assert.Same(shape.Architecture, model.Architecture);
    }

    [Theory]
    [MemberData(nameof(ArchitectureNames))]
    public void Load_EachRequiredTensorOfTheListLeftOut_TensorMissing(string name)
    {
        var architecture = ModelArchitectures.Get(name);
        var shape = TinyShape(architecture, tied: true) with { BlockCount = 1 };
        var bytes = Synthesize(shape);
        using var complete = GgufFile.FromBytes(bytes);
        var required = ModelTensorLayout.Validate(complete.Header).Tensors.Where(t => t.Required).ToArray();
        Assert.Equal(architecture.GlobalTensors.Count(t => t.Required) + architecture.BlockTensors.Count(t => t.Required), required.Length);

        foreach (var tensor in required)
        {
            using var file = GgufFile.FromBytes(Without(complete, tensor.Name));

            var ex = Assert.Throws<InvalidModelFileException>(() => ModelTensorLayout.Validate(file.Header));

            Assert.Equal(GgufErrorCodes.TensorMissing, ex.Code);
        }
    }

    [Theory]
    [InlineData("qwen2", TensorNames.RopeFreqs)]
    [InlineData("qwen3", TensorNames.RopeFreqs)]
    [InlineData("phi3", TensorNames.RopeFreqs)]
    [InlineData("qwen2", TensorNames.RopeFactorsLong)]
    [InlineData("llama", TensorNames.RopeFactorsShort)]
    public void Load_RopeTableTheListDoesNotDeclare_IsIgnored(string name, string table)
    {
        // A one-element table was bound and read past its end at the first decode (IndexOutOfRangeException).
        using var plain = new TinyModel(name).Load();
        using var odd = new TinyModel(name).WithUndeclared(table, [1]).Load();
        using var plainContext = plain.CreateContext(new ContextOptions { KvCacheType = KvCacheType.F32, ContextLength = 32 });
        using var oddContext = odd.CreateContext(new ContextOptions { KvCacheType = KvCacheType.F32, ContextLength = 32 });

        var expected = plainContext.Evaluate([1, 2, 3]).ToArray();
        var actual = oddContext.Evaluate([1, 2, 3]).ToArray();

        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Load_Phi3LongRopeWithAStrayRopeFreqs_KeepsItsScalingAndAttentionFactor()
    {
        // rope_freqs used to switch the scaling kind to frequency factors, dropping LongRoPE's attention factor.
        static TinyModel Phi3() => new TinyModel("phi3")
            .Set(GgufKeys.Llm.RopeDimensionCount("phi3"), GgufValue.UInt32(6))
            .Set(GgufKeys.Llm.RopeScalingAttnFactor("phi3"), GgufValue.Float32(1.19f))
            .With(TensorNames.RopeFactorsLong).With(TensorNames.RopeFactorsShort);
        using var plain = Phi3().Load();
        using var odd = Phi3().WithUndeclared(TensorNames.RopeFreqs, [3]).Load();
        using var plainContext = plain.CreateContext(new ContextOptions { KvCacheType = KvCacheType.F32, ContextLength = 32 });
        using var oddContext = odd.CreateContext(new ContextOptions { KvCacheType = KvCacheType.F32, ContextLength = 32 });

        Assert.Equal(plainContext.Evaluate([1, 2, 3]).ToArray(), oddContext.Evaluate([1, 2, 3]).ToArray());
    }

    [Fact]
    public void All_NamesUniqueAndParsedBack()
    {
        Assert.Equal(ModelArchitectures.All.Count, ModelArchitectures.All.Select(a => a.Name).Distinct(StringComparer.Ordinal).Count());
        Assert.All(ModelArchitectures.All, a =>
        {
            Assert.True(ModelArchitectures.TryParse(a.Name, out var parsed));
            Assert.Same(a, parsed);
            Assert.Equal(a.Name, a.ToString());
        });
        Assert.False(ModelArchitectures.TryParse("LLAMA", out _));
        Assert.False(ModelArchitectures.TryParse(null, out _));
        Assert.All(ModelShapes.All, s => Assert.Contains(s.Architecture, ModelArchitectures.All));
    }

    [Fact]
    public void Json_ArchitectureIsItsName()
    {
        var options = new System.Text.Json.JsonSerializerOptions { PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower };
        var shape = TinyShape(ModelArchitectures.Get("qwen3"), tied: true);

        var json = System.Text.Json.JsonSerializer.SerializeToElement(shape.ToHyperparameters(), options);

        Assert.Equal("qwen3", json.GetProperty("architecture").GetString());
        Assert.All(ModelArchitectures.All, a =>
            Assert.Same(a, System.Text.Json.JsonSerializer.Deserialize<ModelArchitecture>(System.Text.Json.JsonSerializer.Serialize(a))));
        Assert.Throws<System.Text.Json.JsonException>(() => System.Text.Json.JsonSerializer.Deserialize<ModelArchitecture>("\"gemma\""));
    }

    [Theory]
    [InlineData("llama", "llama3-json", ChatTemplateFamily.Llama3)]
    [InlineData("qwen2", "hermes", ChatTemplateFamily.ChatMl)]
    [InlineData("qwen3", "hermes", ChatTemplateFamily.ChatMl)]
    [InlineData("phi3", "json", ChatTemplateFamily.Phi3)]
    public void ToolCallFormatAndTemplateFallback_PerArchitecture(string name, string format, ChatTemplateFamily fallback)
    {
        var architecture = ModelArchitectures.Get(name);

        Assert.Equal(new ToolCallFormat(format), architecture.DetectToolCallFormat(null));
        Assert.Equal(new ToolCallFormat(format), architecture.DetectToolCallFormat("{{ messages[0].content }}"));
        Assert.Equal(ToolCallFormat.Hermes, architecture.DetectToolCallFormat("{{ '<tool_call>' }}"));
        Assert.Equal(fallback, architecture.ChatTemplateFallback);
    }

    private static ModelShape TinyShape(ModelArchitecture architecture, bool tied)
    {
        var declares = architecture.GlobalTensors.Select(t => t.Role).ToHashSet();
        var scaling = architecture.UsesLongRope ? RopeScalingKind.LongRope
            : declares.Contains(TensorRole.RopeFrequencies) ? RopeScalingKind.FrequencyFactors
            : RopeScalingKind.None;
        return new ModelShape(
            "tiny-" + architecture.Name, "test", architecture, EmbeddingLength: 32, BlockCount: 2, HeadCount: 4, HeadCountKv: 2,
            HeadDimension: 8, FeedForwardLength: 64, VocabSize: 300, TiedOutput: tied, RopeFreqBase: 10000f, RmsEpsilon: 1e-5f,
            ContextLength: 8192, RopeDimensionCount: 6, Scaling: scaling);
    }

    private static HashSet<string> OptionalTensorsOf(ModelShape shape)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        if (!shape.TiedOutput)
        {
            names.Add(TensorNames.Output);
        }

        if (shape.Scaling == RopeScalingKind.FrequencyFactors)
        {
            names.Add(TensorNames.RopeFreqs);
        }

        if (shape.Scaling == RopeScalingKind.LongRope)
        {
            names.Add(TensorNames.RopeFactorsLong);
            names.Add(TensorNames.RopeFactorsShort);
        }

        return names;
    }

    private static bool IsRopeTable(string name) =>
        name is TensorNames.RopeFreqs or TensorNames.RopeFactorsLong or TensorNames.RopeFactorsShort;

    private static byte[] Synthesize(ModelShape shape) =>
        SyntheticModel.CreateWriter(shape, QuantizationScheme.Parse("f32")!, vocabulary: null, seed: 1).ToArray();

    private static byte[] Without(GgufFile source, string tensorName)
    {
        var writer = new GgufWriter();
        writer.AddRange(source.Metadata);
        foreach (var tensor in source.Tensors)
        {
            if (tensor.Name != tensorName)
            {
                writer.AddTensor(tensor.Name, tensor.Type, [.. tensor.Dimensions], source.GetTensorData(tensor));
            }
        }

        return writer.ToArray();
    }
}
