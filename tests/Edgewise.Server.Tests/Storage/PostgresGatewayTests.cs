using System.Text.Json;
using Edgewise.Server.Storage;
using Edgewise.Server.Tests.Agents;
using Microsoft.Extensions.AI;

namespace Edgewise.Server.Tests.Storage;

/// <summary>
/// Two live servers on one PostgreSQL schema (<c>storage.kind: postgres</c>), each with its own connection pool as
/// two gateway processes would have: a session started on one continues on the other, an approval asked on one is
/// answered on the other exactly once (and never after another gateway recorded a decision), a session leased by another gateway is a 409 everywhere, and the audit rows
/// of both form one chain.
/// </summary>
public sealed class PostgresGatewayTests
{
    private static Dictionary<string, IChatClient> Models() => new()
    {
        ["small"] = AgentScripts.CallsTool("record_order", new() { ["quantity"] = 2 }),
        ["tiny"] = AgentScripts.Picks("orders"),
    };

    private static Task<AgentServer> StartAsync(PostgresBackend backend, OrderBook book, IReadOnlyDictionary<string, IChatClient> models) =>
        AgentServer.StartAsync(AgentServer.Yaml(), models, TestTools.Create(book), options =>
        {
            options.Agents.StorageKind = AgentStorageKind.Postgres;
            options.Agents.PostgresConnectionString = backend.ConnectionString;
        });

    [Fact]
    public async Task Session_StartedOnOneGateway_ContinuesOnTheOther()
    {
        await using var backend = await PostgresBackend.OpenAsync();
        var book = new OrderBook();
        var echo = new Dictionary<string, IChatClient> { ["small"] = AgentScripts.Echo(), ["tiny"] = AgentScripts.Picks("helper") };
        await using var a = await StartAsync(backend, book, echo);
        await using var b = await StartAsync(backend, book, echo);

        var first = await a.RunAsync("helper", "hello");
        var id = first.GetProperty("session_id").GetString();
        var second = await b.RunAsync("helper", "again", id);
        var third = await a.RunAsync("helper", "and again", id);

        // The model sees the instructions plus the history: the turns from the other gateway are there.
        Assert.Contains("(4 messages)", second.GetProperty("output").GetString(), StringComparison.Ordinal);
        Assert.Contains("(6 messages)", third.GetProperty("output").GetString(), StringComparison.Ordinal);
        var (status, session) = await b.CallAsync(HttpMethod.Get, "/v1/sessions/" + id);
        Assert.Equal(200, status);
        Assert.Equal(6, session.GetProperty("messages").GetArrayLength());
        var (listed, list) = await a.CallAsync(HttpMethod.Get, "/v1/sessions");
        Assert.Equal((200, id), (listed, Assert.Single(list.GetProperty("data").EnumerateArray().ToList()).GetProperty("id").GetString()));
    }

    [Fact]
    public async Task Approval_AskedOnOneGateway_AnsweredOnTheOtherOnce()
    {
        await using var backend = await PostgresBackend.OpenAsync();
        var book = new OrderBook();
        await using var a = await StartAsync(backend, book, Models());
        await using var b = await StartAsync(backend, book, Models());

        var run = await a.RunAsync("orders", "order two");
        Assert.Equal("approval_required", run.GetProperty("finish_reason").GetString());
        var id = run.GetProperty("session_id").GetString();
        var pending = Assert.Single(run.GetProperty("pending_approvals").EnumerateArray().ToList());
        var path = $"/v1/sessions/{id}/approvals/{pending.GetProperty("call_id").GetString()}";
        var body = $$"""{"approved":true,"arguments_hash":"{{pending.GetProperty("arguments_hash").GetString()}}"}""";

        var (status, done) = await b.CallAsync(HttpMethod.Post, path, body);
        var (again, _) = await a.CallAsync(HttpMethod.Post, path, body);

        Assert.Equal((200, "stop"), (status, done.GetProperty("finish_reason").GetString()));
        Assert.Equal(404, again);
        Assert.Equal(1, book.Orders);
        var audit = await backend.GetAuditAsync(id!);
        Assert.Contains(audit, r => r.Kind == "approval_granted");
        Assert.True((await backend.VerifyAuditAsync()).IsValid);
    }

    [Fact]
    public async Task Approval_AlreadyDecidedByAGatewayThatLostItsLease_409AndToolNotRun()
    {
        await using var backend = await PostgresBackend.OpenAsync();
        var book = new OrderBook();
        await using var a = await StartAsync(backend, book, Models());
        var run = await a.RunAsync("orders", "order two");
        var id = run.GetProperty("session_id").GetString();
        var callId = Assert.Single(run.GetProperty("pending_approvals").EnumerateArray().ToList()).GetProperty("call_id").GetString();

        // Another gateway recorded its decision, then stalled past its lease before applying it.
        await backend.ExecuteRawAsync($"INSERT INTO approval_decisions(session_id, call_id, approved) VALUES ('{id}', '{callId}', false)");
        var (status, error) = await a.CallAsync(HttpMethod.Post, $"/v1/sessions/{id}/approvals/{callId}", """{"approved":true}""");

        Assert.Equal((409, "approval_already_decided"), (status, error.GetProperty("error").GetProperty("code").GetString()));
        Assert.Equal(0, book.Orders);
        var (_, session) = await a.CallAsync(HttpMethod.Get, "/v1/sessions/" + id);
        Assert.Single(session.GetProperty("pending_approvals").EnumerateArray());

        // The next input closes it as interrupted: no second decision in the audit (A04), the tool not run.
        var next = await a.RunAsync("orders", "something else", id);
        Assert.DoesNotContain(next.GetProperty("pending_approvals").EnumerateArray(), p => p.GetProperty("call_id").GetString() == callId);
        var audit = await backend.GetAuditAsync(id!);
        Assert.DoesNotContain(audit, r => r.CallId == callId && r.Kind is "approval_granted" or "approval_denied");
        Assert.Single(audit, r => r.CallId == callId && r.Kind == "tool_error" && r.Detail == "approval decided in an interrupted run");
        Assert.Equal(0, book.Orders);
    }

    [Fact]
    public async Task ConsoleAuditView_OnPostgres_ListsBothGatewaysRowsAsOneVerifiedChain()
    {
        await using var backend = await PostgresBackend.OpenAsync();
        var book = new OrderBook();
        await using var a = await StartAsync(backend, book, Models());
        await using var b = await StartAsync(backend, book, Models());
        var run = await a.RunAsync("orders", "order two");
        var id = run.GetProperty("session_id").GetString()!;
        var callId = Assert.Single(run.GetProperty("pending_approvals").EnumerateArray().ToList()).GetProperty("call_id").GetString();
        var (approved, _) = await b.CallAsync(HttpMethod.Post, $"/v1/sessions/{id}/approvals/{callId}", """{"approved":true}""");
        Assert.Equal(200, approved);
        var other = (await b.RunAsync("orders", "order three")).GetProperty("session_id").GetString()!;

        var (status, all) = await b.CallAsync(HttpMethod.Get, "/admin/audit");
        var (filteredStatus, filtered) = await a.CallAsync(HttpMethod.Get, "/admin/audit?session_id=" + id + "&limit=1000");

        Assert.Equal((200, 200), (status, filteredStatus));
        var rows = all.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(await backend.CountAsync("audit"), all.GetProperty("total").GetInt64());
        Assert.Equal(rows.Count, all.GetProperty("total").GetInt64());
        Assert.True(all.GetProperty("verification").GetProperty("valid").GetBoolean());
        Assert.Equal(rows[^1].GetProperty("hash").GetString(), all.GetProperty("verification").GetProperty("head_hash").GetString());
        Assert.Equal(all.GetProperty("genesis_hash").GetString(), rows[0].GetProperty("prev_hash").GetString());
        for (var i = 1; i < rows.Count; i++)
        {
            Assert.Equal(rows[i - 1].GetProperty("hash").GetString(), rows[i].GetProperty("prev_hash").GetString());
            Assert.Equal(rows[i - 1].GetProperty("seq").GetInt64() + 1, rows[i].GetProperty("seq").GetInt64());
        }

        Assert.Contains(rows, r => r.GetProperty("session_id").GetString() == other);
        var own = filtered.GetProperty("data").EnumerateArray().ToList();
        Assert.NotEmpty(own);
        Assert.All(own, r => Assert.Equal(id, r.GetProperty("session_id").GetString()));
        Assert.Contains(own, r => r.GetProperty("kind").GetString() == "approval_granted" && r.GetProperty("call_id").GetString() == callId);
    }

    [Fact]
    public async Task Decide_SameApprovalFromThreeGatewaysAtOnce_ExactlyOneRecorded()
    {
        await using var backend = await PostgresBackend.OpenAsync();
        await backend.Sessions.SaveAsync(SessionStoreContractTests.Sample("s1"), TestContext.Current.CancellationToken);
        var gateways = new[] { new PostgresApprovalDecisions(backend.Database), new PostgresApprovalDecisions(await backend.OpenDatabaseAsync()), new PostgresApprovalDecisions(await backend.OpenDatabaseAsync()) };

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => Task.Run(() => gateways[i % 3].TryDecideAsync("s1", "c1", i % 2 == 0), TestContext.Current.CancellationToken)));

        Assert.Single(outcomes, o => o);
        Assert.False(await gateways[0].TryDecideAsync("missing-session", "c1", true, TestContext.Current.CancellationToken));
        Assert.Equal(1L, await backend.CountAsync("approval_decisions"));
        await backend.Sessions.DeleteAsync("s1", TestContext.Current.CancellationToken);
        Assert.Equal(0L, await backend.CountAsync("approval_decisions"));
    }

    [Fact]
    public async Task Run_SessionLeasedByAnotherGateway_409UntilReleased()
    {
        await using var backend = await PostgresBackend.OpenAsync();
        var book = new OrderBook();
        var echo = new Dictionary<string, IChatClient> { ["small"] = AgentScripts.Echo(), ["tiny"] = AgentScripts.Picks("helper") };
        await using var a = await StartAsync(backend, book, echo);
        var id = (await a.RunAsync("helper", "hello")).GetProperty("session_id").GetString()!;
        var otherGateway = new PostgresSessionLeases(await backend.OpenDatabaseAsync());

        var lease = await otherGateway.TryAcquireAsync(id, TestContext.Current.CancellationToken);
        Assert.NotNull(lease);
        var input = JsonSerializer.Serialize(new { input = "again", session_id = id });
        var (busy, error) = await a.CallAsync(HttpMethod.Post, "/v1/agents/helper/runs", input);
        var (deleteBusy, _) = await a.CallAsync(HttpMethod.Delete, "/v1/sessions/" + id);
        await lease.DisposeAsync();
        var (free, _) = await a.CallAsync(HttpMethod.Post, "/v1/agents/helper/runs", input);

        Assert.Equal((409, "session_busy"), (busy, error.GetProperty("error").GetProperty("code").GetString()));
        Assert.Equal(409, deleteBusy);
        Assert.Equal(200, free);
    }
}
