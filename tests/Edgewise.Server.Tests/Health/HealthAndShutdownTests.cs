using System.Net;
using Edgewise.Server.Hosting;
using Edgewise.Server.Tests.Support;

namespace Edgewise.Server.Tests.Health;

/// <summary>Readiness, liveness and graceful shutdown (S01).</summary>
public sealed class HealthAndShutdownTests
{
    [Fact]
    public async Task Ready_Idle_Returns200()
    {
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("hi"));

        using var ready = await server.Client.GetAsync("/health/ready", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    [Fact]
    public async Task Ready_LowDisk_Returns503()
    {
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("hi"), o => o.MinFreeDiskBytes = long.MaxValue);

        using var ready = await server.Client.GetAsync("/health/ready", TestContext.Current.CancellationToken);
        var body = await ready.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("low_disk", body, StringComparison.Ordinal);
        Assert.NotNull(ready.Headers.RetryAfter);
    }

    [Fact]
    public async Task Drain_S01_ReadinessAndNewRequests503LivenessStays200()
    {
        var model = ScriptedChatClient.Text("hi");
        await using var server = await LiveServer.StartAsync(model);

        server.Service<ServerState>().BeginDrain();
        using var ready = await server.Client.GetAsync("/health/ready", TestContext.Current.CancellationToken);
        using var live = await server.Client.GetAsync("/health/live", TestContext.Current.CancellationToken);
        using var chat = await server.PostChatAsync(LiveServer.Chat());

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, chat.StatusCode);
        Assert.Equal("shutting_down", (await LiveServer.ErrorOf(chat)).GetProperty("code").GetString());
        Assert.Equal(0, model.Calls);
    }

    [Fact]
    public async Task Stop_S01_InFlightStreamFinishesAndDrainBeginsAtOnce()
    {
        var gate = new TaskCompletionSource();
        var model = ScriptedChatClient.Gated(gate.Task);
        await using var server = await LiveServer.StartAsync(model, o => o.StreamKeepAlive = TimeSpan.FromMilliseconds(50));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = LiveServer.Json(LiveServer.Chat(extra: ",\"stream\":true")) };
        using var response = await server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        await LiveServer.WaitUntilAsync(() => model.Calls == 1);

        var stopping = server.App.StopAsync(TestContext.Current.CancellationToken);
        await LiveServer.WaitUntilAsync(() => server.Service<ServerState>().Draining);
        Assert.False(stopping.IsCompleted);
        gate.SetResult();
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        await stopping;

        Assert.Contains("\"content\":\"done\"", body, StringComparison.Ordinal);
        Assert.EndsWith("data: [DONE]\n\n", body, StringComparison.Ordinal);
        Assert.False(model.Cancelled.Task.IsCompleted);
    }
}
