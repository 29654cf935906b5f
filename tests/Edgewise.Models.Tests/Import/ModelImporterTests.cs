using System.Security.Cryptography;
using System.Text.Json;
using Edgewise.Inference.Generation;
using Edgewise.Inference.Model;
using Edgewise.Models.Catalog;
using Edgewise.Models.Import;
using Edgewise.Models.Storage;
using Edgewise.Models.Tests.Storage;
using Edgewise.Testing;
using Edgewise.Tokenization;

namespace Edgewise.Models.Tests.Import;

public sealed class ModelImporterTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Import_GgufFile_RegistersUnderItsFileName()
    {
        var store = new ModelStore(_temp.Combine("models"));

        var result = new ModelImporter(store).Import(ModelStoreTests.SmallModel);

        var m = Assert.Single(result.Imported);
        Assert.Equal("ref-phi4-q4_k_m:latest", m.FullName);
        Assert.Equal("file", m.Source.Kind);
        Assert.Equal(Sha256Digest.OfFile(ModelStoreTests.SmallModel).ToString(), m.Digest);
    }

    [Fact]
    public void Import_NotGguf_RejectedAndNothingStored()
    {
        var store = new ModelStore(_temp.Combine("models"));
        var bad = _temp.Combine("bad.gguf");
        File.WriteAllBytes(bad, "GGUF"u8.ToArray().Concat(new byte[100]).ToArray());

        var e = Assert.Throws<ModelException>(() => new ModelImporter(store).Import(bad));

        Assert.Equal(ModelErrorCodes.InvalidModelFile, e.Code);
        Assert.Empty(store.List());
        Assert.Empty(Directory.EnumerateFiles(store.PartialDirectory));
    }

    [Fact]
    public void Import_OllamaDirectory_ModelsRunnable()
    {
        var ollama = BuildOllamaDirectory(_temp.Combine("ollama"));
        var store = new ModelStore(_temp.Combine("models"));

        var result = new ModelImporter(store).Import(ollama);

        Assert.Equal(["qwen2.5:0.5b", "tiny:latest"], result.Imported.Select(m => m.FullName).Order(StringComparer.Ordinal));
        Assert.Contains(result.Skipped, s => s is { Name: "broken:latest", Code: ModelErrorCodes.InvalidModelName });
        Assert.Contains(result.Skipped, s => s is { Name: "nolayer:latest", Code: ModelErrorCodes.ImportFailed });
        var manifest = store.Find(ModelReference.Parse("qwen2.5:0.5b"))!;
        Assert.Equal("ollama", manifest.Source.Kind);
        using var model = LocalModel.Load(store.GetModelPath(manifest));
        using var context = model.CreateContext(new Edgewise.Inference.Runtime.ContextOptions { ContextLength = 64 });
        var tokenizer = Tokenizer.FromGguf(model.Metadata);
        var completion = Completion.Run(context, tokenizer, new CompletionRequest { Prompt = tokenizer.Encode("Hello", addSpecial: true, parseSpecial: false), MaxTokens = 4, IgnoreEndOfGeneration = true }, null, TestContext.Current.CancellationToken);
        Assert.Equal(4, completion.Tokens.Length);
    }

    internal static string BuildOllamaDirectory(string root)
    {
        var blobs = Directory.CreateDirectory(Path.Combine(root, "blobs")).FullName;
        var library = Path.Combine(root, "manifests", "registry.ollama.ai", "library");
        var qwen = Blob(blobs, SharedPaths.ReferenceFile("models", "ref-qwen2-Q4_K_M.gguf"));
        var phi = Blob(blobs, ModelStoreTests.SmallModel);
        Manifest(library, "qwen2.5", "0.5b", qwen);
        Manifest(library, "tiny", "latest", phi);
        Manifest(library, "broken", "latest", "sha256:../../../../etc/passwd");
        Directory.CreateDirectory(Path.Combine(library, "nolayer"));
        File.WriteAllText(Path.Combine(library, "nolayer", "latest"), """{"schemaVersion":2,"layers":[]}""");
        return root;
    }

    private static string Blob(string blobs, string source)
    {
        var hex = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(source)));
        File.Copy(source, Path.Combine(blobs, "sha256-" + hex), overwrite: true);
        return "sha256:" + hex;
    }

    private static void Manifest(string library, string name, string tag, string modelDigest)
    {
        var dir = Directory.CreateDirectory(Path.Combine(library, name)).FullName;
        var manifest = new
        {
            schemaVersion = 2,
            mediaType = "application/vnd.docker.distribution.manifest.v2+json",
            config = new { mediaType = "application/vnd.docker.container.image.v1+json", digest = "sha256:" + new string('0', 64), size = 2 },
            layers = new object[]
            {
                new { mediaType = ModelImporter.OllamaModelMediaType, digest = modelDigest, size = 1 },
                new { mediaType = "application/vnd.ollama.image.template", digest = "sha256:" + new string('1', 64), size = 1 },
            },
        };
        File.WriteAllText(Path.Combine(dir, tag), JsonSerializer.Serialize(manifest));
    }
}
