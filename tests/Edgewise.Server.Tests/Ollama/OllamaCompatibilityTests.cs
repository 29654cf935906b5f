using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Edgewise.Models.Catalog;
using Edgewise.Models.Import;
using Edgewise.Models.Management;
using Edgewise.Models.Storage;
using Edgewise.Server.Tests.Support;
using Edgewise.Testing;

namespace Edgewise.Server.Tests.Ollama;

/// <summary>
/// What Ollama clients copied from Ollama's docs rely on: a JSON body without a Content-Type (form types stay refused,
/// H05), and /api/tags and /api/ps listing store models with digest, size, modified_at and details.
/// </summary>
public sealed class OllamaCompatibilityTests : IDisposable
{
    private readonly DirectoryInfo _home = Directory.CreateTempSubdirectory("edgewise-ollama-");

    public void Dispose() => _home.Delete(recursive: true);

    [Theory]
    [InlineData("/api/chat", """{"model":"test","messages":[{"role":"user","content":"hi"}],"stream":false}""")]
    [InlineData("/api/generate", """{"model":"test","prompt":"hi","stream":false}""")]
    public async Task Post_NoContentType_IsReadAsJson(string route, string json)
    {
        var model = ScriptedChatClient.Text("hello");
        await using var server = await LiveServer.StartAsync(model);
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(json));
        Assert.Null(content.Headers.ContentType);

        using var response = await server.Client.PostAsync(route, content, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        Assert.True(body.GetProperty("done").GetBoolean());
        Assert.Equal(1, model.Calls);
    }

    [Fact]
    public async Task Post_CurlDataFormType_WithoutOrigin_IsReadAsJson()
    {
        // What `curl URL -d '{...}'` sends: Ollama's own examples work as pasted.
        var model = ScriptedChatClient.Text("hello");
        await using var server = await LiveServer.StartAsync(model);
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes("""{"model":"test","messages":[{"role":"user","content":"hi"}],"stream":false}"""));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/x-www-form-urlencoded");

        using var response = await server.Client.PostAsync("/api/chat", content, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, model.Calls);
    }

    [Theory]
    [InlineData("http://127.0.0.1")]
    [InlineData("https://evil.example")]
    [InlineData("null")]
    public async Task Post_H05_FormTypeFromABrowser_WithAnyOrigin_IsRefused(string origin)
    {
        // A browser always sends Origin with a cross-site POST; such a request never gets its form body read as JSON.
        var model = ScriptedChatClient.Text("hello");
        await using var server = await LiveServer.StartAsync(model);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/chat")
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes("""{"model":"test","messages":[{"role":"user","content":"hi"}]}""")),
        };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/x-www-form-urlencoded");
        request.Headers.Add("Origin", origin);

        using var response = await server.Client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.True(response.StatusCode is HttpStatusCode.UnsupportedMediaType or HttpStatusCode.Forbidden, response.StatusCode.ToString());
        Assert.Equal(0, model.Calls);
    }

    [Theory]
    [InlineData("multipart/form-data; boundary=x")]
    [InlineData("text/plain")]
    [InlineData("text/plain; charset=utf-8")]
    public async Task Post_H05_FormTypes_StillRefusedWith415(string type)
    {
        var model = ScriptedChatClient.Text("hello");
        await using var server = await LiveServer.StartAsync(model);
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes("""{"model":"test","messages":[{"role":"user","content":"hi"}]}"""));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(type);

        using var response = await server.Client.PostAsync("/api/chat", content, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        Assert.Equal("unsupported_media_type", body.GetProperty("code").GetString());
        Assert.Contains("application/json", body.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, model.Calls);
    }

    [Fact]
    public async Task Post_OpenAiRoute_NoContentType_Still415()
    {
        var model = ScriptedChatClient.Text("hello");
        await using var server = await LiveServer.StartAsync(model);
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(LiveServer.Chat()));

        using var response = await server.Client.PostAsync("/v1/chat/completions", content, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal(0, model.Calls);
    }

    [Fact]
    public async Task Tags_StoreModels_ListedWithDigestSizeModifiedAndDetails()
    {
        var store = new ModelStore(Path.Combine(_home.FullName, "models"));
        var imported = new ModelImporter(store).Import(SharedPaths.ReferenceFile("models", "ref-qwen2-Q4_K_M.gguf"), ModelReference.Parse("qwen-ref")).Imported.Single();
        await using var server = await LiveServer.StartRealAsync("phi4", "ref-phi4-Q8_0.gguf", configure: o =>
        {
            o.Store = store;
            o.FallbackResolver = new StoreModelResolver(store, new ModelManagerOptions());
        });

        var models = JsonDocument.Parse(await server.Client.GetStringAsync(new Uri("/api/tags", UriKind.Relative), TestContext.Current.CancellationToken))
            .RootElement.GetProperty("models").EnumerateArray().ToDictionary(m => m.GetProperty("name").GetString()!);

        Assert.Equal(["phi4", "qwen-ref:latest"], models.Keys.Order());
        var stored = models["qwen-ref:latest"];
        Assert.Equal("qwen-ref:latest", stored.GetProperty("model").GetString());
        Assert.Equal(imported.Digest, "sha256:" + stored.GetProperty("digest").GetString());
        Assert.Equal(new FileInfo(SharedPaths.ReferenceFile("models", "ref-qwen2-Q4_K_M.gguf")).Length, stored.GetProperty("size").GetInt64());
        Assert.Equal(imported.Created, stored.GetProperty("modified_at").GetDateTimeOffset());
        var details = stored.GetProperty("details");
        Assert.Equal("gguf", details.GetProperty("format").GetString());
        Assert.Equal("qwen2", details.GetProperty("family").GetString());
        Assert.Equal(["qwen2"], details.GetProperty("families").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal("Q4_K_M", details.GetProperty("quantization_level").GetString());
        Assert.Matches(@"^\d+\.\dM$", details.GetProperty("parameter_size").GetString());

        var file = models["phi4"];
        Assert.Equal("Q8_0", file.GetProperty("details").GetProperty("quantization_level").GetString());
        Assert.Equal("phi3", file.GetProperty("details").GetProperty("family").GetString());
        Assert.False(file.TryGetProperty("digest", out _));
    }

    [Fact]
    public async Task Ps_LoadedStoreModel_HasDigestAndDetailsAndExpiry()
    {
        var store = new ModelStore(Path.Combine(_home.FullName, "models"));
        var imported = new ModelImporter(store).Import(SharedPaths.ReferenceFile("models", "ref-qwen2-Q4_K_M.gguf"), ModelReference.Parse("qwen-ref")).Imported.Single();
        await using var server = await LiveServer.StartRealAsync("phi4", "ref-phi4-Q8_0.gguf", configure: o =>
        {
            o.Store = store;
            o.FallbackResolver = new StoreModelResolver(store, new ModelManagerOptions());
        });
        using (var load = await server.Client.PostAsync("/api/generate", LiveServer.Json("""{"model":"qwen-ref"}"""), TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, load.StatusCode);
        }

        var running = JsonDocument.Parse(await server.Client.GetStringAsync(new Uri("/api/ps", UriKind.Relative), TestContext.Current.CancellationToken))
            .RootElement.GetProperty("models").EnumerateArray().Single();

        Assert.Equal("qwen-ref:latest", running.GetProperty("name").GetString());
        Assert.Equal(imported.Digest, "sha256:" + running.GetProperty("digest").GetString());
        Assert.True(running.GetProperty("size").GetInt64() > imported.Size);
        Assert.Equal("qwen2", running.GetProperty("details").GetProperty("family").GetString());
        Assert.True(running.GetProperty("expires_at").GetDateTimeOffset() > DateTimeOffset.UtcNow);
    }
}
