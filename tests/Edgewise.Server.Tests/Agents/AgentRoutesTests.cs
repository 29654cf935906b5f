using System.Text.Json;
using Edgewise.Server.Tests.Support;
using Microsoft.Extensions.AI;

namespace Edgewise.Server.Tests.Agents;

/// <summary>GET /v1/agents, POST /v1/agents/{name}/runs and the session routes over scripted models.</summary>
public sealed class AgentRoutesTests
{
    private static Dictionary<string, IChatClient> Models(IChatClient small, IChatClient? tiny = null) =>
        new() { ["small"] = small, ["tiny"] = tiny ?? AgentScripts.Picks("helper") };

    [Fact]
    public async Task ListAgents_Configured_ListsAgentsAndRouters()
    {
        await using var server = await AgentServer.StartAsync(AgentServer.Yaml(), Models(AgentScripts.Echo()));

        var (status, body) = await server.CallAsync(HttpMethod.Get, "/v1/agents");

        Assert.Equal(200, status);
        var data = body.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(["helper", "orders", "front"], data.Select(a => a.GetProperty("name").GetString()));
        var orders = data[1];
        Assert.Equal("agent", orders.GetProperty("type").GetString());
        Assert.Equal("small", orders.GetProperty("model").GetString());
        Assert.Equal("Places orders.", orders.GetProperty("description").GetString());
        Assert.Equal(["record_order"], orders.GetProperty("tools").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal("router", data[2].GetProperty("type").GetString());
        Assert.Equal(["helper", "orders"], data[2].GetProperty("agents").EnumerateArray().Select(t => t.GetString()));
    }

    [Fact]
    public async Task ListAgents_NoConfiguration_ReturnsEmptyList()
    {
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("hi"));

        using var response = await server.Client.GetAsync("/v1/agents", TestContext.Current.CancellationToken);

        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        Assert.Equal(0, body.GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task Run_NewSession_AnswersAndPersistsTheSession()
    {
        await using var server = await AgentServer.StartAsync(AgentServer.Yaml(), Models(AgentScripts.Echo()));

        var run = await server.RunAsync("helper", "hello");

        var id = run.GetProperty("session_id").GetString()!;
        Assert.Equal("echo: hello (2 messages)", run.GetProperty("output").GetString());
        Assert.Equal("helper", run.GetProperty("agent").GetString());
        Assert.Equal("stop", run.GetProperty("finish_reason").GetString());
        Assert.Equal(["user", "assistant"], run.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("role").GetString()));
        Assert.Equal(5, run.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        var kinds = run.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("kind").GetString()).ToList();
        Assert.Equal("run_started", kinds[0]);
        Assert.Equal("run_completed", kinds[^1]);
        var (status, session) = await server.CallAsync(HttpMethod.Get, "/v1/sessions/" + id);
        Assert.Equal(200, status);
        Assert.Equal("helper", session.GetProperty("agent").GetString());
        Assert.Equal(["hello", "echo: hello (2 messages)"], session.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("content").GetString()));
    }

    [Fact]
    public async Task Run_WithSessionId_ContinuesTheConversationAcrossRestart()
    {
        var directory = Directory.CreateTempSubdirectory("edgewise-agents-").FullName;
        try
        {
            string id;
            await using (var server = await AgentServer.StartAsync(AgentServer.Yaml(), Models(AgentScripts.Echo()), directory: directory))
            {
                id = (await server.RunAsync("helper", "first")).GetProperty("session_id").GetString()!;
            }

            await using (var restarted = await AgentServer.StartAsync(AgentServer.Yaml(), Models(AgentScripts.Echo()), directory: directory))
            {
                var second = await restarted.RunAsync("helper", "second", id);

                Assert.Equal(id, second.GetProperty("session_id").GetString());
                Assert.Equal("echo: second (4 messages)", second.GetProperty("output").GetString());
                var (_, session) = await restarted.CallAsync(HttpMethod.Get, "/v1/sessions/" + id);
                Assert.Equal(4, session.GetProperty("messages").GetArrayLength());
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Run_UnknownAgentOrMissingInput_IsRefused()
    {
        await using var server = await AgentServer.StartAsync(AgentServer.Yaml(), Models(AgentScripts.Echo()));

        var (missingAgent, error) = await server.CallAsync(HttpMethod.Post, "/v1/agents/nobody/runs", """{"input":"hi"}""");
        var (missingInput, inputError) = await server.CallAsync(HttpMethod.Post, "/v1/agents/helper/runs", """{"input":""}""");
        var (unknownSession, _) = await server.CallAsync(HttpMethod.Post, "/v1/agents/helper/runs", """{"input":"hi","session_id":"0123456789abcdef0123456789abcdef"}""");

        Assert.Equal(404, missingAgent);
        Assert.Equal("agent_not_found", error.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(400, missingInput);
        Assert.Equal("input", inputError.GetProperty("error").GetProperty("param").GetString());
        Assert.Equal(404, unknownSession);
    }

    [Fact]
    public async Task Run_RouterName_RunsTheAgentTheRouterPicks()
    {
        var book = new OrderBook();
        await using var server = await AgentServer.StartAsync(AgentServer.Yaml(), Models(AgentScripts.Echo(), AgentScripts.Picks("helper")), TestTools.Create(book));

        var run = await server.RunAsync("front", "what is open?");

        Assert.Equal("helper", run.GetProperty("agent").GetString());
        Assert.Equal("echo: what is open? (2 messages)", run.GetProperty("output").GetString());
        Assert.Contains(run.GetProperty("events").EnumerateArray(), e => e.GetProperty("kind").GetString() == "routed");
        var continued = await server.RunAsync("front", "and now?", run.GetProperty("session_id").GetString());
        Assert.Equal("helper", continued.GetProperty("agent").GetString());
    }

    [Fact]
    public async Task Run_C01_ConcurrentRunOnOneSession_Returns409()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = 0;
        var model = new ScriptedChatClient((messages, options, ct) => Interlocked.Increment(ref calls) == 1
            ? AgentScripts.Echo().GetStreamingResponseAsync(messages, options, ct)
            : ScriptedChatClient.Gated(gate.Task).GetStreamingResponseAsync(messages, options, ct));
        await using var server = await AgentServer.StartAsync(AgentServer.Yaml(), Models(model));
        var id = (await server.RunAsync("helper", "first")).GetProperty("session_id").GetString()!;

        var slow = server.CallAsync(HttpMethod.Post, "/v1/agents/helper/runs", $$"""{"input":"slow","session_id":"{{id}}"}""");
        await LiveServer.WaitUntilAsync(() => model.Calls == 2);
        var (status, body) = await server.CallAsync(HttpMethod.Post, "/v1/agents/helper/runs", $$"""{"input":"second","session_id":"{{id}}"}""");
        gate.SetResult();
        var (slowStatus, _) = await slow;

        Assert.Equal(409, status);
        Assert.Equal("session_busy", body.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(200, slowStatus);
    }

    [Fact]
    public async Task Run_Stream_SendsSessionTextEventsThenResult()
    {
        await using var server = await AgentServer.StartAsync(AgentServer.Yaml(), Models(AgentScripts.Echo()));

        using var response = await server.SendAsync(HttpMethod.Post, "/v1/agents/helper/runs", """{"input":"hello","stream":true}""");
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = SseEvents.Parse(text);
        Assert.Equal("session", events[0].Name);
        Assert.Equal("result", events[^1].Name);
        Assert.Equal("echo: hello (2 messages)", string.Concat(events.Where(e => e.Name == "text").Select(e => e.Data.GetProperty("text").GetString())));
        Assert.Contains(events, e => e.Name == "event" && e.Data.GetProperty("kind").GetString() == "run_started");
        var result = events[^1].Data;
        Assert.Equal(events[0].Data.GetProperty("session_id").GetString(), result.GetProperty("session_id").GetString());
        Assert.Equal("echo: hello (2 messages)", result.GetProperty("output").GetString());
        var (status, _) = await server.CallAsync(HttpMethod.Get, "/v1/sessions/" + result.GetProperty("session_id").GetString());
        Assert.Equal(200, status);
    }

    [Fact]
    public async Task DeleteSession_Owned_RemovesIt()
    {
        await using var server = await AgentServer.StartAsync(AgentServer.Yaml(), Models(AgentScripts.Echo()));
        var id = (await server.RunAsync("helper", "hello")).GetProperty("session_id").GetString()!;

        var (deleted, body) = await server.CallAsync(HttpMethod.Delete, "/v1/sessions/" + id);
        var (after, _) = await server.CallAsync(HttpMethod.Get, "/v1/sessions/" + id);
        var (again, _) = await server.CallAsync(HttpMethod.Delete, "/v1/sessions/" + id);

        Assert.Equal(200, deleted);
        Assert.True(body.GetProperty("deleted").GetBoolean());
        Assert.Equal(404, after);
        Assert.Equal(404, again);
    }
}

/// <summary>Parses a server-sent event stream into named events with JSON data.</summary>
internal static class SseEvents
{
    public static List<(string? Name, JsonElement Data)> Parse(string text)
    {
        var events = new List<(string?, JsonElement)>();
        foreach (var block in text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            string? name = null;
            string? data = null;
            foreach (var line in block.Split('\n'))
            {
                if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    name = line["event: ".Length..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    data = line["data: ".Length..];
                }
            }

            if (data is not null && data != "[DONE]")
            {
                events.Add((name, JsonDocument.Parse(data).RootElement.Clone()));
            }
        }

        return events;
    }
}
