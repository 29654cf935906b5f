using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Edgewise.Models;
using Edgewise.Server.Tests.Support;
using Microsoft.Extensions.AI;

namespace Edgewise.Server.Tests.Generation;

/// <summary>
/// A generation that breaks, through each model route: every route runs the same generation loop, so a failure before
/// the first byte is the error's status on all of them, and one after it ends the response the way its wire format
/// ends a broken response (an error event on server-sent events, an error line on Ollama's NDJSON), never a cut
/// connection.
/// </summary>
public sealed class BrokenGenerationTests
{
    private const string Route = """{"model":"test","messages":[{"role":"user","content":"hi"}]""";

    public static TheoryData<string, string> StreamedRoutes => new()
    {
        { "/v1/chat/completions", Route + ""","stream":true}""" },
        { "/v1/completions", """{"model":"test","prompt":"hi","stream":true}""" },
        { "/api/chat", Route + "}" },
        { "/api/generate", """{"model":"test","prompt":"hi"}""" },
    };

    public static TheoryData<string, string> WholeRoutes => new()
    {
        { "/v1/chat/completions", Route + "}" },
        { "/v1/completions", """{"model":"test","prompt":"hi"}""" },
        { "/api/chat", Route + ""","stream":false}""" },
        { "/api/generate", """{"model":"test","prompt":"hi","stream":false}""" },
    };

    [Theory]
    [MemberData(nameof(StreamedRoutes))]
    public async Task Stream_BackendFailsAfterTheFirstText_EndsWithTheErrorInTheWireFormat(string path, string body)
    {
        await using var server = await LiveServer.StartAsync(new ScriptedChatClient((_, _, ct) => PartThenFailure(ct)));

        using var response = await server.Client.PostAsync(path, LiveServer.Json(body), TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("partial", text, StringComparison.Ordinal);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var last = lines[^1];
        if (path.StartsWith("/v1/", StringComparison.Ordinal))
        {
            // Server-sent events: the error envelope as the last event, no [DONE] (the answer is not complete).
            Assert.StartsWith("data: ", last, StringComparison.Ordinal);
            var error = JsonDocument.Parse(last["data: ".Length..]).RootElement.GetProperty("error");
            Assert.Equal("backend_unavailable", error.GetProperty("code").GetString());
            Assert.Equal(JsonValueKind.Null, error.GetProperty("param").ValueKind);
            Assert.DoesNotContain("[DONE]", text, StringComparison.Ordinal);
        }
        else
        {
            // NDJSON: Ollama's error object as the last line; its clients raise on it.
            Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
            var error = JsonDocument.Parse(last).RootElement;
            Assert.Contains("No remote backend", error.GetProperty("error").GetString(), StringComparison.Ordinal);
            Assert.DoesNotContain("\"done\":true", text, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(WholeRoutes))]
    public async Task Whole_BackendFailsAfterTheFirstText_IsTheErrorsStatus(string path, string body)
    {
        await using var server = await LiveServer.StartAsync(new ScriptedChatClient((_, _, ct) => PartThenFailure(ct)));

        using var response = await server.Client.PostAsync(path, LiveServer.Json(body), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
        var root = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        var code = path.StartsWith("/v1/", StringComparison.Ordinal) ? root.GetProperty("error").GetProperty("code") : root.GetProperty("code");
        Assert.Equal("backend_unavailable", code.GetString());
    }

    private static async IAsyncEnumerable<ChatResponseUpdate> PartThenFailure([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        yield return new ChatResponseUpdate(ChatRole.Assistant, "partial");
        cancellationToken.ThrowIfCancellationRequested();
        throw new ModelException(ModelErrorCodes.BackendUnavailable, "backend 10.0.0.7 refused the connection");
    }
}
