using Edgewise.Models.Catalog;
using Edgewise.Models.Storage;
using Edgewise.Testing;

namespace Edgewise.Models.Tests.Catalog;

/// <summary>Ollama-style names, Hugging Face repository names and what an unknown name gets back.</summary>
public sealed class ModelNameTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("qwen2.5:0.5b", "qwen2.5-0.5b", null)]
    [InlineData("qwen2.5:0.5b-instruct", "qwen2.5-0.5b", null)]
    [InlineData("qwen2.5:0.5b-instruct-q8_0", "qwen2.5-0.5b", "q8_0")]
    [InlineData("QWEN2.5:0.5B-INSTRUCT-Q4_K_M", "qwen2.5-0.5b", "q4_k_m")]
    [InlineData("qwen2.5:0.5b-instruct-fp16", "qwen2.5-0.5b", "f16")]
    [InlineData("llama3.2:1b", "llama3.2-1b", null)]
    [InlineData("llama3.2", "llama3.2-3b", null)]
    [InlineData("llama3.2:latest", "llama3.2-3b", null)]
    [InlineData("phi4-mini", "phi-4-mini", null)]
    [InlineData("phi3.5:3.8b-mini-instruct-q6_k", "phi-3.5-mini", "q6_k")]
    [InlineData("smollm2:135m", "smollm2-135m", null)]
    [InlineData("qwen2.5-coder:1.5b-instruct-q8_0", "qwen2.5-coder-1.5b", "q8_0")]
    [InlineData("qwen3:0.6b", "qwen3-0.6b", null)]
    public void TryResolveName_OllamaTag_MapsToCatalogVariant(string name, string alias, string? quant)
    {
        Assert.True(ModelCatalog.BuiltIn.TryResolveName(name, out var model, out var variant));

        Assert.Equal(alias, model.Alias);
        Assert.Equal(quant, variant?.Quant);
    }

    [Theory]
    [InlineData("qwen2.5:0.5b-instruct-q3_k_s")] // not a variant the catalog offers
    [InlineData("qwen2.5:0.6b")]
    [InlineData("llama3.3")]
    [InlineData("qwen2.5-0.5b")] // an alias, resolved by Find, not a name
    public void TryResolveName_NotAName_False(string name) =>
        Assert.False(ModelCatalog.BuiltIn.TryResolveName(name, out _, out _));

    [Fact]
    public void BuiltIn_EveryModel_HasAnOllamaNameAndAliasesStillResolve()
    {
        foreach (var m in ModelCatalog.BuiltIn.Models)
        {
            Assert.NotEmpty(m.Names);
            Assert.Same(m, ModelCatalog.BuiltIn.Resolve(ModelReference.Parse(m.Alias)).Model);
        }
    }

    [Fact]
    public void Load_NameUsedTwice_Refused()
    {
        const string doc = """
            {"version":1,"models":[
              {"alias":"a","names":["x:1b"],"family":"llama","description":"a","parameters":1,"context_length":8,"kv_bytes_per_token":1,"tags":[],"license":"mit",
               "variants":[{"quant":"q8_0","repo":"o/r","file":"a-Q8_0.gguf","bytes":1}]},
              {"alias":"b","names":["x:1b"],"family":"llama","description":"b","parameters":1,"context_length":8,"kv_bytes_per_token":1,"tags":[],"license":"mit",
               "variants":[{"quant":"q8_0","repo":"o/r","file":"b-Q8_0.gguf","bytes":1}]}]}
            """;

        Assert.Throws<FormatException>(() => ModelCatalog.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(doc))));
    }

    [Theory]
    [InlineData("hf.co/bartowski/SmolLM2-135M-Instruct-GGUF", "bartowski/SmolLM2-135M-Instruct-GGUF", null, null)]
    [InlineData("hf.co/bartowski/SmolLM2-135M-Instruct-GGUF:Q8_0", "bartowski/SmolLM2-135M-Instruct-GGUF", "q8_0", null)]
    [InlineData("huggingface.co/owner/repo:q4_k_m", "owner/repo", "q4_k_m", null)]
    [InlineData("hf.co/owner/repo/model-Q4_K_M.gguf", "owner/repo", null, "model-Q4_K_M.gguf")]
    [InlineData("owner/repo:model-Q4_K_M.gguf", "owner/repo", null, "model-Q4_K_M.gguf")]
    public void HubReference_Forms_Parse(string text, string repo, string? quant, string? file)
    {
        Assert.True(HubReference.TryParse(text, out var hub));

        Assert.Equal(repo, hub!.Repo);
        Assert.Equal(quant, hub.Quant);
        Assert.Equal(file, hub.File);
        Assert.True(ModelReference.IsValidPart(hub.StoreName));
    }

    [Theory]
    [InlineData("owner/repo")] // without hf.co/ and without a file it is a path
    [InlineData("models/x/model.gguf")]
    [InlineData("hf.co/owner")]
    [InlineData("hf.co/../etc:passwd.gguf")]
    [InlineData("hf.co/owner/repo:../../x")]
    [InlineData("owner/repo:../x.gguf")]
    [InlineData("hf.co/a/b/c/d.gguf")]
    public void HubReference_NotARepository_False(string text) => Assert.False(HubReference.TryParse(text, out _));

    [Theory]
    [InlineData("Qwen2.5-0.5B-Instruct-Q4_K_M.gguf", "q4_k_m")]
    [InlineData("SmolLM2-135M-Instruct-f16.gguf", "f16")]
    [InlineData("model.Q8_0.gguf", "q8_0")]
    [InlineData("x-IQ4_XS.gguf", "iq4_xs")]
    [InlineData("x-bf16.gguf", "bf16")]
    [InlineData("x-Q4_K_M-00001-of-00002.gguf", null)]
    [InlineData("mmproj-model-f16.gguf", null)]
    [InlineData("README.md", null)]
    [InlineData("model.gguf", null)]
    public void QuantOf_FileName_ReadsTheQuantization(string file, string? quant) => Assert.Equal(quant, HubReference.QuantOf(file));

    [Fact]
    public void Resolve_UnknownName_EchoesItWithThreeClosestNames()
    {
        var resolver = new ModelResolver(new ModelStore(_temp.Combine("models")), ModelCatalog.BuiltIn);

        var e = Assert.Throws<ModelException>(() => resolver.Resolve("llama3.3:1b"));

        Assert.Equal(ModelErrorCodes.ModelNotFound, e.Code);
        Assert.Contains("'llama3.3:1b'", e.Message, StringComparison.Ordinal);
        Assert.Contains("did you mean llama3.2:1b, ", e.Message, StringComparison.Ordinal);
        Assert.Equal(3, resolver.Suggest("llama3.3:1b", 3).Count);
    }

    [Theory]
    [InlineData("./missing.gguf")]
    [InlineData("models/missing.gguf")]
    [InlineData("missing.gguf")]
    [InlineData("/nowhere/at/all")]
    public void Resolve_MissingPath_SaysFileNotFoundWithThePath(string path)
    {
        var resolver = new ModelResolver(new ModelStore(_temp.Combine("models")), ModelCatalog.BuiltIn);

        var e = Assert.Throws<ModelException>(() => resolver.Resolve(path));

        Assert.Equal(ModelErrorCodes.FileNotFound, e.Code);
        Assert.Equal("file not found: " + path, e.Message);
    }

    [Fact]
    public void Resolve_Kinds_FileCatalogHub()
    {
        var resolver = new ModelResolver(new ModelStore(_temp.Combine("models")), ModelCatalog.BuiltIn);
        var file = _temp.Combine("x.gguf");
        File.WriteAllBytes(file, [1]);

        Assert.Equal(ModelTargetKind.File, resolver.Resolve(file).Kind);
        var tagged = resolver.Resolve("qwen2.5:0.5b-instruct-q8_0");
        Assert.Equal((ModelTargetKind.Catalog, "qwen2.5-0.5b", "q8_0"), (tagged.Kind, tagged.Model!.Alias, tagged.Variant!.Quant));
        var alias = resolver.Resolve("smollm2-135m:f16");
        Assert.Equal((ModelTargetKind.Catalog, "f16"), (alias.Kind, alias.Variant!.Quant));
        Assert.Equal(ModelTargetKind.Hub, resolver.Resolve("hf.co/owner/repo:q4_k_m").Kind);
        Assert.Equal(ModelErrorCodes.UnknownQuantization, Assert.Throws<ModelException>(() => resolver.Resolve("smollm2-135m:q2_k")).Code);
    }

    [Fact]
    public void Resolve_RepositoryPulledBefore_IsTheStoredModelWithoutAskingTheHub()
    {
        var store = new ModelStore(_temp.Combine("models"));
        var partial = Path.Combine(store.PartialDirectory, "x.partial");
        File.Copy(SharedPaths.ReferenceFile("models", "ref-phi4-Q4_K_M.gguf"), partial);
        var stored = store.Register(ModelReference.Create("owner--tiny-gguf", "q4_k_m"), partial, Sha256Digest.OfFile(partial), new ModelSource("hub", "owner/Tiny-GGUF", "Tiny-Q4_K_M.gguf"));
        var resolver = new ModelResolver(store, ModelCatalog.BuiltIn);

        Assert.Equal(stored, resolver.Resolve("hf.co/owner/Tiny-GGUF:Q4_K_M").Manifest);
        Assert.Equal(stored, resolver.Resolve("owner/Tiny-GGUF:Tiny-Q4_K_M.gguf").Manifest);
        Assert.Equal(stored, resolver.Resolve("hf.co/owner/Tiny-GGUF").Manifest);
        Assert.Equal(ModelTargetKind.Hub, resolver.Resolve("hf.co/owner/Tiny-GGUF:Q8_0").Kind);
    }
}
