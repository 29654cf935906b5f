using System.Net;
using System.Text.Json;
using Edgewise.Server.Errors;
using Edgewise.Server.Ollama;
using Edgewise.Server.Tests.Support;

namespace Edgewise.Server.Tests.Ollama;

/// <summary>Ollama's per-request keep_alive on /api/chat and /api/generate, seen through /api/ps.</summary>
public sealed class OllamaKeepAliveTests
{
    [Fact]
    public async Task Generate_KeepAliveZero_UnloadsWhenTheRequestEnds()
    {
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("answer"));

        var body = await PostAsync(server, "/api/generate", """{"model":"test","prompt":"hi","stream":false,"keep_alive":0}""");

        Assert.Equal("answer", body.GetProperty("response").GetString());
        Assert.Empty(await RunningAsync(server));
    }

    [Fact]
    public async Task Chat_StreamingWithKeepAliveZeroSeconds_UnloadsWhenTheRequestEnds()
    {
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("a", "b"));

        using var response = await server.Client.PostAsync("/api/chat", LiveServer.Json("""{"model":"test","messages":[{"role":"user","content":"hi"}],"keep_alive":"0s"}"""), TestContext.Current.CancellationToken);
        var lines = (await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(JsonDocument.Parse(lines[^1]).RootElement.GetProperty("done").GetBoolean());
        Assert.Empty(await RunningAsync(server));
    }

    [Fact]
    public async Task Chat_WithoutKeepAlive_StaysLoadedWithAnExpiry()
    {
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("a"));

        await PostAsync(server, "/api/chat", """{"model":"test","messages":[{"role":"user","content":"hi"}],"stream":false}""");

        var running = Assert.Single(await RunningAsync(server));
        Assert.Equal("test", running.GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.String, running.GetProperty("expires_at").ValueKind);
    }

    [Fact]
    public async Task Generate_NoPromptKeepAliveZero_OnlyUnloadsTheModel()
    {
        var model = ScriptedChatClient.Text("a");
        await using var server = await LiveServer.StartAsync(model);
        await PostAsync(server, "/api/chat", """{"model":"test","messages":[{"role":"user","content":"hi"}],"stream":false}""");
        Assert.Single(await RunningAsync(server));

        var body = await PostAsync(server, "/api/generate", """{"model":"test","keep_alive":0}""");

        Assert.Equal("unload", body.GetProperty("done_reason").GetString());
        Assert.True(body.GetProperty("done").GetBoolean());
        Assert.Equal(1, model.Calls);
        Assert.Empty(await RunningAsync(server));
    }

    [Fact]
    public async Task Chat_NoMessagesKeepAliveZero_OnlyUnloadsTheModel()
    {
        var model = ScriptedChatClient.Text("a");
        await using var server = await LiveServer.StartAsync(model);
        await PostAsync(server, "/api/generate", """{"model":"test","prompt":"hi","stream":false}""");

        var body = await PostAsync(server, "/api/chat", """{"model":"test","messages":[],"keep_alive":"0"}""");

        Assert.Equal("unload", body.GetProperty("done_reason").GetString());
        Assert.Equal(1, model.Calls);
        Assert.Empty(await RunningAsync(server));
    }

    [Fact]
    public async Task Generate_NoPromptWithKeepAlive_LoadsWithoutGenerating()
    {
        var model = ScriptedChatClient.Text("a");
        await using var server = await LiveServer.StartAsync(model);

        var body = await PostAsync(server, "/api/generate", """{"model":"test","keep_alive":"1h"}""");

        Assert.Equal("load", body.GetProperty("done_reason").GetString());
        Assert.Equal(0, model.Calls);
        var running = Assert.Single(await RunningAsync(server));
        var expires = DateTimeOffset.Parse(running.GetProperty("expires_at").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(expires > DateTimeOffset.UtcNow.AddMinutes(30));
    }

    [Fact]
    public async Task Chat_NegativeKeepAlive_KeepsTheModelWithoutExpiry()
    {
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("a"));

        await PostAsync(server, "/api/chat", """{"model":"test","messages":[{"role":"user","content":"hi"}],"stream":false,"keep_alive":-1}""");

        var running = Assert.Single(await RunningAsync(server));
        Assert.False(running.TryGetProperty("expires_at", out _));
    }

    [Fact]
    public async Task Generate_UnloadUnknownModel_Returns404()
    {
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("a"));

        using var response = await server.Client.PostAsync("/api/generate", LiveServer.Json("""{"model":"nope","keep_alive":0}"""), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Theory]
    [InlineData("\"soon\"")]
    [InlineData("\"5x\"")]
    [InlineData("true")]
    [InlineData("\"-\"")]
    public async Task Chat_InvalidKeepAlive_Returns400AndNothingReachesModel(string keepAlive)
    {
        var model = ScriptedChatClient.Text("a");
        await using var server = await LiveServer.StartAsync(model);

        using var response = await server.Client.PostAsync("/api/chat", LiveServer.Json($$"""{"model":"test","messages":[{"role":"user","content":"hi"}],"keep_alive":{{keepAlive}}}"""), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(0, model.Calls);
    }

    [Theory]
    [InlineData("0", 0)]
    [InlineData("300", 300)]
    [InlineData("2.5", 2.5)]
    [InlineData("\"10m\"", 600)]
    [InlineData("\"1h30m\"", 5400)]
    [InlineData("\"250ms\"", 0.25)]
    [InlineData("\"1.5h\"", 5400)]
    [InlineData("\"45\"", 45)]
    public void Parse_NumberOrDuration_ReturnsSeconds(string json, double seconds)
    {
        var value = OllamaKeepAlive.Parse(JsonDocument.Parse(json).RootElement);

        Assert.Equal(TimeSpan.FromSeconds(seconds), value);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("\"-1m\"")]
    [InlineData("1e12")]
    public void Parse_NegativeOrHuge_KeepsLoaded(string json)
    {
        Assert.Equal(OllamaKeepAlive.Forever, OllamaKeepAlive.Parse(JsonDocument.Parse(json).RootElement));
    }

    [Fact]
    public void Parse_Null_UsesTheDefault()
    {
        Assert.Null(OllamaKeepAlive.Parse(null));
        Assert.Null(OllamaKeepAlive.Parse(JsonDocument.Parse("null").RootElement));
        Assert.Throws<ApiException>(() => OllamaKeepAlive.Parse(JsonDocument.Parse("\"1d\"").RootElement));
    }

    private static async Task<JsonElement> PostAsync(LiveServer server, string path, string json)
    {
        using var response = await server.Client.PostAsync(path, LiveServer.Json(json), TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(text).RootElement;
    }

    private static async Task<List<JsonElement>> RunningAsync(LiveServer server)
    {
        var ps = JsonDocument.Parse(await server.Client.GetStringAsync("/api/ps", TestContext.Current.CancellationToken)).RootElement;
        return [.. ps.GetProperty("models").EnumerateArray()];
    }
}
