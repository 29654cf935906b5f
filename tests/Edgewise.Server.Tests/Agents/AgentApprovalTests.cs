using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Edgewise.Server.Tests.Agents;

/// <summary>POST /v1/sessions/{id}/approvals/{callId}: approve, deny, tampered hash, timeout (A04).</summary>
public sealed class AgentApprovalTests
{
    private static Dictionary<string, IChatClient> OrderModels() => new()
    {
        ["small"] = AgentScripts.CallsTool("record_order", new() { ["quantity"] = 2 }),
        ["tiny"] = AgentScripts.Picks("orders"),
    };

    private static async Task<(string SessionId, JsonElement Pending)> PauseAsync(AgentServer server)
    {
        var run = await server.RunAsync("orders", "order two");
        Assert.Equal("approval_required", run.GetProperty("finish_reason").GetString());
        Assert.Equal(string.Empty, run.GetProperty("output").GetString());
        var pending = Assert.Single(run.GetProperty("pending_approvals").EnumerateArray().ToList());
        return (run.GetProperty("session_id").GetString()!, pending);
    }

    [Fact]
    public async Task Approve_A04_Approved_ResumesTheRunAndRunsTheToolOnce()
    {
        var book = new OrderBook();
        await using var server = await AgentServer.StartAsync(AgentServer.Yaml(), OrderModels(), TestTools.Create(book));
        var (id, pending) = await PauseAsync(server);
        Assert.Equal("record_order", pending.GetProperty("tool").GetString());
        Assert.Equal(2, pending.GetProperty("arguments").GetProperty("quantity").GetInt32());
        var (_, paused) = await server.CallAsync(HttpMethod.Get, "/v1/sessions/" + id);
        Assert.Single(paused.GetProperty("pending_approvals").EnumerateArray());
        Assert.Equal(0, book.Orders);

        var callId = pending.GetProperty("call_id").GetString();
        var hash = pending.GetProperty("arguments_hash").GetString();
        var (status, done) = await server.CallAsync(HttpMethod.Post, $"/v1/sessions/{id}/approvals/{callId}", $$"""{"approved":true,"arguments_hash":"{{hash}}"}""");

        Assert.Equal(200, status);
        Assert.Equal(1, book.Orders);
        Assert.Equal("stop", done.GetProperty("finish_reason").GetString());
        Assert.Contains("ordered 2", done.GetProperty("output").GetString(), StringComparison.Ordinal);
        Assert.Contains(done.GetProperty("events").EnumerateArray(), e => e.GetProperty("kind").GetString() == "approval_granted");
        var (_, session) = await server.CallAsync(HttpMethod.Get, "/v1/sessions/" + id);
        Assert.Empty(session.GetProperty("pending_approvals").EnumerateArray());
        var (again, _) = await server.CallAsync(HttpMethod.Post, $"/v1/sessions/{id}/approvals/{callId}", """{"approved":true}""");
        Assert.Equal(404, again);
        Assert.Equal(1, book.Orders);
    }

    [Fact]
    public async Task Approve_A04_Denied_DoesNotRunTheTool()
    {
        var book = new OrderBook();
        await using var server = await AgentServer.StartAsync(AgentServer.Yaml(), OrderModels(), TestTools.Create(book));
        var (id, pending) = await PauseAsync(server);

        var (status, done) = await server.CallAsync(HttpMethod.Post, $"/v1/sessions/{id}/approvals/{pending.GetProperty("call_id").GetString()}", """{"approved":false}""");

        Assert.Equal(200, status);
        Assert.Equal(0, book.Orders);
        Assert.Contains(done.GetProperty("events").EnumerateArray(), e => e.GetProperty("kind").GetString() == "approval_denied");
    }

    [Fact]
    public async Task Approve_A04_ArgumentsHashOfOtherArguments_IsDenied()
    {
        var book = new OrderBook();
        await using var server = await AgentServer.StartAsync(AgentServer.Yaml(), OrderModels(), TestTools.Create(book));
        var (id, pending) = await PauseAsync(server);
        var forged = new string('a', 64);

        var (status, done) = await server.CallAsync(HttpMethod.Post, $"/v1/sessions/{id}/approvals/{pending.GetProperty("call_id").GetString()}", $$"""{"approved":true,"arguments_hash":"{{forged}}"}""");

        Assert.Equal(200, status);
        Assert.Equal(0, book.Orders);
        var denial = Assert.Single(done.GetProperty("events").EnumerateArray(), e => e.GetProperty("kind").GetString() == "approval_denied");
        Assert.Contains("arguments", denial.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Approve_A04_AfterTheApprovalTimeout_CountsAsDenied()
    {
        var book = new OrderBook();
        var clock = new ManualClock(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var server = await AgentServer.StartAsync(AgentServer.Yaml(), OrderModels(), TestTools.Create(book), o =>
        {
            o.Agents.TimeProvider = clock;
            o.Agents.ApprovalTimeout = TimeSpan.FromMinutes(2);
        });
        var (id, pending) = await PauseAsync(server);
        Assert.Equal(TimeSpan.FromMinutes(2), pending.GetProperty("expires_at").GetDateTimeOffset() - pending.GetProperty("requested_at").GetDateTimeOffset());

        clock.Advance(TimeSpan.FromMinutes(3));
        var (status, done) = await server.CallAsync(HttpMethod.Post, $"/v1/sessions/{id}/approvals/{pending.GetProperty("call_id").GetString()}", """{"approved":true}""");

        Assert.Equal(200, status);
        Assert.Equal(0, book.Orders);
        var denial = Assert.Single(done.GetProperty("events").EnumerateArray(), e => e.GetProperty("kind").GetString() == "approval_denied");
        Assert.Contains("timed out", denial.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Approve_MissingApprovedOrUnknownCall_IsRefused()
    {
        await using var server = await AgentServer.StartAsync(AgentServer.Yaml(), OrderModels());
        var (id, pending) = await PauseAsync(server);

        var (missing, error) = await server.CallAsync(HttpMethod.Post, $"/v1/sessions/{id}/approvals/{pending.GetProperty("call_id").GetString()}", "{}");
        var (unknown, _) = await server.CallAsync(HttpMethod.Post, $"/v1/sessions/{id}/approvals/call_nope", """{"approved":true}""");

        Assert.Equal(400, missing);
        Assert.Equal("approved", error.GetProperty("error").GetProperty("param").GetString());
        Assert.Equal(404, unknown);
    }

    [Fact]
    public async Task Approve_Stream_StreamsTheResumedRun()
    {
        var book = new OrderBook();
        await using var server = await AgentServer.StartAsync(AgentServer.Yaml(), OrderModels(), TestTools.Create(book));
        var (id, pending) = await PauseAsync(server);

        using var response = await server.SendAsync(HttpMethod.Post, $"/v1/sessions/{id}/approvals/{pending.GetProperty("call_id").GetString()}", """{"approved":true,"stream":true}""");
        var events = SseEvents.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

        Assert.Equal("result", events[^1].Name);
        Assert.Contains("ordered 2", events[^1].Data.GetProperty("output").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, book.Orders);
    }
}
