using System.Net;
using Edgewise.Server.Admission;
using Edgewise.Server.Hosting;
using Edgewise.Server.Tests.Support;

namespace Edgewise.Server.Tests.Health;

/// <summary>S01's drain as the signal handler runs it: wait for in-flight requests up to the shutdown timeout, then cancel them.</summary>
public sealed class DrainTests
{
    [Fact]
    public async Task Drain_S01_InFlightRequestFinishing_DrainCompletesWithoutCancelling()
    {
        var gate = new TaskCompletionSource();
        var model = ScriptedChatClient.Gated(gate.Task);
        await using var server = await LiveServer.StartAsync(model);
        var state = server.Service<ServerState>();
        var request = server.PostChatAsync(LiveServer.Chat());
        await LiveServer.WaitUntilAsync(() => model.Calls == 1);

        var drain = state.DrainAsync(TimeSpan.FromMinutes(5));
        using var ready = await server.Client.GetAsync("/health/ready", TestContext.Current.CancellationToken);
        using var refused = await server.PostChatAsync(LiveServer.Chat());
        gate.SetResult();
        using var response = await request;

        Assert.True(await drain);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(model.Cancelled.Task.IsCompleted);
    }

    [Fact]
    public async Task Drain_S01_InFlightRequestCallingItsModelAgain_IsAdmittedWhileNewRequestsAreRefused()
    {
        // An agent run calls its model once per tool round; a round that starts during the drain belongs to a request
        // that was accepted before it, so it must run (new requests are refused at the door).
        var gate = new TaskCompletionSource();
        var model = ScriptedChatClient.Gated(gate.Task);
        await using var server = await LiveServer.StartAsync(model);
        var state = server.Service<ServerState>();
        var request = server.PostChatAsync(LiveServer.Chat());
        await LiveServer.WaitUntilAsync(() => model.Calls == 1);

        var drain = state.DrainAsync(TimeSpan.FromMinutes(5));
        using (var second = await server.Service<ModelHost>().StartAsync("test", key: null, TestContext.Current.CancellationToken))
        {
            Assert.Equal("test", second.Model);
        }

        using var refused = await server.PostChatAsync(LiveServer.Chat());
        gate.SetResult();
        using var response = await request;

        Assert.True(await drain);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Drain_S01_InFlightPastShutdownTimeout_IsCancelledAndSlotFreed()
    {
        var model = ScriptedChatClient.Endless();
        await using var server = await LiveServer.StartAsync(model);
        var state = server.Service<ServerState>();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = LiveServer.Json(LiveServer.Chat(extra: ",\"stream\":true")) };
        using var response = await server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        await LiveServer.WaitUntilAsync(() => model.Calls == 1);

        var finished = await state.DrainAsync(TimeSpan.FromMilliseconds(200));

        Assert.False(finished);
        await model.Cancelled.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        await LiveServer.WaitUntilAsync(() => server.Service<AdmissionQueue>().Snapshot() is [{ Running: 0 }]);
        await LiveServer.WaitUntilAsync(() => state.InFlight == 0);
    }

    [Fact]
    public async Task StreamCutAtShutdownTimeout_OpenAiSse_EndsWithFinishReasonErrorEventAndDone()
    {
        var model = ScriptedChatClient.Endless();
        await using var server = await LiveServer.StartAsync(model);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = LiveServer.Json(LiveServer.Chat(extra: ",\"stream\":true")) };
        using var response = await server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        await LiveServer.WaitUntilAsync(() => model.Calls == 1);

        Assert.False(await server.Service<ServerState>().DrainAsync(TimeSpan.FromMilliseconds(200)));

        // Reading to the end succeeds: the chunked body was terminated, not reset.
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var events = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Where(e => e.StartsWith("data: ", StringComparison.Ordinal)).ToList();
        Assert.Equal("data: [DONE]", events[^1]);
        Assert.Contains("\"code\":\"shutting_down\"", events[^2], StringComparison.Ordinal);
        Assert.Contains("\"finish_reason\":\"length\"", events[^3], StringComparison.Ordinal);
    }

    [Fact]
    public async Task StreamCutAtShutdownTimeout_OllamaNdjson_EndsWithAnErrorLine()
    {
        var model = ScriptedChatClient.Endless();
        await using var server = await LiveServer.StartAsync(model);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/chat") { Content = LiveServer.Json("""{"model":"test","messages":[{"role":"user","content":"hi"}]}""") };
        using var response = await server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        await LiveServer.WaitUntilAsync(() => model.Calls == 1);

        Assert.False(await server.Service<ServerState>().DrainAsync(TimeSpan.FromMilliseconds(200)));

        var lines = (await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("shutting down", System.Text.Json.JsonDocument.Parse(lines[^1]).RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task StreamCutAtShutdownTimeout_NonStreaming_Gets503NotAReset()
    {
        var model = ScriptedChatClient.Endless();
        await using var server = await LiveServer.StartAsync(model);
        var pending = server.PostChatAsync(LiveServer.Chat());
        await LiveServer.WaitUntilAsync(() => model.Calls == 1);

        Assert.False(await server.Service<ServerState>().DrainAsync(TimeSpan.FromMilliseconds(200)));
        using var response = await pending;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("shutting_down", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Fact]
    public async Task StreamCutAtShutdownTimeout_CompletionsSse_EndsWithFinishReasonErrorEventAndDone()
    {
        var model = ScriptedChatClient.Endless();
        await using var server = await LiveServer.StartAsync(model);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = LiveServer.Json("""{"model":"test","prompt":"hi","max_tokens":4000,"stream":true}""") };
        using var response = await server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        await LiveServer.WaitUntilAsync(() => model.Calls == 1);

        Assert.False(await server.Service<ServerState>().DrainAsync(TimeSpan.FromMilliseconds(200)));

        var events = (await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Where(e => e.StartsWith("data: ", StringComparison.Ordinal)).ToList();
        Assert.Equal("data: [DONE]", events[^1]);
        Assert.Contains("\"code\":\"shutting_down\"", events[^2], StringComparison.Ordinal);
        Assert.Contains("\"finish_reason\":\"length\"", events[^3], StringComparison.Ordinal);
    }
}
