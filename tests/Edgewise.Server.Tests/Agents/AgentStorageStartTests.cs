using Edgewise.Server.Storage;
using Microsoft.Extensions.AI;

namespace Edgewise.Server.Tests.Agents;

/// <summary>The session database is opened when the server starts, and only when agents are configured.</summary>
public sealed class AgentStorageStartTests
{
    [Fact]
    public async Task Start_P03_SessionDatabaseIsNotADatabase_RefusesToStartAndLeavesTheFile()
    {
        var directory = Directory.CreateTempSubdirectory("edgewise-agents-").FullName;
        try
        {
            var path = Path.Combine(directory, "agents.db");
            var garbage = new byte[4096];
            Array.Fill(garbage, (byte)0x5a);
            await File.WriteAllBytesAsync(path, garbage, TestContext.Current.CancellationToken);

            await Assert.ThrowsAsync<StorageException>(() => AgentServer.StartAsync(
                AgentServer.Yaml(),
                new Dictionary<string, IChatClient> { ["small"] = AgentScripts.Echo(), ["tiny"] = AgentScripts.Picks("helper") },
                directory: directory));

            Assert.Equal(garbage, await File.ReadAllBytesAsync(path, TestContext.Current.CancellationToken));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Start_NoAgentsConfigured_CreatesNoSessionDatabase()
    {
        var directory = Directory.CreateTempSubdirectory("edgewise-agents-").FullName;
        try
        {
            var path = Path.Combine(directory, "agents.db");
            await using (var server = await Support.LiveServer.StartAsync(Support.ScriptedChatClient.Text("hi"), o => o.Agents.DatabasePath = path))
            {
                var (status, _) = await new AgentServerClient(server.Client).GetAsync("/v1/sessions/0123456789abcdef0123456789abcdef");
                Assert.Equal(404, status);
            }

            Assert.False(File.Exists(path));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private sealed class AgentServerClient(HttpClient client)
    {
        public async Task<(int Status, string Body)> GetAsync(string path)
        {
            using var response = await client.GetAsync(path, TestContext.Current.CancellationToken);
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }
    }
}
