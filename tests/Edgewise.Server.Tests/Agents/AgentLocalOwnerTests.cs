using Edgewise.Agents;
using Edgewise.Server.Storage;
using Microsoft.Extensions.AI;

namespace Edgewise.Server.Tests.Agents;

/// <summary>
/// Sessions saved by <c>edgewise chat</c> (owner "local", or no owner from versions that recorded none) are the local
/// owner's: reachable over HTTP while no API keys are configured, and never by a keyed caller (A13).
/// </summary>
public sealed class AgentLocalOwnerTests
{
    private const string Recorded = "0000000000000000000000000000000c";
    private const string Unrecorded = "0000000000000000000000000000000d";

    [Fact]
    public async Task LocalSessions_WithoutKeys_ListedAndReadable()
    {
        var directory = await SeedAsync();
        try
        {
            await using var server = await AgentServer.StartAsync(AgentServer.Yaml(), Models(), directory: directory);
            var (list, body) = await server.CallAsync(HttpMethod.Get, "/v1/sessions");
            Assert.Equal(200, list);
            Assert.Equal([Recorded, Unrecorded], body.GetProperty("data").EnumerateArray().Select(s => s.GetProperty("id").GetString()).Order());
            Assert.Equal(200, (await server.CallAsync(HttpMethod.Get, "/v1/sessions/" + Recorded)).Status);
            Assert.Equal(200, (await server.CallAsync(HttpMethod.Get, "/v1/sessions/" + Unrecorded)).Status);
            var continued = await server.RunAsync("helper", "and now?", Unrecorded);
            Assert.Equal(Unrecorded, continued.GetProperty("session_id").GetString());
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task LocalSessions_A13_KeyedCaller_GetsNotFoundAndAnEmptyList()
    {
        var directory = await SeedAsync();
        try
        {
            await using var server = await AgentServer.StartAsync(AgentServer.Yaml(), Models(), configure: o => o.ApiKeys.Add(AgentServer.KeyA), directory: directory);
            var (_, body) = await server.CallAsync(HttpMethod.Get, "/v1/sessions", key: AgentServer.KeyA);
            Assert.Empty(body.GetProperty("data").EnumerateArray());
            Assert.Equal(404, (await server.CallAsync(HttpMethod.Get, "/v1/sessions/" + Recorded, key: AgentServer.KeyA)).Status);
            Assert.Equal(404, (await server.CallAsync(HttpMethod.Get, "/v1/sessions/" + Unrecorded, key: AgentServer.KeyA)).Status);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    private static Dictionary<string, IChatClient> Models() => new() { ["small"] = AgentScripts.Echo(), ["tiny"] = AgentScripts.Picks("helper") };

    private static async Task<string> SeedAsync()
    {
        var directory = Directory.CreateTempSubdirectory("edgewise-agents-").FullName;
        await using var database = await SqliteDatabase.OpenAsync(new StorageOptions { DatabasePath = Path.Combine(directory, "agents.db") }, TestContext.Current.CancellationToken);
        var store = new SqliteSessionStore(database);
        await store.SaveAsync(Saved(Recorded, AgentSession.LocalOwner), TestContext.Current.CancellationToken);
        await store.SaveAsync(Saved(Unrecorded, null), TestContext.Current.CancellationToken);
        return directory;
    }

    private static AgentSession Saved(string id, string? owner)
    {
        var session = new AgentSession(id) { AgentName = "helper", Owner = owner };
        session.Messages.Add(new ChatMessage(ChatRole.User, "from the terminal"));
        session.Messages.Add(new ChatMessage(ChatRole.Assistant, "hello"));
        return session;
    }
}
