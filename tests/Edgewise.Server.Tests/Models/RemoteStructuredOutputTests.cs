using System.Net;
using System.Text.Json;
using Edgewise.Agents.Configuration;
using Edgewise.Models.Tests.Remote;
using Edgewise.Server.Tests.Metrics;
using Edgewise.Server.Tests.Support;
using static Edgewise.Models.Tests.Remote.FakeOpenAiServer;

namespace Edgewise.Server.Tests.Models;

/// <summary>
/// The constraint stage in front of a remote model: a backend that ignores <c>response_format</c> (a real OpenAI-wire
/// server on loopback that answers what it is scripted to) never gets output that breaks the requested format through
/// to the client; valid output passes untouched, whatever its key order or spacing.
/// </summary>
public sealed class RemoteStructuredOutputTests
{
    private const string Schema = """{"type":"object","properties":{"city":{"type":"string"},"unit":{"enum":["celsius","fahrenheit"]}},"required":["city","unit"],"additionalProperties":false}""";

    private static string Request(bool stream, string schema = Schema) =>
        """{"model":"lab","messages":[{"role":"user","content":"Weather?"}],"stream":""" + (stream ? "true" : "false")
        + ""","response_format":{"type":"json_schema","json_schema":{"name":"weather","schema":""" + schema + "}}}";

    private static async Task<LiveServer> FrontOf(FakeOpenAiServer backend) =>
        await LiveServer.StartAsync(ScriptedChatClient.Text("local"), o => o.Configuration = EdgewiseConfig.Parse(
            $"""
            models:
              lab:
                url: {backend.Endpoint}
                model: fake-model
            """,
            "/etc/edgewise/edgewise.yaml",
            new ToolRegistry()));

    [Fact]
    public async Task Whole_BackendIgnoresTheSchema_502InvalidModelOutputAndACountedFailure()
    {
        await using var backend = new FakeOpenAiServer(Reply.Json(Completion("Sure! It is 20 degrees in Paris.")));
        await using var server = await FrontOf(backend);

        using var response = await server.PostChatAsync(Request(stream: false));
        var error = await LiveServer.ErrorOf(response);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("invalid_model_output", error.GetProperty("code").GetString());
        Assert.Contains("rule 'json'", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.True(backend.Bodies.TryPeek(out var sent));
        Assert.Equal("json_schema", sent.GetProperty("response_format").GetProperty("type").GetString());
        var metrics = await MetricsScrapeTests.ScrapeAsync(server);
        Assert.Contains("edgewise_model_call_failures_total{model=\"lab\"} 1\n", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Whole_BackendBreaksOneRule_TheRuleIsNamedButNothingOfTheAnswerIsEchoed()
    {
        await using var backend = new FakeOpenAiServer(Reply.Json(Completion("""{"city":"Paris","unit":"kelvin"}""")));
        await using var server = await FrontOf(backend);

        using var response = await server.PostChatAsync(Request(stream: false));
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("rule 'enum'", JsonDocument.Parse(body).RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("kelvin", body, StringComparison.Ordinal);
        Assert.DoesNotContain("unit", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Whole_ValidJsonInAnyKeyOrderAndSpacing_PassesUnchanged()
    {
        const string Answer = "{ \"unit\" : \"celsius\",\n  \"city\" : \"Paris\" }";
        await using var backend = new FakeOpenAiServer(Reply.Json(Completion(Answer)));
        await using var server = await FrontOf(backend);

        using var response = await server.PostChatAsync(Request(stream: false));
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Answer, body.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
    }

    [Fact]
    public async Task Whole_AnswerCutByTheTokenLimit_IsIncompleteByDesignAndPasses()
    {
        await using var backend = new FakeOpenAiServer(Reply.Json(Completion("{\"city\":\"Par", finish: "length")));
        await using var server = await FrontOf(backend);

        using var response = await server.PostChatAsync(Request(stream: false));
        var choice = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.GetProperty("choices")[0];

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("length", choice.GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task Whole_SchemaTheEngineCannotEnforce_IsLeftToTheBackend()
    {
        // uniqueItems is refused by the embedded engine; a remote backend may enforce it, so its answer is not checked.
        const string Unique = """{"type":"array","items":{"type":"integer"},"uniqueItems":true}""";
        await using var backend = new FakeOpenAiServer(Reply.Json(Completion("not json at all")));
        await using var server = await FrontOf(backend);

        using var response = await server.PostChatAsync(Request(stream: false, Unique));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Stream_BackendIgnoresTheSchema_TextThenAnErrorEventAndNoFinish()
    {
        await using var backend = new FakeOpenAiServer(Reply.Sse(Chunk(TextDelta("Sure! ")), Chunk(TextDelta("Paris, 20 C.")), Chunk("{}", "stop")));
        await using var server = await FrontOf(backend);

        using var response = await server.PostChatAsync(Request(stream: true));
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("data: ", StringComparison.Ordinal)).Select(l => l["data: ".Length..]).ToList();
        Assert.Contains(events, e => e.Contains("Sure! ", StringComparison.Ordinal));
        Assert.DoesNotContain(events, e => e.Contains("\"finish_reason\":\"stop\"", StringComparison.Ordinal));
        Assert.DoesNotContain("[DONE]", events);
        var error = JsonDocument.Parse(events[^1]).RootElement.GetProperty("error");
        Assert.Equal("invalid_model_output", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Stream_ValidJson_EndsWithStopAndDone()
    {
        await using var backend = new FakeOpenAiServer(Reply.Sse(Chunk(TextDelta("{\"city\":\"Oslo\",")), Chunk(TextDelta("\"unit\":\"celsius\"}")), Chunk("{}", "stop")));
        await using var server = await FrontOf(backend);

        using var response = await server.PostChatAsync(Request(stream: true));
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"finish_reason\":\"stop\"", text, StringComparison.Ordinal);
        Assert.EndsWith("data: [DONE]", text.TrimEnd(), StringComparison.Ordinal);
        Assert.DoesNotContain("\"error\"", text, StringComparison.Ordinal);
    }
}
