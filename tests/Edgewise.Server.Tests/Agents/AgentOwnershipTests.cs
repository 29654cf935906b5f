using Edgewise.Server.Tests.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.AI;

namespace Edgewise.Server.Tests.Agents;

/// <summary>A13: a session belongs to the API key that created it; other keys cannot read, continue, approve or delete it.</summary>
public sealed class AgentOwnershipTests
{
    private static Task<AgentServer> StartAsync(OrderBook book) => AgentServer.StartAsync(
        AgentServer.Yaml(),
        new Dictionary<string, IChatClient> { ["small"] = AgentScripts.CallsTool("record_order", new() { ["quantity"] = 1 }), ["tiny"] = AgentScripts.Picks("orders") },
        TestTools.Create(book),
        o =>
        {
            o.ApiKeys.Add(AgentServer.KeyA);
            o.ApiKeys.Add(AgentServer.KeyB);
        });

    [Fact]
    public async Task Sessions_A13_OtherKeyGets404OnGetContinueApproveAndDelete()
    {
        var book = new OrderBook();
        await using var server = await StartAsync(book);
        var run = await server.RunAsync("orders", "order one", key: AgentServer.KeyA);
        var id = run.GetProperty("session_id").GetString()!;
        var callId = run.GetProperty("pending_approvals")[0].GetProperty("call_id").GetString();

        var (get, getBody) = await server.CallAsync(HttpMethod.Get, "/v1/sessions/" + id, key: AgentServer.KeyB);
        var (missing, missingBody) = await server.CallAsync(HttpMethod.Get, "/v1/sessions/0123456789abcdef0123456789abcdef", key: AgentServer.KeyB);
        var (cont, _) = await server.CallAsync(HttpMethod.Post, "/v1/agents/orders/runs", $$"""{"input":"again","session_id":"{{id}}"}""", AgentServer.KeyB);
        var (approve, _) = await server.CallAsync(HttpMethod.Post, $"/v1/sessions/{id}/approvals/{callId}", """{"approved":true}""", AgentServer.KeyB);
        var (delete, _) = await server.CallAsync(HttpMethod.Delete, "/v1/sessions/" + id, key: AgentServer.KeyB);

        Assert.Equal([404, 404, 404, 404], new[] { get, cont, approve, delete });
        Assert.Equal(404, missing);
        Assert.Equal(missingBody.GetProperty("error").GetRawText(), getBody.GetProperty("error").GetRawText());
        Assert.Equal(0, book.Orders);
        var (owner, session) = await server.CallAsync(HttpMethod.Get, "/v1/sessions/" + id, key: AgentServer.KeyA);
        Assert.Equal(200, owner);
        Assert.Single(session.GetProperty("pending_approvals").EnumerateArray());
    }

    [Fact]
    public async Task Sessions_A13_OwnerIsStoredAsAHashNeverTheKey()
    {
        await using var server = await StartAsync(new OrderBook());
        var idA = (await server.RunAsync("orders", "order one", key: AgentServer.KeyA)).GetProperty("session_id").GetString();
        var idB = (await server.RunAsync("orders", "order one", key: AgentServer.KeyB)).GetProperty("session_id").GetString();

        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = server.DatabasePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ConnectionString);
        connection.Open();
        var ownerA = (string)TempDatabase.Scalar(connection, $"SELECT owner FROM sessions WHERE id = '{idA}'")!;
        var ownerB = (string)TempDatabase.Scalar(connection, $"SELECT owner FROM sessions WHERE id = '{idB}'")!;
        var everything = (string)TempDatabase.Scalar(connection, "SELECT group_concat(owner || state || pending_approvals, '|') FROM sessions")!;

        Assert.NotEqual(ownerA, ownerB);
        Assert.StartsWith("key:", ownerA, StringComparison.Ordinal);
        Assert.Equal(4 + 64, ownerA.Length);
        Assert.DoesNotContain(AgentServer.KeyA, everything, StringComparison.Ordinal);
        Assert.DoesNotContain(AgentServer.KeyB, everything, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sessions_A13_IdsAre128BitRandomHex()
    {
        await using var server = await StartAsync(new OrderBook());
        var ids = new HashSet<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await server.RunAsync("orders", "order one", key: AgentServer.KeyA)).GetProperty("session_id").GetString()!);
        }

        Assert.Equal(5, ids.Count);
        Assert.All(ids, id => Assert.Matches("^[0-9a-f]{32}$", id));
    }

    [Fact]
    public async Task Sessions_A13_WithoutAKey_Returns401()
    {
        await using var server = await StartAsync(new OrderBook());
        var id = (await server.RunAsync("orders", "order one", key: AgentServer.KeyA)).GetProperty("session_id").GetString();

        var (status, _) = await server.CallAsync(HttpMethod.Get, "/v1/sessions/" + id);

        Assert.Equal(401, status);
    }
}
