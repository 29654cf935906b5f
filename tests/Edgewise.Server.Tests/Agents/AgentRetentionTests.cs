using Edgewise.Agents;
using Edgewise.Server.Storage;
using Microsoft.Extensions.AI;

namespace Edgewise.Server.Tests.Agents;

/// <summary>limits.session_retention: old sessions are deleted on start and by the periodic sweep.</summary>
public sealed class AgentRetentionTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Retention_OnStartAndPeriodically_DeletesSessionsOlderThanTheLimit()
    {
        var directory = Directory.CreateTempSubdirectory("edgewise-agents-").FullName;
        try
        {
            await using (var database = await SqliteDatabase.OpenAsync(new StorageOptions { DatabasePath = Path.Combine(directory, "agents.db") }, TestContext.Current.CancellationToken))
            {
                var store = new SqliteSessionStore(database);
                await store.SaveAsync(Saved("0000000000000000000000000000000a", Start - TimeSpan.FromDays(3)), TestContext.Current.CancellationToken);
                await store.SaveAsync(Saved("0000000000000000000000000000000b", Start - TimeSpan.FromHours(2)), TestContext.Current.CancellationToken);
            }

            var clock = new ManualClock(Start);
            await using var server = await AgentServer.StartAsync(
                AgentServer.Yaml("limits:\n  session_retention: 1d"),
                new Dictionary<string, IChatClient> { ["small"] = AgentScripts.Echo(), ["tiny"] = AgentScripts.Picks("helper") },
                configure: o =>
                {
                    o.Agents.TimeProvider = clock;
                    o.Agents.RetentionSweepInterval = TimeSpan.FromHours(1);
                },
                directory: directory);

            var (old, _) = await server.CallAsync(HttpMethod.Get, "/v1/sessions/0000000000000000000000000000000a");
            var (recent, _) = await server.CallAsync(HttpMethod.Get, "/v1/sessions/0000000000000000000000000000000b");
            Assert.Equal(404, old);
            Assert.Equal(200, recent);
            var fresh = (await server.RunAsync("helper", "hello")).GetProperty("session_id").GetString();

            await Support.LiveServer.WaitUntilAsync(() => clock.PendingTimers > 0);
            clock.Advance(TimeSpan.FromHours(23));
            await Support.LiveServer.WaitUntilAsync(() => Status(server, "/v1/sessions/0000000000000000000000000000000b") == 404);
            Assert.Equal(200, Status(server, "/v1/sessions/" + fresh));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    private static int Status(AgentServer server, string path) => server.CallAsync(HttpMethod.Get, path).GetAwaiter().GetResult().Status;

    private static AgentSession Saved(string id, DateTimeOffset updated)
    {
        var session = new AgentSession(id) { AgentName = "helper", Owner = "local", CreatedAt = updated, UpdatedAt = updated };
        session.Messages.Add(new ChatMessage(ChatRole.User, "old"));
        return session;
    }
}
