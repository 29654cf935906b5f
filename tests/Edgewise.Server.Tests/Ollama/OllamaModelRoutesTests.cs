using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Edgewise.Models.Catalog;
using Edgewise.Models.Download;
using Edgewise.Models.Storage;
using Edgewise.Server.Tests.Support;
using Edgewise.Testing;

namespace Edgewise.Server.Tests.Ollama;

/// <summary>Ollama's /api/show (details from the GGUF header) and /api/pull (catalog download into the store, NDJSON progress).</summary>
public sealed class OllamaModelRoutesTests
{
    private static string ModelFile => SharedPaths.ReferenceFile("models", "ref-phi4-Q8_0.gguf");

    [Fact]
    public async Task Show_ReferenceModel_ReportsFamilyQuantizationContextAndParameters()
    {
        await using var server = await LiveServer.StartRealAsync("phi4", "ref-phi4-Q8_0.gguf");

        using var response = await server.Client.PostAsync("/api/show", LiveServer.Json("""{"model":"phi4"}"""), TestContext.Current.CancellationToken);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var details = body.GetProperty("details");
        var info = body.GetProperty("model_info");
        var family = details.GetProperty("family").GetString()!;
        Assert.Equal(info.GetProperty("general.architecture").GetString(), family);
        Assert.Equal("gguf", details.GetProperty("format").GetString());
        Assert.Equal("Q8_0", details.GetProperty("quantization_level").GetString());
        Assert.EndsWith("M", details.GetProperty("parameter_size").GetString(), StringComparison.Ordinal);
        Assert.True(info.GetProperty(family + ".context_length").GetInt64() > 0);
        Assert.True(info.GetProperty("general.parameter_count").GetInt64() > 0);
        Assert.Equal(JsonValueKind.String, body.GetProperty("template").ValueKind);
    }

    [Fact]
    public async Task Show_LegacyNameField_IsAccepted()
    {
        await using var server = await LiveServer.StartRealAsync("phi4", "ref-phi4-Q8_0.gguf");

        using var response = await server.Client.PostAsync("/api/show", LiveServer.Json("""{"name":"phi4"}"""), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Show_UnknownModel_Returns404()
    {
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("x"));

        using var response = await server.Client.PostAsync("/api/show", LiveServer.Json("""{"model":"nope"}"""), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Pull_CatalogModel_StreamsProgressAndRegistersItInTheStore()
    {
        var bytes = await File.ReadAllBytesAsync(ModelFile, TestContext.Current.CancellationToken);
        await using var hub = new FileHub(bytes);
        using var home = new TempStore();
        await using var server = await StartWithStoreAsync(hub, home, bytes);

        using var response = await server.Client.PostAsync("/api/pull", LiveServer.Json("""{"model":"tiny:q8_0"}"""), TestContext.Current.CancellationToken);
        var lines = (await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement)
            .ToList();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("pulling manifest", lines[0].GetProperty("status").GetString());
        Assert.Equal(["verifying sha256 digest", "writing manifest", "success"], lines[^3..].Select(l => l.GetProperty("status").GetString()));
        var progress = lines.Where(l => l.TryGetProperty("completed", out _)).ToList();
        Assert.NotEmpty(progress);
        var completed = progress.Select(l => l.GetProperty("completed").GetInt64()).ToList();
        Assert.Equal(completed.Order(), completed);
        Assert.Equal(bytes.Length, completed[^1]);
        Assert.Equal(bytes.Length, progress[^1].GetProperty("total").GetInt64());
        Assert.StartsWith("sha256:", progress[^1].GetProperty("digest").GetString(), StringComparison.Ordinal);
        Assert.NotNull(home.Store.Find(ModelReference.Parse("tiny:q8_0")));
    }

    [Theory]
    [InlineData("tinymodel:1m")]
    [InlineData("tinymodel:1m-instruct-q8_0")]
    public async Task Pull_OllamaStyleName_PullsTheCatalogVariant(string name)
    {
        var bytes = await File.ReadAllBytesAsync(ModelFile, TestContext.Current.CancellationToken);
        await using var hub = new FileHub(bytes);
        using var home = new TempStore();
        await using var server = await StartWithStoreAsync(hub, home, bytes);

        using var response = await server.Client.PostAsync("/api/pull", LiveServer.Json("{\"model\":\"" + name + "\",\"stream\":false}"), TestContext.Current.CancellationToken);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("success", body.GetProperty("status").GetString());
        Assert.NotNull(home.Store.Find(ModelReference.Parse("tiny:q8_0")));
    }

    [Fact]
    public async Task Pull_NotStreamingAlreadyInStore_AnswersSuccessWithoutDownloadingAgain()
    {
        var bytes = await File.ReadAllBytesAsync(ModelFile, TestContext.Current.CancellationToken);
        await using var hub = new FileHub(bytes);
        using var home = new TempStore();
        await using var server = await StartWithStoreAsync(hub, home, bytes);
        using (await server.Client.PostAsync("/api/pull", LiveServer.Json("""{"model":"tiny:q8_0","stream":false}"""), TestContext.Current.CancellationToken))
        {
        }

        using var response = await server.Client.PostAsync("/api/pull", LiveServer.Json("""{"model":"tiny:q8_0","stream":false}"""), TestContext.Current.CancellationToken);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("success", body.GetProperty("status").GetString());
        Assert.Equal(1, hub.Requests);
    }

    [Theory]
    [InlineData("""{"model":"unknown-model"}""", HttpStatusCode.NotFound)]
    [InlineData("""{"model":"tiny:q2_k"}""", HttpStatusCode.NotFound)]
    [InlineData("""{"model":"bad name!"}""", HttpStatusCode.BadRequest)]
    [InlineData("""{}""", HttpStatusCode.BadRequest)]
    public async Task Pull_NotInCatalogOrInvalid_ReturnsErrorWithoutDownloading(string json, HttpStatusCode status)
    {
        var bytes = Encoding.UTF8.GetBytes("not a model");
        await using var hub = new FileHub(bytes);
        using var home = new TempStore();
        await using var server = await StartWithStoreAsync(hub, home, bytes);

        using var response = await server.Client.PostAsync("/api/pull", LiveServer.Json(json), TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(status, response.StatusCode);
        Assert.Equal(JsonValueKind.String, JsonDocument.Parse(text).RootElement.GetProperty("error").ValueKind);
        ErrorAssert.NoLeak(text);
        Assert.Equal(0, hub.Requests);
    }

    [Fact]
    public async Task Pull_ChecksumMismatch_StreamsAnErrorLineAndRegistersNothing()
    {
        await using var hub = new FileHub(Encoding.UTF8.GetBytes("tampered bytes"));
        using var home = new TempStore();
        var expected = await File.ReadAllBytesAsync(ModelFile, TestContext.Current.CancellationToken);
        await using var server = await StartWithStoreAsync(hub, home, expected);

        using var response = await server.Client.PostAsync("/api/pull", LiveServer.Json("""{"model":"tiny:q8_0"}"""), TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var last = JsonDocument.Parse(text.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]).RootElement;

        Assert.Equal(JsonValueKind.String, last.GetProperty("error").ValueKind);
        ErrorAssert.NoLeak(text);
        Assert.Null(home.Store.Find(ModelReference.Parse("tiny:q8_0")));
    }

    [Fact]
    public async Task Pull_NoStoreConfigured_Returns404()
    {
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("x"));

        using var response = await server.Client.PostAsync("/api/pull", LiveServer.Json("""{"model":"tiny"}"""), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    private static Task<LiveServer> StartWithStoreAsync(FileHub hub, TempStore home, byte[] expected)
    {
        var sha = Convert.ToHexStringLower(SHA256.HashData(expected));
        var catalog = $$"""
            {"version":1,"models":[{"alias":"tiny","names":["tinymodel:1m"],"family":"phi3","parameters":1000000,"context_length":4096,"kv_bytes_per_token":1024,
              "tags":["general"],"description":"t","license":"mit",
              "variants":[{"quant":"q8_0","repo":"o/tiny-GGUF","file":"tiny-Q8_0.gguf","bytes":{{expected.Length}},"sha256":"{{sha}}"}]}]}
            """;
        return LiveServer.StartAsync(ScriptedChatClient.Text("x"), o =>
        {
            o.Store = home.Store;
            o.Catalog = ModelCatalog.Load(new MemoryStream(Encoding.UTF8.GetBytes(catalog)));
            o.Download = new DownloadOptions { Endpoint = hub.BaseUri, RetryDelay = TimeSpan.FromMilliseconds(10) };
        });
    }

    /// <summary>A model store in a temporary directory.</summary>
    private sealed class TempStore : IDisposable
    {
        private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("edgewise-pull-");

        public TempStore() => Store = new ModelStore(_dir.FullName);

        public ModelStore Store { get; }

        public void Dispose() => _dir.Delete(recursive: true);
    }
}
