using Edgewise.Inference.Synthesis;
using Edgewise.Models.Catalog;
using Edgewise.Models.Hardware;

namespace Edgewise.Models.Tests.Catalog;

public sealed class ModelCatalogTests
{
    [Theory]
    [InlineData("qwen2.5-0.5b")]
    [InlineData("qwen2.5-1.5b")]
    [InlineData("qwen2.5-3b")]
    [InlineData("qwen2.5-7b")]
    [InlineData("qwen2.5-coder-0.5b")]
    [InlineData("qwen2.5-coder-1.5b")]
    [InlineData("qwen3-0.6b")]
    [InlineData("qwen3-1.7b")]
    [InlineData("qwen3-4b")]
    [InlineData("llama3.2-1b")]
    [InlineData("llama3.2-3b")]
    [InlineData("smollm2-135m")]
    [InlineData("smollm2-360m")]
    [InlineData("smollm2-1.7b")]
    [InlineData("phi-3.5-mini")]
    [InlineData("phi-4-mini")]
    public void BuiltIn_IssueAlias_HasQ4KMVariant(string alias)
    {
        var model = ModelCatalog.BuiltIn.Find(alias);

        Assert.NotNull(model);
        var variant = model.FindVariant(Quantizations.Default);
        Assert.NotNull(variant);
        Assert.EndsWith(".gguf", variant.File, StringComparison.Ordinal);
    }

    [Fact]
    public void BuiltIn_KvBytesPerToken_MatchesTheModelShapes()
    {
        var checkedCount = 0;
        foreach (var m in ModelCatalog.BuiltIn.Models)
        {
            if (ModelShapes.Find(m.Alias) is { } shape)
            {
                Assert.True(2L * shape.BlockCount * shape.HeadCountKv * shape.HeadDimension * 2 == m.KvBytesPerToken, m.Alias);
                checkedCount++;
            }
        }

        Assert.True(checkedCount >= 15);
    }

    [Fact]
    public void BuiltIn_EveryTag_HasModels()
    {
        foreach (var tag in CatalogTags.All)
        {
            Assert.NotEmpty(ModelCatalog.BuiltIn.WithTag(tag));
        }

        Assert.All(ModelCatalog.BuiltIn.WithTag(CatalogTags.Code), m => Assert.Contains(CatalogTags.Code, m.Tags));
    }

    [Fact]
    public void Resolve_AliasWithQuant_ReturnsVariant()
    {
        var (model, variant) = ModelCatalog.BuiltIn.Resolve(ModelReference.Parse("Qwen2.5-0.5B:Q8_0"));

        Assert.Equal("qwen2.5-0.5b", model.Alias);
        Assert.Equal("q8_0", variant!.Quant);
    }

    [Fact]
    public void Resolve_UnknownAliasOrQuant_ThrowsTypedErrors()
    {
        Assert.Equal(ModelErrorCodes.ModelNotFound, Assert.Throws<ModelException>(() => ModelCatalog.BuiltIn.Resolve(ModelReference.Parse("nope-1b"))).Code);
        Assert.Equal(ModelErrorCodes.UnknownQuantization, Assert.Throws<ModelException>(() => ModelCatalog.BuiltIn.Resolve(ModelReference.Parse("qwen2.5-0.5b:q2_k"))).Code);
    }

    [Theory]
    [InlineData("../etc/passwd")]
    [InlineData("/etc/passwd")]
    [InlineData("qwen:../../x")]
    [InlineData("qwen..x")]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData("")]
    [InlineData(":x9")]
    [InlineData("qwen:")]
    [InlineData("-leading")]
    [InlineData("a:b:c")]
    [InlineData("name with space")]
    public void Parse_M13_PathLikeOrMalformedName_InvalidModelName(string text)
    {
        var e = Assert.Throws<ModelException>(() => ModelReference.Parse(text));

        Assert.Equal(ModelErrorCodes.InvalidModelName, e.Code);
        Assert.DoesNotContain(text.Length > 0 ? text : "\0", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sha256:xyz")]
    [InlineData("sha256:../../../../etc/passwd")]
    [InlineData("sha256:0123")]
    [InlineData("md5:d41d8cd98f00b204e9800998ecf8427e")]
    public void DigestParse_M13_NonHex_InvalidModelName(string text)
    {
        Assert.Equal(ModelErrorCodes.InvalidModelName, Assert.Throws<ModelException>(() => Models.Storage.Sha256Digest.Parse(text)).Code);
    }

    [Fact]
    public void Parse_NameAndTag_LowerCased()
    {
        var r = ModelReference.Parse("Llama3.2-1B:Q4_K_M");

        Assert.Equal("llama3.2-1b", r.Name);
        Assert.Equal("q4_k_m", r.Tag);
        Assert.Equal("llama3.2-1b:q4_k_m", r.ToString());
    }

    [Fact]
    public void Load_DuplicateAlias_Rejected()
    {
        const string json = """
            {"version":1,"models":[
            {"alias":"a","family":"llama","description":"d","parameters":1,"context_length":1,"kv_bytes_per_token":1,"tags":[],"license":"x","variants":[{"quant":"q8_0","repo":"o/r","file":"f.gguf","bytes":1}]},
            {"alias":"A","family":"llama","description":"d","parameters":1,"context_length":1,"kv_bytes_per_token":1,"tags":[],"license":"x","variants":[{"quant":"q8_0","repo":"o/r","file":"f.gguf","bytes":1}]}]}
            """;

        Assert.Throws<FormatException>(() => ModelCatalog.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json))));
    }

    [Fact]
    public void Choose_BudgetLimits_PicksBestQuantThatFits()
    {
        var model = ModelCatalog.BuiltIn.Find("qwen2.5-1.5b")!;
        var q8 = model.FindVariant("q8_0")!;
        var q4 = model.FindVariant("q4_k_m")!;

        Assert.Equal("q8_0", VariantSelector.Choose(model, VariantSelector.MemoryNeeded(model, q8))!.Quant);
        Assert.Equal("q4_k_m", VariantSelector.Choose(model, VariantSelector.MemoryNeeded(model, q4))!.Quant);
        Assert.Null(VariantSelector.Choose(model, VariantSelector.MemoryNeeded(model, q4) - 1));
    }

    [Fact]
    public void Choose_LongerContext_NeedsMoreRoomForKv()
    {
        var model = ModelCatalog.BuiltIn.Find("qwen3-1.7b")!;
        var budget = VariantSelector.MemoryNeeded(model, model.FindVariant("q8_0")!, 4096);

        Assert.Equal("q8_0", VariantSelector.Choose(model, budget, 4096)!.Quant);
        Assert.NotEqual("q8_0", VariantSelector.Choose(model, budget, 32768)?.Quant);
    }

    [Fact]
    public void Recommend_SmallBudget_PicksLargestFittingModelForTag()
    {
        var small = VariantSelector.Recommend(ModelCatalog.BuiltIn, CatalogTags.Code, 1L << 30);
        var large = VariantSelector.Recommend(ModelCatalog.BuiltIn, CatalogTags.Code, 32L << 30);

        Assert.Equal("qwen2.5-coder-0.5b", small!.Value.Model.Alias);
        Assert.True(large!.Value.Model.Parameters > small.Value.Model.Parameters);
        Assert.Null(VariantSelector.Recommend(ModelCatalog.BuiltIn, CatalogTags.Code, 1L << 20));
    }
}
