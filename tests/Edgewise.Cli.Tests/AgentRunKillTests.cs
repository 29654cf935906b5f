using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Edgewise.Server.Storage;
using Edgewise.Testing;

namespace Edgewise.Cli.Tests;

/// <summary>
/// docs/security.md P01 during agent runs, repeated: a real <c>edgewise serve</c> with an agent on the reference model,
/// several clients continuing their own sessions, killed with SIGKILL at a random moment, started again on the same
/// database, and killed again. Afterwards every turn a client saw acknowledged (a 200 with the session id) is in its
/// session, no session holds half a turn, the database passes <c>integrity_check</c>, and <c>edgewise audit verify</c>
/// verifies the chain and its head. CI runs 3 kills; the scale run is
/// <c>EDGEWISE_AGENT_KILLS=1000 dotnet test tests/Edgewise.Cli.Tests -c Release --filter AgentRunKill -- RunConfiguration.TestSessionTimeout=14400000</c>.
/// </summary>
public sealed class AgentRunKillTests(ITestOutputHelper output)
{
    private const int Clients = 4;
    private const int TurnsPerSession = 40;
    private static readonly int Kills = int.TryParse(Environment.GetEnvironmentVariable("EDGEWISE_AGENT_KILLS"), out var kills) && kills > 0 ? kills : 3;

    [Fact]
    public async Task Serve_P01_AgentKill_KilledDuringAgentRunsAgainAndAgain_NoAcknowledgedTurnLostChainVerifies()
    {
        using var dir = new ServeTempDirectory();
        var model = dir.Copy(SharedPaths.ReferenceFile("models", "ref-phi4-Q8_0.gguf"), "ref.gguf");
        var config = dir.Write("edgewise.yaml", $"""
            models:
              ref:
                path: {model}
                parallel: 4
            agents:
              clerk:
                description: Answers in one short sentence.
                instructions: Answer in one short sentence.
                model: ref
                max_tokens: 4
            """);
        var sessions = new string?[Clients];
        var acknowledgedTurns = new Dictionary<string, int>(StringComparer.Ordinal);
        var random = new Random(2027);
        var runs = 0;
        var refusals = new System.Collections.Concurrent.ConcurrentQueue<string>();
        for (var kill = 0; kill < Kills; kill++)
        {
            var (process, address) = await ServeProcess.StartServerAsync(dir.Path, "serve", "--port", "0", "--config", config);
            await using (process)
            {
                using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(2) };
                using var stop = new CancellationTokenSource();
                refusals.Clear();
                var firstAcknowledged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                var clients = Enumerable.Range(0, Clients).Select(c => ClientAsync(http, c, firstAcknowledged, stop.Token)).ToArray();

                // Killed at a random moment after this start's first acknowledged run, while the others are in flight.
                if (await Task.WhenAny(firstAcknowledged.Task, Task.Delay(TimeSpan.FromMinutes(2), TestContext.Current.CancellationToken)) != firstAcknowledged.Task)
                {
                    Assert.Fail($"start {kill + 1}: no agent run acknowledged in 2 minutes; refusals: {string.Join("; ", refusals)}");
                }

                await Task.Delay(random.Next(0, 800), TestContext.Current.CancellationToken);
                await process.KillAsync();
                await stop.CancelAsync();
                foreach (var (client, turns) in await Task.WhenAll(clients))
                {
                    foreach (var (session, count) in turns)
                    {
                        runs++;
                        sessions[client] = session;
                        acknowledgedTurns[session] = Math.Max(acknowledgedTurns.GetValueOrDefault(session), count);
                    }
                }
            }

            // A client whose session was never acknowledged starts a new one next time; one whose was goes on with it.
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Kills} kills; {runs} acknowledged agent runs in {acknowledgedTurns.Count} sessions"));
        Assert.NotEmpty(acknowledgedTurns);

        var path = Path.Combine(dir.Path, "agents.db");
        await using (var database = await SqliteDatabase.OpenAsync(new StorageOptions { DatabasePath = path }, TestContext.Current.CancellationToken))
        {
            await using (var connection = await database.OpenReadConnectionAsync(TestContext.Current.CancellationToken))
            using (var command = connection.CreateCommand())
            {
                command.CommandText = "PRAGMA integrity_check";
                Assert.Equal("ok", await command.ExecuteScalarAsync(TestContext.Current.CancellationToken));
            }

            var store = new SqliteSessionStore(database);
            foreach (var (id, turns) in acknowledgedTurns)
            {
                var session = await store.GetAsync(id, TestContext.Current.CancellationToken);
                Assert.NotNull(session);
                var users = session.Messages.Count(m => m.Role == Microsoft.Extensions.AI.ChatRole.User);
                var answers = session.Messages.Count(m => m.Role == Microsoft.Extensions.AI.ChatRole.Assistant);
                Assert.True(users >= turns, $"{id}: {users} turns stored, {turns} acknowledged");
                Assert.True(answers >= users, $"{id}: {users} inputs but {answers} answers (half a turn)");
            }
        }

        var verify = await ServeProcess.RunToExitAsync(dir.Path, "audit", "verify", "--json");
        Assert.True(verify.Code == 0, verify.Out + verify.Err);
        using var report = JsonDocument.Parse(verify.Out);
        Assert.True(report.RootElement.GetProperty("valid").GetBoolean());

        // One client continues its session until the server dies; each 200 acknowledges one more turn of it.
        async Task<(int Client, List<(string Session, int Turns)> Turns)> ClientAsync(HttpClient http, int client, TaskCompletionSource firstAcknowledged, CancellationToken stopping)
        {
            var seen = new List<(string, int)>();
            var session = sessions[client];
            var turns = session is null ? 0 : acknowledgedTurns[session];
            while (!stopping.IsCancellationRequested)
            {
                if (turns >= TurnsPerSession)
                {
                    // A session that outgrows the model's context gets 400 context_length_exceeded; start another.
                    session = null;
                    turns = 0;
                }

                try
                {
                    object body = session is null ? new { input = "order " + turns } : new { input = "order " + turns, session_id = session };
                    using var response = await http.PostAsJsonAsync("/v1/agents/clerk/runs", body, stopping);
                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        if (refusals.Count < 20)
                        {
                            refusals.Enqueue($"client {client}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(stopping)}");
                        }

                        await Task.Delay(50, stopping); // refused (busy, draining): try again, as a client would
                        continue;
                    }

                    using var result = JsonDocument.Parse(await response.Content.ReadAsStringAsync(stopping));
                    session = result.RootElement.GetProperty("session_id").GetString()!;
                    turns++;
                    seen.Add((session, turns));
                    firstAcknowledged.TrySetResult();
                }
                catch (Exception e) when (e is IOException or HttpRequestException or OperationCanceledException)
                {
                    if (!stopping.IsCancellationRequested && refusals.Count < 20)
                    {
                        refusals.Enqueue($"client {client}: {e.GetType().Name}: {e.Message}");
                    }

                    break;
                }
            }

            return (client, seen);
        }
    }
}
