using System.Net;
using System.Text.Json;
using Edgewise.Server.Tests.Support;
using Microsoft.Extensions.AI;

namespace Edgewise.Server.Tests.Ollama;

/// <summary>The Ollama-compatible routes with raw HTTP, as Ollama clients call them.</summary>
public sealed class OllamaApiTests
{
    [Fact]
    public async Task Chat_Streaming_WritesNdjsonLinesEndingWithDone()
    {
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("Hel", "lo"));

        using var response = await server.Client.PostAsync("/api/chat", LiveServer.Json("""{"model":"test","messages":[{"role":"user","content":"hi"}]}"""), TestContext.Current.CancellationToken);
        var lines = (await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();

        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(3, lines.Count);
        Assert.Equal("Hel", lines[0].GetProperty("message").GetProperty("content").GetString());
        Assert.False(lines[0].GetProperty("done").GetBoolean());
        Assert.True(lines[2].GetProperty("done").GetBoolean());
        Assert.Equal("stop", lines[2].GetProperty("done_reason").GetString());
        Assert.Equal(2, lines[2].GetProperty("eval_count").GetInt32());
    }

    [Fact]
    public async Task Generate_NotStreaming_ReturnsOneObjectWithSystemAndPrompt()
    {
        var model = ScriptedChatClient.Text("answer");
        await using var server = await LiveServer.StartAsync(model);

        using var response = await server.Client.PostAsync("/api/generate", LiveServer.Json("""{"model":"test","prompt":"why?","system":"be brief","stream":false,"options":{"temperature":0,"num_predict":8,"seed":3}}"""), TestContext.Current.CancellationToken);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("answer", body.GetProperty("response").GetString());
        Assert.True(body.GetProperty("done").GetBoolean());
        var (messages, options) = model.Received[0];
        Assert.Equal([ChatRole.System, ChatRole.User], messages.Select(m => m.Role));
        Assert.Equal(8, options!.MaxOutputTokens);
        Assert.Equal(0f, options.Temperature);
        Assert.Equal(3, options.Seed);
    }

    [Fact]
    public async Task Chat_UnknownModel_Returns404OllamaError()
    {
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("hi"));

        using var response = await server.Client.PostAsync("/api/chat", LiveServer.Json("""{"model":"nope","messages":[{"role":"user","content":"hi"}]}"""), TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(JsonValueKind.String, JsonDocument.Parse(text).RootElement.GetProperty("error").ValueKind);
        ErrorAssert.NoLeak(text);
    }

    [Theory]
    [InlineData("""{"model":"test","messages":[{"role":"user","content":"hi"}],"options":{"num_predict":100000}}""")]
    [InlineData("""{"model":"test","messages":[{"role":"user","content":"hi"}],"options":{"temperature":9}}""")]
    [InlineData("""{"model":"test","messages":[{"role":"user","content":"hi"}],"options":{"num_predict":-3}}""")]
    [InlineData("""{"model":"test","messages":[{"role":"wizard","content":"hi"}]}""")]
    [InlineData("""{"model":"test","messages":[{"role":"user","content":"hi"}],"format":42}""")]
    public async Task Chat_H07_InvalidOptions_Returns400AndNothingReachesModel(string body)
    {
        var model = ScriptedChatClient.Text("hi");
        await using var server = await LiveServer.StartAsync(model);

        using var response = await server.Client.PostAsync("/api/chat", LiveServer.Json(body), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(0, model.Calls);
    }

    [Fact]
    public async Task TagsPsVersion_ListModelsLoadedModelsAndVersion()
    {
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("hi"));
        using (var chat = await server.PostChatAsync(LiveServer.Chat()))
        {
            Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
        }

        var tags = JsonDocument.Parse(await server.Client.GetStringAsync("/api/tags", TestContext.Current.CancellationToken)).RootElement;
        var ps = JsonDocument.Parse(await server.Client.GetStringAsync("/api/ps", TestContext.Current.CancellationToken)).RootElement;
        var version = JsonDocument.Parse(await server.Client.GetStringAsync("/api/version", TestContext.Current.CancellationToken)).RootElement;

        Assert.Equal("test", Assert.Single(tags.GetProperty("models").EnumerateArray()).GetProperty("name").GetString());
        Assert.Equal("test", Assert.Single(ps.GetProperty("models").EnumerateArray()).GetProperty("name").GetString());
        Assert.False(string.IsNullOrEmpty(version.GetProperty("version").GetString()));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(-2)]
    public async Task OllamaNumPredictMinus1OrMinus2_BoundedByTheOutputCap(int numPredict)
    {
        var model = ScriptedChatClient.Text("hi");
        await using var server = await LiveServer.StartAsync(model);

        using var response = await server.Client.PostAsync("/api/chat", LiveServer.Json("""{"model":"test","stream":false,"messages":[{"role":"user","content":"hi"}],"options":{"num_predict":""" + numPredict.ToString(System.Globalization.CultureInfo.InvariantCulture) + "}}"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(4096, model.Received[0].Options!.MaxOutputTokens);
    }

    [Theory]
    [InlineData("/api/chat", """{"model":"test","messages":[{"role":"user","content":"hi","images":["not base64!"]}]}""", "messages[0].images[0]")]
    [InlineData("/api/chat", """{"model":"test","messages":[{"role":"user","content":"hi","images":["aGk=",""]}]}""", "messages[0].images[1]")]
    [InlineData("/api/generate", """{"model":"test","prompt":"hi","images":["aGk","aGk="]}""", "images[0]")]
    [InlineData("/api/generate", """{"model":"test","prompt":"hi","images":[null]}""", "images[0]")]
    public async Task OllamaInvalidBase64Images_Return400NamingTheImage(string route, string body, string param)
    {
        var model = ScriptedChatClient.Text("hi");
        await using var server = await LiveServer.StartAsync(model);

        using var response = await server.Client.PostAsync(route, LiveServer.Json(body), TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(param + " must be a non-empty base64 string", text, StringComparison.Ordinal);
        Assert.Equal(0, model.Calls);
    }

    [Fact]
    public async Task OllamaValidBase64Images_Accepted()
    {
        var model = ScriptedChatClient.Text("hi");
        await using var server = await LiveServer.StartAsync(model);

        using var response = await server.Client.PostAsync("/api/generate", LiveServer.Json("""{"model":"test","prompt":"hi","stream":false,"images":["aGk="]}"""), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
