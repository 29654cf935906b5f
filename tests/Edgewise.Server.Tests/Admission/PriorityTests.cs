using System.Net;
using Edgewise.Server.Admission;
using Edgewise.Server.Tests.Support;

namespace Edgewise.Server.Tests.Admission;

/// <summary>X-Edgewise-Priority: waiting interactive requests are admitted before waiting batch requests.</summary>
public sealed class PriorityTests
{
    [Fact]
    public async Task Post_InteractiveQueuedAfterBatch_IsAdmittedFirst()
    {
        var gate = new TaskCompletionSource();
        var model = ScriptedChatClient.Gated(gate.Task);
        await using var server = await LiveServer.StartAsync(model, o => o.Admission.ParallelSequences = 1);
        var queue = server.Service<AdmissionQueue>();

        var running = SendAsync(server, "first", null, TestContext.Current.CancellationToken);
        await LiveServer.WaitUntilAsync(() => queue.Snapshot() is [{ Running: 1 }]);
        var batch = SendAsync(server, "batch", "batch", TestContext.Current.CancellationToken);
        await LiveServer.WaitUntilAsync(() => queue.Snapshot() is [{ Queued: 1 }]);
        var interactive = SendAsync(server, "interactive", "interactive", TestContext.Current.CancellationToken);
        await LiveServer.WaitUntilAsync(() => queue.Snapshot() is [{ Queued: 2 }]);
        gate.SetResult();
        using var r1 = await running;
        using var r2 = await batch;
        using var r3 = await interactive;

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK], new[] { r1.StatusCode, r2.StatusCode, r3.StatusCode });
        Assert.Equal(["first", "interactive", "batch"], model.Received.Select(r => r.Messages[0].Text));
    }

    [Fact]
    public async Task Post_TwoBatchRequestsQueued_AdmittedInArrivalOrder()
    {
        var gate = new TaskCompletionSource();
        var model = ScriptedChatClient.Gated(gate.Task);
        await using var server = await LiveServer.StartAsync(model, o => o.Admission.ParallelSequences = 1);
        var queue = server.Service<AdmissionQueue>();

        var running = SendAsync(server, "first", "batch", TestContext.Current.CancellationToken);
        await LiveServer.WaitUntilAsync(() => queue.Snapshot() is [{ Running: 1 }]);
        var second = SendAsync(server, "second", "batch", TestContext.Current.CancellationToken);
        await LiveServer.WaitUntilAsync(() => queue.Snapshot() is [{ Queued: 1 }]);
        var third = SendAsync(server, "third", "BATCH", TestContext.Current.CancellationToken);
        await LiveServer.WaitUntilAsync(() => queue.Snapshot() is [{ Queued: 2 }]);
        gate.SetResult();
        (await running).Dispose();
        (await second).Dispose();
        (await third).Dispose();

        Assert.Equal(["first", "second", "third"], model.Received.Select(r => r.Messages[0].Text));
        Assert.Equal([("test", 0, 0)], queue.Snapshot());
    }

    [Fact]
    public async Task Post_QueuedInteractiveClientLeaves_NextBatchRequestStillAdmitted()
    {
        var gate = new TaskCompletionSource();
        var model = ScriptedChatClient.Gated(gate.Task);
        await using var server = await LiveServer.StartAsync(model, o => o.Admission.ParallelSequences = 1);
        var queue = server.Service<AdmissionQueue>();

        var running = SendAsync(server, "first", null, TestContext.Current.CancellationToken);
        await LiveServer.WaitUntilAsync(() => queue.Snapshot() is [{ Running: 1 }]);
        var batch = SendAsync(server, "batch", "batch", TestContext.Current.CancellationToken);
        await LiveServer.WaitUntilAsync(() => queue.Snapshot() is [{ Queued: 1 }]);
        using var leaving = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var abandoned = SendAsync(server, "gone", "interactive", leaving.Token);
        await LiveServer.WaitUntilAsync(() => queue.Snapshot() is [{ Queued: 2 }]);
        await leaving.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
        await LiveServer.WaitUntilAsync(() => queue.Snapshot() is [{ Queued: 1 }]);
        gate.SetResult();
        (await running).Dispose();
        using var admitted = await batch;

        Assert.Equal(HttpStatusCode.OK, admitted.StatusCode);
        Assert.Equal(["first", "batch"], model.Received.Select(r => r.Messages[0].Text));
    }

    [Fact]
    public async Task Post_UnknownPriority_Returns400()
    {
        var model = ScriptedChatClient.Text("x");
        await using var server = await LiveServer.StartAsync(model);

        using var response = await SendAsync(server, "x", "urgent", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(0, model.Calls);
    }

    private static Task<HttpResponseMessage> SendAsync(LiveServer server, string content, string? priority, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = LiveServer.Json($$"""{"model":"test","messages":[{"role":"user","content":"{{content}}"}]}"""),
        };
        if (priority is not null)
        {
            request.Headers.Add("X-Edgewise-Priority", priority);
        }

        return server.Client.SendAsync(request, cancellationToken);
    }
}
