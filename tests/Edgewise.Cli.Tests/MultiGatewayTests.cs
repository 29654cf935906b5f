using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Edgewise.Server.Storage;
using Edgewise.Testing;
using Npgsql;

namespace Edgewise.Cli.Tests;

/// <summary>
/// Several gateways behind one address, as real processes: two <c>edgewise serve</c> backends serving the reference
/// model, two gateways on one PostgreSQL database (<c>storage.kind: postgres</c>) whose model fails over from the
/// first backend to the second, and nginx with deploy/nginx/edgewise.conf in front. The agent's <c>tool_choice</c>
/// names a tool that needs approval (an MCP tool of this test assembly), so every input makes the backend emit a
/// schema-valid tool call through constrained decoding and the gateway ask for an approval. Eight clients hold
/// multi-turn streamed sessions through nginx and answer each approval through nginx, directly on one gateway, or
/// on both gateways at once with opposite answers, while one gateway and one backend are killed with SIGKILL.
/// Afterwards every acknowledged turn is in its session, the audit chain verifies, no approval was decided twice
/// (PostgreSQL's decisions and audit rows, and the answers the clients got), every losing answer was a clear
/// conflict, and no approved tool ran twice. Opt-in (needs nginx and <c>EDGEWISE_TEST_PG</c>):
/// <c>EDGEWISE_MULTI_GATEWAY_TEST=1</c>.
/// </summary>
public sealed class MultiGatewayTests
{
    public const string OptIn = "EDGEWISE_MULTI_GATEWAY_TEST";

    private const int Clients = 8;
    private const int TurnsPerClient = 4;

    [Fact]
    public async Task Gateways_KillOneGatewayAndOneBackendDuringStreamedRuns_NoAcknowledgedTurnLostNoApprovalDecidedTwice()
    {
        if (Environment.GetEnvironmentVariable(OptIn) != "1")
        {
            Assert.Skip(OptIn + "=1 runs this multi-process test (two gateways, two backends, nginx, PostgreSQL from EDGEWISE_TEST_PG).");
        }

        var admin = Environment.GetEnvironmentVariable("EDGEWISE_TEST_PG");
        Assert.False(string.IsNullOrWhiteSpace(admin), "EDGEWISE_TEST_PG must name a PostgreSQL server (bash .ci/run starts one).");
        Assert.True(File.Exists("/usr/sbin/nginx"), "nginx must be installed (apt-get install nginx).");
        var cancel = TestContext.Current.CancellationToken;
        var schema = "mg_" + Guid.NewGuid().ToString("N");
        await ExecuteAsync(admin!, "CREATE SCHEMA " + schema);
        var connection = new NpgsqlConnectionStringBuilder(admin) { SearchPath = schema }.ConnectionString;
        var variable = "EDGEWISE_PG_" + schema.ToUpperInvariant();
        Environment.SetEnvironmentVariable(variable, connection);
        using var dir = new ServeTempDirectory();
        var processes = new List<ServeProcess>();
        Process? nginx = null;
        try
        {
            var model = dir.Copy(SharedPaths.ReferenceFile("models", "ref-phi4-Q8_0.gguf"), "ref.gguf");
            var backends = new List<(ServeProcess Process, Uri Address)>();
            foreach (var name in new[] { "b1", "b2" })
            {
                var started = await ServeProcess.StartServerAsync(Home(dir, name), "serve", "--model", model, "--port", "0");
                processes.Add(started.Process);
                backends.Add(started);
            }

            // The tool is the test assembly's MCP "sleep" (one integer argument, so a random-weight model's forced call
            // ends within a few dozen tokens); listed under approval_required it never runs unapproved.
            var config = dir.Write("gateway.yaml", $"""
                storage:
                  kind: postgres
                  connection_string_env: {variable}
                  lease_duration: 3s
                models:
                  primary:
                    url: {backends[0].Address}v1
                    model: ref
                    failover: [secondary]
                  secondary:
                    url: {backends[1].Address}v1
                    model: ref
                agents:
                  clerk:
                    description: Answers in one short sentence.
                    instructions: Answer in one short sentence.
                    model: primary
                    tools: [lab/sleep]
                    approval_required: [lab/sleep]
                    tool_choice: lab/sleep
                    max_tokens: 64
                    temperature: 0
                limits:
                  tool_timeout: 2s
                mcp_servers:
                  lab:
                {McpTestServer.Yaml("    ")}
                """);
            var pin = CliRunner.Run("mcp", "pin", "lab", "sleep", "--config", config);
            Assert.True(pin.ExitCode == 0, pin.Err);

            var gateways = new List<(ServeProcess Process, Uri Address)>();
            foreach (var name in new[] { "g1", "g2" })
            {
                var started = await ServeProcess.StartServerAsync(Home(dir, name), "serve", "--port", "0", "--config", config);
                processes.Add(started.Process);
                gateways.Add(started);
            }

            var port = FreePort();
            nginx = StartNginx(dir, port, gateways[0].Address.Port, gateways[1].Address.Port);
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(2) };
            using var direct1 = new HttpClient { BaseAddress = gateways[0].Address, Timeout = TimeSpan.FromMinutes(2) };
            using var direct2 = new HttpClient { BaseAddress = gateways[1].Address, Timeout = TimeSpan.FromMinutes(2) };
            await WaitReadyAsync(http);

            var seen = new Observations(http, [direct1, direct2]);
            var firstTurns = new CountdownEvent(Clients * 2);
            var clients = Enumerable.Range(0, Clients).Select(i => Task.Run(() => ClientAsync(seen, i, firstTurns), cancel)).ToList();

            // Kill one gateway and one backend once a quarter of the turns are acknowledged, with streams in flight.
            Assert.True(firstTurns.Wait(TimeSpan.FromMinutes(3), cancel), "the first turns never completed");
            Kill(gateways[0].Process);
            Kill(backends[0].Process);
            var sessions = await Task.WhenAll(clients).WaitAsync(TimeSpan.FromMinutes(6), cancel);

            Assert.Equal(Clients * TurnsPerClient, seen.Acknowledged.Count);
            foreach (var session in sessions)
            {
                using var response = await http.GetAsync("/v1/sessions/" + session, cancel);
                var body = await response.Content.ReadAsStringAsync(cancel);
                Assert.True(response.IsSuccessStatusCode, body);
                var inputs = JsonDocument.Parse(body).RootElement.GetProperty("messages").EnumerateArray()
                    .Where(m => m.GetProperty("role").GetString() == "user").Select(m => m.GetProperty("content").ToString()).ToList();
                foreach (var (_, input) in seen.Acknowledged.Where(a => a.Session == session))
                {
                    Assert.Contains(inputs, text => text.Contains(input, StringComparison.Ordinal));
                }
            }

            await using var database = await PostgresDatabase.OpenAsync(new PostgresStorageOptions { ConnectionString = connection }, cancel);
            var audit = await new PostgresAuditLog(database).VerifyAsync(cancel);
            Assert.True(audit.IsValid, "audit chain broken at " + audit.FirstBrokenSeq);
            var summary = await AssertOneDecisionPerApprovalAsync(connection, seen);
            TestContext.Current.TestOutputHelper?.WriteLine(
                $"multi-gateway: {seen.Acknowledged.Count} acknowledged turns in {sessions.Length} sessions, {audit.RowsChecked} audit rows verified; "
                + summary + $"; {seen.Attempts} run attempts, failed ones by status: "
                + string.Join(", ", seen.Failures.OrderBy(f => f.Key).Select(f => $"{f.Key switch { 0 => "dropped", -1 => "sse-error", _ => f.Key.ToString(System.Globalization.CultureInfo.InvariantCulture) }}={f.Value}"))
                + "; sse error codes: " + string.Join(", ", seen.ErrorCodes.Select(e => e.Key + "=" + e.Value))
                + "; approval answers: " + string.Join(", ", seen.Answers.OrderBy(a => a.Key).Select(a => a.Key + "=" + a.Value)));
        }
        finally
        {
            if (nginx is not null)
            {
                nginx.Kill(entireProcessTree: true);
                await nginx.WaitForExitAsync(CancellationToken.None);
                nginx.Dispose();
            }

            foreach (var process in processes)
            {
                await process.DisposeAsync();
            }

            Environment.SetEnvironmentVariable(variable, null);
            NpgsqlConnection.ClearAllPools();
            await ExecuteAsync(admin!, "DROP SCHEMA " + schema + " CASCADE");
        }
    }

    /// <summary>
    /// Checks PostgreSQL against what the clients saw: at most one decision row (approval_decisions) and at most one
    /// granted-or-denied audit row per approval; exactly one decision row for every approval a client answered; the
    /// row's answer is the one whose request got 200; an approval granted in the audit was approved in the decision;
    /// a tool call ran at most once and only after its approval was granted.
    /// </summary>
    private static async Task<string> AssertOneDecisionPerApprovalAsync(string connection, Observations seen)
    {
        await using var db = new NpgsqlConnection(connection);
        await db.OpenAsync(TestContext.Current.CancellationToken);
        var decisions = new Dictionary<(string, string), bool>();
        await using (var command = new NpgsqlCommand("SELECT session_id, call_id, approved FROM approval_decisions", db))
        await using (var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken))
        {
            while (await reader.ReadAsync(TestContext.Current.CancellationToken))
            {
                Assert.True(decisions.TryAdd((reader.GetString(0), reader.GetString(1)), reader.GetBoolean(2)), "two decision rows for one approval");
            }
        }

        var events = new List<(string Session, string? CallId, string Kind, string Detail)>();
        await using (var command = new NpgsqlCommand("SELECT session_id, call_id, kind, detail FROM audit ORDER BY seq", db))
        await using (var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken))
        {
            while (await reader.ReadAsync(TestContext.Current.CancellationToken))
            {
                events.Add((reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetString(2), reader.GetString(3)));
            }
        }

        var requested = events.Where(e => e.Kind == "approval_requested").Select(e => (e.Session, e.CallId!)).ToHashSet();
        var decided = events.Where(e => e.Kind is "approval_granted" or "approval_denied").GroupBy(e => (e.Session, e.CallId!)).ToList();
        foreach (var group in decided)
        {
            Assert.True(group.Count() == 1, $"approval {group.Key} decided {group.Count()} times in the audit: " + string.Join(", ", group.Select(e => e.Kind + " (" + e.Detail + ")")));
            Assert.Contains(group.Key, requested);
            if (group.Single().Kind == "approval_granted")
            {
                Assert.True(decisions.TryGetValue(group.Key, out var approved) && approved, $"approval {group.Key} granted in the audit without an approving decision row");
            }
        }

        var granted = decided.Where(g => g.Single().Kind == "approval_granted").Select(g => g.Key).ToHashSet();
        foreach (var calls in events.Where(e => e.Kind == "tool_call").GroupBy(e => (e.Session, e.CallId!)))
        {
            Assert.True(calls.Count() == 1, $"tool call {calls.Key} ran {calls.Count()} times");
            Assert.Contains(calls.Key, granted);
        }

        foreach (var approval in seen.Answered)
        {
            Assert.True(decisions.ContainsKey(approval), $"approval {approval} was answered but has no decision row");
            Assert.Contains(approval, requested);
        }

        foreach (var (approval, approved) in seen.Winners)
        {
            Assert.Equal(approved, decisions[approval]);
        }

        Assert.True(seen.Races.Count > 0, "no approval was raced on both gateways");
        var racesWon = 0;
        foreach (var race in seen.Races)
        {
            var wins = race.Outcomes.Count(o => o.Status == 200);
            Assert.True(wins <= 1, $"race on {race.Approval} answered 200 {wins} times");
            if (race.Outcomes.All(o => !o.Transport && !o.Interrupted))
            {
                Assert.True(wins == 1, $"race on {race.Approval} reached both gateways but nobody won: " + string.Join(", ", race.Outcomes));
            }

            foreach (var loser in race.Outcomes.Where(o => o.Status != 200 && !o.Transport))
            {
                Assert.True(loser.Code is "approval_not_found" or "approval_already_decided", $"race on {race.Approval}: the loser got {loser}");
            }

            racesWon += wins;
        }

        return $"{requested.Count} approvals requested, {seen.Answered.Count} answered by clients, {decisions.Count} decision rows, "
            + $"{decided.Count} decided in the audit ({granted.Count} granted), {seen.Races.Count} races on both gateways ({racesWon} with a 200 winner)";
    }

    /// <summary>
    /// One client: a session of <see cref="TurnsPerClient"/> streamed turns, each retried until acknowledged; every turn
    /// asks for an approval, which the client answers through nginx, directly on one gateway, or on both at once.
    /// </summary>
    private static async Task<string> ClientAsync(Observations seen, int client, CountdownEvent firstTurns)
    {
        string? session = null;
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
        for (var turn = 0; turn < TurnsPerClient; turn++)
        {
            var input = $"client {client} turn {turn}";
            JsonElement result;
            while (true)
            {
                Assert.True(DateTime.UtcNow < deadline, $"client {client} could not complete turn {turn}");
                var (status, started, body) = await RunStreamAsync(seen, input, session);
                seen.Attempt(status, body is not null);
                if (body is { } done)
                {
                    session = started;
                    result = done;
                    break;
                }

                if (status == 404 && session is not null && !seen.IsAcknowledged(session))
                {
                    session = null; // the first turn died before its session was saved: start again
                }

                await Task.Delay(status == 409 ? 1000 : 300, TestContext.Current.CancellationToken);
            }

            seen.Acknowledge(session!, input);
            if (turn < 2)
            {
                firstTurns.Signal();
            }

            var pending = Pending(result);
            for (var round = 0; pending.Count > 0 && round < 4; round++)
            {
                var (callId, hash) = pending[0];
                var approval = (session!, callId);
                var approved = (client + turn + round) % 2 == 0;
                switch ((client + turn + round) % 3)
                {
                    case 0:
                        await seen.AnswerAsync(seen.Proxy, approval, hash, approved, fallback: null);
                        break;
                    case 1:
                        await seen.AnswerAsync(seen.Gateways[(client + turn) % 2], approval, hash, approved, fallback: seen.Proxy);
                        break;
                    default:
                        await seen.RaceAsync(approval, hash, approved);
                        break;
                }

                var after = await seen.PendingAsync(session!);
                if (after.Any(p => p.CallId == callId))
                {
                    break; // decided, but its gateway died before the resumed run was saved: the next input supersedes it
                }

                pending = after;
            }
        }

        return session!;
    }

    private static List<(string CallId, string Hash)> Pending(JsonElement result) =>
        result.TryGetProperty("pending_approvals", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Select(p => (p.GetProperty("call_id").GetString()!, p.GetProperty("arguments_hash").GetString()!)).ToList()
            : [];

    /// <summary>One streamed run: the HTTP status, the session id from the <c>session</c> event, and the <c>result</c> event's object if one came.</summary>
    private static async Task<(int Status, string? Session, JsonElement? Result)> RunStreamAsync(Observations seen, string input, string? session)
    {
        try
        {
            var body = JsonSerializer.Serialize(new Dictionary<string, object?> { ["input"] = input, ["session_id"] = session, ["stream"] = true });
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/agents/clerk/runs") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            using var response = await seen.Proxy.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return ((int)response.StatusCode, session, null);
            }

            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken));
            string? kind = null;
            var id = session;
            while (await reader.ReadLineAsync(TestContext.Current.CancellationToken) is { } line)
            {
                if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    kind = line["event: ".Length..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal) && kind == "session")
                {
                    id = JsonDocument.Parse(line["data: ".Length..]).RootElement.GetProperty("session_id").GetString();
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal) && kind == "result")
                {
                    return (200, id, JsonDocument.Parse(line["data: ".Length..]).RootElement.Clone());
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal) && kind == "error")
                {
                    seen.SseError(JsonDocument.Parse(line["data: ".Length..]).RootElement.GetProperty("error").GetProperty("code").ToString());
                    return (-1, id, null);
                }
            }

            return (0, id, null);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return (0, session, null);
        }
    }

    /// <summary>
    /// The final answer one request got for an approval: 200, a conflict (status and code), or no answer
    /// (<paramref name="Transport"/>); <paramref name="Interrupted"/> when an earlier try of it failed with 5xx or a drop.
    /// </summary>
    private sealed record Outcome(int Status, string? Code, bool Approved, bool Transport, bool Interrupted);

    private sealed record Race((string Session, string CallId) Approval, Outcome[] Outcomes);

    /// <summary>What the clients did and saw, shared between them.</summary>
    private sealed class Observations(HttpClient proxy, HttpClient[] gateways)
    {
        public HttpClient Proxy { get; } = proxy;

        public HttpClient[] Gateways { get; } = gateways;

        public List<(string Session, string Input)> Acknowledged { get; } = [];

        public System.Collections.Concurrent.ConcurrentDictionary<int, int> Failures { get; } = new();

        public System.Collections.Concurrent.ConcurrentDictionary<string, int> ErrorCodes { get; } = new();

        public System.Collections.Concurrent.ConcurrentDictionary<string, int> Answers { get; } = new();

        public System.Collections.Concurrent.ConcurrentDictionary<(string, string), bool> Winners { get; } = new();

        public System.Collections.Concurrent.ConcurrentBag<(string, string)> AnsweredBag { get; } = [];

        public HashSet<(string, string)> Answered => [.. AnsweredBag];

        public System.Collections.Concurrent.ConcurrentBag<Race> Races { get; } = [];

        public int Attempts => Volatile.Read(ref _attempts);

        private int _attempts;

        public void Attempt(int status, bool succeeded)
        {
            Interlocked.Increment(ref _attempts);
            if (!succeeded)
            {
                Failures.AddOrUpdate(status, 1, (_, n) => n + 1);
            }
        }

        public void SseError(string code) => ErrorCodes.AddOrUpdate(code, 1, (_, n) => n + 1);

        public void Acknowledge(string session, string input)
        {
            lock (Acknowledged)
            {
                Acknowledged.Add((session, input));
            }
        }

        public bool IsAcknowledged(string session)
        {
            lock (Acknowledged)
            {
                return Acknowledged.Any(a => a.Session == session);
            }
        }

        /// <summary>The same approval answered on both gateways at once, approving on one and denying on the other.</summary>
        public async Task RaceAsync((string Session, string CallId) approval, string hash, bool approved)
        {
            var outcomes = await Task.WhenAll(
                AnswerAsync(Gateways[0], approval, hash, approved, fallback: null),
                AnswerAsync(Gateways[1], approval, hash, !approved, fallback: null));
            Races.Add(new Race(approval, outcomes));
        }

        /// <summary>
        /// Answers until the answer is final: 200, <c>approval_not_found</c> or <c>approval_already_decided</c>;
        /// <c>session_busy</c>, 502/503/504 and dropped connections are retried (the last only through nginx or
        /// <paramref name="fallback"/>: a dead gateway refuses connections for good).
        /// </summary>
        public async Task<Outcome> AnswerAsync(HttpClient http, (string Session, string CallId) approval, string hash, bool approved, HttpClient? fallback)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
            var interrupted = false;
            while (true)
            {
                Assert.True(DateTime.UtcNow < deadline, $"approval {approval} got no final answer");
                int status;
                string? code = null;
                try
                {
                    var body = JsonSerializer.Serialize(new Dictionary<string, object?> { ["approved"] = approved, ["arguments_hash"] = hash });
                    using var response = await http.PostAsync(
                        $"/v1/sessions/{approval.Session}/approvals/{approval.CallId}",
                        new StringContent(body, Encoding.UTF8, "application/json"),
                        TestContext.Current.CancellationToken);
                    status = (int)response.StatusCode;
                    var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
                    if (status != 200 && text.StartsWith('{'))
                    {
                        code = JsonDocument.Parse(text).RootElement.TryGetProperty("error", out var error) && error.TryGetProperty("code", out var c) ? c.ToString() : null;
                    }
                }
                catch (Exception e) when (e is HttpRequestException or IOException)
                {
                    Answers.AddOrUpdate("dropped", 1, (_, n) => n + 1);
                    if (http != Proxy && fallback is null)
                    {
                        return new Outcome(0, null, approved, Transport: true, interrupted);
                    }

                    interrupted = true;

                    http = http == Proxy ? http : fallback!;
                    await Task.Delay(300, TestContext.Current.CancellationToken);
                    continue;
                }

                Answers.AddOrUpdate(code ?? status.ToString(System.Globalization.CultureInfo.InvariantCulture), 1, (_, n) => n + 1);
                if (status == 200)
                {
                    AnsweredBag.Add(approval);
                    Assert.True(Winners.TryAdd(approval, approved), $"approval {approval} was answered 200 twice");
                    return new Outcome(status, null, approved, Transport: false, interrupted);
                }

                if (code is "approval_not_found" or "approval_already_decided")
                {
                    AnsweredBag.Add(approval);
                    return new Outcome(status, code, approved, Transport: false, interrupted);
                }

                Assert.True(status is 409 or 502 or 503 or 504, $"approval {approval}: unexpected answer {status} {code}");
                interrupted |= status != 409;
                await Task.Delay(status == 409 ? 200 : 300, TestContext.Current.CancellationToken);
            }
        }

        /// <summary>The session's pending approvals, read through nginx (retried while a gateway is going away).</summary>
        public async Task<List<(string CallId, string Hash)>> PendingAsync(string session)
        {
            for (var i = 0; ; i++)
            {
                try
                {
                    using var response = await Proxy.GetAsync("/v1/sessions/" + session, TestContext.Current.CancellationToken);
                    if (response.IsSuccessStatusCode)
                    {
                        return Pending(JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement);
                    }

                    Assert.True(i < 50, $"session {session}: {(int)response.StatusCode}");
                }
                catch (Exception e) when (e is HttpRequestException or IOException)
                {
                    Assert.True(i < 50, $"session {session}: {e.Message}");
                }

                await Task.Delay(300, TestContext.Current.CancellationToken);
            }
        }
    }

    private static Process StartNginx(ServeTempDirectory dir, int port, int gateway1, int gateway2)
    {
        var prefix = Directory.CreateDirectory(Path.Combine(dir.Path, "nginx")).FullName;
        var shipped = File.ReadAllText(Path.Combine(RepositoryRoot(), "deploy", "nginx", "edgewise.conf"));
        var config = shipped
            .Replace("server 127.0.0.1:11435 ", $"server 127.0.0.1:{gateway1} ", StringComparison.Ordinal)
            .Replace("server 127.0.0.1:11436 ", $"server 127.0.0.1:{gateway2} ", StringComparison.Ordinal)
            .Replace("listen 127.0.0.1:8080;", $"listen 127.0.0.1:{port};", StringComparison.Ordinal)
            .Replace("pid /run/nginx-edgewise.pid;", $"pid {prefix}/nginx.pid;", StringComparison.Ordinal)
            .Replace("/var/log/nginx/", prefix + "/", StringComparison.Ordinal);
        Assert.Contains($":{gateway2} ", config, StringComparison.Ordinal);
        var path = Path.Combine(prefix, "edgewise.conf");
        File.WriteAllText(path, config);
        var start = new ProcessStartInfo("/usr/sbin/nginx") { UseShellExecute = false };
        foreach (var argument in new[] { "-p", prefix, "-c", path, "-g", "daemon off;" })
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start)!;
    }

    private static async Task WaitReadyAsync(HttpClient http)
    {
        for (var i = 0; i < 100; i++)
        {
            try
            {
                using var response = await http.GetAsync("/health/live", TestContext.Current.CancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        Assert.Fail("nginx never answered");
    }

    private static void Kill(ServeProcess process) => Process.GetProcessById(process.Id).Kill();

    private static string Home(ServeTempDirectory dir, string name) => Directory.CreateDirectory(Path.Combine(dir.Path, name)).FullName;

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Edgewise.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("the repository root is not above " + AppContext.BaseDirectory);
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(CancellationToken.None);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(CancellationToken.None);
    }
}
