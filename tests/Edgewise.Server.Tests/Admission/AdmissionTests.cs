using System.Net;
using Edgewise.Server.Admission;
using Edgewise.Server.Metrics;
using Edgewise.Server.Tests.Support;

namespace Edgewise.Server.Tests.Admission;

/// <summary>docs/security.md H11–H14, H16 and R02: bounded queues, per-key limits, cancellation on disconnect, keep-alive.</summary>
public sealed class AdmissionTests
{
    private const string Key1 = "sk-one";
    private const string Key2 = "sk-two";

    [Fact]
    public async Task Post_H11_QueueFull_Returns503WithRetryAfter()
    {
        var gate = new TaskCompletionSource();
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Gated(gate.Task), o =>
        {
            o.Admission.ParallelSequences = 1;
            o.Admission.QueueLength = 1;
        });
        var queue = server.Service<AdmissionQueue>();

        var running = server.PostChatAsync(LiveServer.Chat());
        await LiveServer.WaitUntilAsync(() => queue.Snapshot() is [{ Running: 1 }]);
        var queued = server.PostChatAsync(LiveServer.Chat());
        await LiveServer.WaitUntilAsync(() => queue.Snapshot() is [{ Queued: 1 }]);
        using var rejected = await server.PostChatAsync(LiveServer.Chat());
        gate.SetResult();
        using var first = await running;
        using var second = await queued;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, rejected.StatusCode);
        Assert.NotNull(rejected.Headers.RetryAfter);
        Assert.Equal("server_overloaded", (await LiveServer.ErrorOf(rejected)).GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(1, server.Service<ServerMetrics>().Rejections(RejectionReason.QueueFull));
        Assert.Equal([("test", 0, 0)], queue.Snapshot());
    }

    [Fact]
    public async Task Post_H11_QueueWaitTimesOut_Returns503()
    {
        var gate = new TaskCompletionSource();
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Gated(gate.Task), o =>
        {
            o.Admission.ParallelSequences = 1;
            o.Admission.QueueTimeout = TimeSpan.FromMilliseconds(100);
        });
        var queue = server.Service<AdmissionQueue>();

        var running = server.PostChatAsync(LiveServer.Chat());
        await LiveServer.WaitUntilAsync(() => queue.Snapshot() is [{ Running: 1 }]);
        using var timedOut = await server.PostChatAsync(LiveServer.Chat());
        gate.SetResult();
        using var first = await running;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, timedOut.StatusCode);
        Assert.NotNull(timedOut.Headers.RetryAfter);
        Assert.Equal("queue_timeout", (await LiveServer.ErrorOf(timedOut)).GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
    }

    [Fact]
    public async Task Post_H12_OneKeyOverItsConcurrency_Returns429WhileOtherKeyIsServed()
    {
        var gate = new TaskCompletionSource();
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Gated(gate.Task), o =>
        {
            o.ApiKeys.Add(Key1);
            o.ApiKeys.Add(Key2);
        });
        var queue = server.Service<AdmissionQueue>();

        var a = server.PostChatAsync(LiveServer.Chat(), Key1);
        var b = server.PostChatAsync(LiveServer.Chat(), Key1);
        await LiveServer.WaitUntilAsync(() => queue.Snapshot() is [{ Running: 2 }]);
        using var limited = await server.PostChatAsync(LiveServer.Chat(), Key1);
        var other = server.PostChatAsync(LiveServer.Chat(), Key2);
        await LiveServer.WaitUntilAsync(() => queue.Snapshot() is [{ Running: 3 }]);
        gate.SetResult();
        using var otherResponse = await other;
        (await a).Dispose();
        (await b).Dispose();

        Assert.Equal((HttpStatusCode)429, limited.StatusCode);
        Assert.NotNull(limited.Headers.RetryAfter);
        var error = await LiveServer.ErrorOf(limited);
        Assert.Equal("rate_limit_exceeded", error.GetProperty("code").GetString());
        Assert.Equal("rate_limit_error", error.GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.OK, otherResponse.StatusCode);
    }

    [Fact]
    public async Task Stream_H13_ClientDisconnects_CancelsGenerationAndFreesSlot()
    {
        var model = ScriptedChatClient.Endless();
        await using var server = await LiveServer.StartAsync(model);
        var queue = server.Service<AdmissionQueue>();
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = LiveServer.Json(LiveServer.Chat(extra: ",\"stream\":true")) })
        {
            using var response = await server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken));
            var events = 0;
            while (events < 3 && await reader.ReadLineAsync(TestContext.Current.CancellationToken) is { } line)
            {
                events += line.StartsWith("data: ", StringComparison.Ordinal) ? 1 : 0;
            }

            Assert.Equal(3, events);
        }

        await model.Cancelled.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        await LiveServer.WaitUntilAsync(() => queue.Snapshot() is [{ Running: 0, Queued: 0 }]);
        await LiveServer.WaitUntilAsync(() => server.Service<ServerMetrics>().Cancellations == 1);
        Assert.True(model.Cancelled.Task.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task Post_H14_NonStreamingClientAborts_CancelsGeneration()
    {
        var gate = new TaskCompletionSource();
        var model = ScriptedChatClient.Gated(gate.Task);
        await using var server = await LiveServer.StartAsync(model);
        var queue = server.Service<AdmissionQueue>();
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

        var pending = server.SendChatAsync(LiveServer.Chat(), null, abort.Token);
        await LiveServer.WaitUntilAsync(() => model.Calls == 1);
        await abort.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);

        await model.Cancelled.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        await LiveServer.WaitUntilAsync(() => queue.Snapshot() is [{ Running: 0 }]);
        Assert.False(gate.Task.IsCompleted);
    }

    [Fact]
    public async Task Stream_H16_SlowFirstToken_SendsKeepAliveCommentFirst()
    {
        var gate = new TaskCompletionSource();
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Gated(gate.Task), o => o.StreamKeepAlive = TimeSpan.FromMilliseconds(50));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = LiveServer.Json(LiveServer.Chat(extra: ",\"stream\":true,\"stream_options\":{\"include_usage\":true}")) };

        using var response = await server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken));
        var first = await reader.ReadLineAsync(TestContext.Current.CancellationToken);
        gate.SetResult();
        var rest = await reader.ReadToEndAsync(TestContext.Current.CancellationToken);

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(": keep-alive", first);
        var data = rest.Split('\n').Where(l => l.StartsWith("data: ", StringComparison.Ordinal)).Select(l => l[6..]).ToList();
        Assert.Equal("[DONE]", data[^1]);
        Assert.Contains("\"content\":\"done\"", data[0], StringComparison.Ordinal);
        Assert.Contains("\"finish_reason\":\"stop\"", data[^3], StringComparison.Ordinal);
        Assert.Contains("\"choices\":[]", data[^2], StringComparison.Ordinal);
        Assert.Contains("\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":3,\"total_tokens\":8}", data[^2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Live_R02_AllSlotsBusy_StillAnswers200()
    {
        var gate = new TaskCompletionSource();
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Gated(gate.Task), o => o.Admission.ParallelSequences = 1);
        var queue = server.Service<AdmissionQueue>();
        var busy = server.PostChatAsync(LiveServer.Chat());
        var queued = server.PostChatAsync(LiveServer.Chat());
        await LiveServer.WaitUntilAsync(() => queue.Snapshot() is [{ Running: 1, Queued: 1 }]);

        using var live = await server.Client.GetAsync("/health/live", TestContext.Current.CancellationToken);
        using var metrics = await server.Client.GetAsync("/metrics", TestContext.Current.CancellationToken);
        gate.SetResult();
        (await busy).Dispose();
        (await queued).Dispose();

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Contains("edgewise_queue_depth{model=\"test\"} 1", await metrics.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }
}
