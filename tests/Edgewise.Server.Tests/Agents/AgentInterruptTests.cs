using System.Text.Json;
using Edgewise.Server.Admission;
using Edgewise.Server.Tests.Support;
using Microsoft.Extensions.AI;

namespace Edgewise.Server.Tests.Agents;

/// <summary>H13 for agent runs: a streaming client that leaves cancels the run, frees the slot and keeps the partial turn.</summary>
public sealed class AgentInterruptTests
{
    [Fact]
    public async Task StreamCutAtShutdownTimeout_AgentSse_EndsWithErrorEvent()
    {
        var model = ScriptedChatClient.Endless();
        await using var server = await AgentServer.StartAsync(AgentServer.Yaml(), new Dictionary<string, IChatClient> { ["small"] = model, ["tiny"] = AgentScripts.Picks("helper") });
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/agents/helper/runs") { Content = AgentServer.Json("""{"input":"talk forever","stream":true}""") };
        using var response = await server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        await LiveServer.WaitUntilAsync(() => model.Calls == 1);

        Assert.False(await AgentServer.Service<Edgewise.Server.Hosting.ServerState>(server.App).DrainAsync(TimeSpan.FromMilliseconds(300)));

        // The body ends normally (no reset), with the documented error event last.
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var events = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("event: error\ndata: ", events[^1], StringComparison.Ordinal);
        Assert.Contains("\"code\":\"shutting_down\"", events[^1], StringComparison.Ordinal);
        Assert.Contains(events, e => e.StartsWith("event: text", StringComparison.Ordinal));
        await model.Cancelled.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Run_H13_StreamingClientDisconnects_CancelsFreesSlotAndPersistsInterruptedTurn()
    {
        var model = ScriptedChatClient.Endless();
        await using var server = await AgentServer.StartAsync(AgentServer.Yaml(), new Dictionary<string, IChatClient> { ["small"] = model, ["tiny"] = AgentScripts.Picks("helper") });
        var admission = AgentServer.Service<AdmissionQueue>(server.App);

        string sessionId;
        var texts = 0;
        using (var abort = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken))
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/v1/agents/helper/runs") { Content = AgentServer.Json("""{"input":"talk forever","stream":true}""") };
            using var response = await server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, abort.Token);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(abort.Token));
            string? sessionLine = null;
            string? pendingEvent = null;
            while (texts < 3 && await reader.ReadLineAsync(abort.Token) is { } line)
            {
                if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    pendingEvent = line[7..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    sessionLine ??= pendingEvent == "session" ? line[6..] : null;
                    texts += pendingEvent == "text" ? 1 : 0;
                }
            }

            sessionId = JsonDocument.Parse(sessionLine!).RootElement.GetProperty("session_id").GetString()!;
            await abort.CancelAsync();
        }

        await model.Cancelled.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        await LiveServer.WaitUntilAsync(() => admission.Snapshot().All(s => s.Running == 0 && s.Queued == 0));
        JsonElement session = default;
        await WaitForAsync(async () =>
        {
            var (status, body) = await server.CallAsync(HttpMethod.Get, "/v1/sessions/" + sessionId);
            session = body;
            return status == 200;
        });

        Assert.Equal(3, texts);
        var messages = session.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal("talk forever", messages[0].GetProperty("content").GetString());
        var partial = messages[^1];
        Assert.Equal("assistant", partial.GetProperty("role").GetString());
        Assert.True(partial.GetProperty("interrupted").GetBoolean());
        Assert.StartsWith("xxx", partial.GetProperty("content").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_H14_NonStreamingClientLeaves_CancelsAndKeepsTheTurnFlaggedInterrupted()
    {
        var calls = 0;
        ScriptedChatClient? endless = null;
        var model = new ScriptedChatClient((messages, options, ct) => Interlocked.Increment(ref calls) == 1
            ? AgentScripts.Echo().GetStreamingResponseAsync(messages, options, ct)
            : (endless = ScriptedChatClient.Endless()).GetStreamingResponseAsync(messages, options, ct));
        await using var server = await AgentServer.StartAsync(AgentServer.Yaml(), new Dictionary<string, IChatClient> { ["small"] = model, ["tiny"] = AgentScripts.Picks("helper") });
        var admission = AgentServer.Service<AdmissionQueue>(server.App);
        var id = (await server.RunAsync("helper", "first")).GetProperty("session_id").GetString()!;

        using (var abort = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken))
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/v1/agents/helper/runs") { Content = AgentServer.Json($$"""{"input":"second","session_id":"{{id}}"}""") };
            var pending = server.Client.SendAsync(request, abort.Token);
            await LiveServer.WaitUntilAsync(() => model.Calls == 2);
            await abort.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
        }

        await LiveServer.WaitUntilAsync(() => admission.Snapshot().All(s => s.Running == 0 && s.Queued == 0));
        JsonElement session = default;
        await WaitForAsync(async () =>
        {
            (_, session) = await server.CallAsync(HttpMethod.Get, "/v1/sessions/" + id);
            return session.GetProperty("messages").GetArrayLength() == 4;
        });

        var messages = session.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal("second", messages[2].GetProperty("content").GetString());
        Assert.True(messages[3].GetProperty("interrupted").GetBoolean());
        Assert.True(endless!.Cancelled.Task.IsCompleted);
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            await Task.Delay(20, guard.Token);
        }
    }
}
