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
/// first backend to the second, and nginx with deploy/nginx/edgewise.conf in front. Eight clients hold multi-turn
/// streamed agent sessions through nginx while one gateway and one backend are killed with SIGKILL; afterwards
/// every acknowledged turn is in its session and the audit chain verifies. Opt-in (about a minute, needs nginx and
/// <c>EDGEWISE_TEST_PG</c>): <c>EDGEWISE_MULTI_GATEWAY_TEST=1</c>.
/// </summary>
public sealed class MultiGatewayTests
{
    public const string OptIn = "EDGEWISE_MULTI_GATEWAY_TEST";

    private const int Clients = 8;
    private const int TurnsPerClient = 4;

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, int> s_failures = new();
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> s_errorCodes = new();
    private static int s_attempts;

    [Fact]
    public async Task Gateways_KillOneGatewayAndOneBackendDuringStreamedRuns_NoAcknowledgedTurnLost()
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
                    max_tokens: 12
                """);
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
            await WaitReadyAsync(http);

            var acknowledged = new List<(string Session, string Input)>();
            var firstTurns = new CountdownEvent(Clients * 2);
            var clients = Enumerable.Range(0, Clients).Select(i => Task.Run(() => ClientAsync(http, i, acknowledged, firstTurns), cancel)).ToList();

            // Kill one gateway and one backend once a quarter of the turns are acknowledged, with streams in flight.
            Assert.True(firstTurns.Wait(TimeSpan.FromMinutes(3), cancel), "the first turns never completed");
            Kill(gateways[0].Process);
            Kill(backends[0].Process);
            var sessions = await Task.WhenAll(clients).WaitAsync(TimeSpan.FromMinutes(5), cancel);

            Assert.Equal(Clients * TurnsPerClient, acknowledged.Count);
            foreach (var session in sessions)
            {
                using var response = await http.GetAsync("/v1/sessions/" + session, cancel);
                var body = await response.Content.ReadAsStringAsync(cancel);
                Assert.True(response.IsSuccessStatusCode, body);
                var inputs = JsonDocument.Parse(body).RootElement.GetProperty("messages").EnumerateArray()
                    .Where(m => m.GetProperty("role").GetString() == "user").Select(m => m.GetProperty("content").ToString()).ToList();
                foreach (var (_, input) in acknowledged.Where(a => a.Session == session))
                {
                    Assert.Contains(inputs, text => text.Contains(input, StringComparison.Ordinal));
                }
            }

            await using var database = await PostgresDatabase.OpenAsync(new PostgresStorageOptions { ConnectionString = connection }, cancel);
            var audit = await new PostgresAuditLog(database).VerifyAsync(cancel);
            Assert.True(audit.IsValid, "audit chain broken at " + audit.FirstBrokenSeq);
            TestContext.Current.TestOutputHelper?.WriteLine(
                $"multi-gateway: {acknowledged.Count} acknowledged turns in {sessions.Length} sessions, {audit.RowsChecked} audit rows verified; "
                + $"{Volatile.Read(ref s_attempts)} attempts, failed ones by status: "
                + string.Join(", ", s_failures.OrderBy(f => f.Key).Select(f => $"{f.Key switch { 0 => "dropped", -1 => "sse-error", _ => f.Key.ToString(System.Globalization.CultureInfo.InvariantCulture) }}={f.Value}"))
                + "; sse error codes: " + string.Join(", ", s_errorCodes.Select(e => e.Key + "=" + e.Value)));
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

    /// <summary>One client: a session of <see cref="TurnsPerClient"/> streamed turns, each retried until acknowledged.</summary>
    private static async Task<string> ClientAsync(HttpClient http, int client, List<(string Session, string Input)> acknowledged, CountdownEvent firstTurns)
    {
        string? session = null;
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(4);
        for (var turn = 0; turn < TurnsPerClient; turn++)
        {
            var input = $"client {client} turn {turn}";
            while (true)
            {
                Assert.True(DateTime.UtcNow < deadline, $"client {client} could not complete turn {turn}");
                var (status, started, result) = await RunStreamAsync(http, input, session);
                Interlocked.Increment(ref s_attempts);
                if (!result)
                {
                    s_failures.AddOrUpdate(status, 1, (_, n) => n + 1);
                }

                if (result)
                {
                    session = started;
                    lock (acknowledged)
                    {
                        acknowledged.Add((session!, input));
                    }

                    if (turn < 2)
                    {
                        firstTurns.Signal();
                    }

                    break;
                }

                if (status == 404 && session is not null && !IsAcknowledged(acknowledged, session))
                {
                    session = null; // the first turn died before its session was saved: start again
                }

                await Task.Delay(status == 409 ? 1000 : 300, TestContext.Current.CancellationToken);
            }
        }

        return session!;
    }

    private static bool IsAcknowledged(List<(string Session, string Input)> acknowledged, string session)
    {
        lock (acknowledged)
        {
            return acknowledged.Any(a => a.Session == session);
        }
    }

    /// <summary>One streamed run: the HTTP status, the session id from the <c>session</c> event, and whether a <c>result</c> event came.</summary>
    private static async Task<(int Status, string? Session, bool Result)> RunStreamAsync(HttpClient http, string input, string? session)
    {
        try
        {
            var body = JsonSerializer.Serialize(new Dictionary<string, object?> { ["input"] = input, ["session_id"] = session, ["stream"] = true });
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/agents/clerk/runs") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return ((int)response.StatusCode, session, false);
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
                    return (200, id, true);
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal) && kind == "error")
                {
                    var code = JsonDocument.Parse(line["data: ".Length..]).RootElement.GetProperty("error").GetProperty("code").ToString();
                    s_errorCodes.AddOrUpdate(code, 1, (_, n) => n + 1);
                    return (-1, id, false);
                }
            }

            return (0, id, false);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return (0, session, false);
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
