using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Edgewise.Server.Storage;
using Edgewise.Testing;

namespace Edgewise.Cli.Tests;

/// <summary>
/// docs/security.md S01 and S02 on the real process: edgewise serve with a reference model, SIGTERM during a stream; S02
/// with P01's verifier on an agent server's sessions database.
/// </summary>
public sealed class ServeSignalTests
{
    private const string StreamingChat = """{"model":"ref","messages":[{"role":"user","content":"Tell a long story"}],"max_tokens":4000,"temperature":0,"stream":true}""";

    [Fact]
    public async Task Serve_S01_SigtermDuringStream_ReadyTurns503StreamEndsAndExitCodeIsZero()
    {
        using var dir = new ServeTempDirectory();
        var config = dir.Write("edgewise.yaml", "server:\n  limits:\n    shutdown_timeout: 3s\n");
        var model = dir.Copy(SharedPaths.ReferenceFile("models", "ref-phi4-Q8_0.gguf"), "ref.gguf");
        var (process, address) = await ServeProcess.StartServerAsync(dir.Path, "serve", "--model", model, "--port", "0", "--config", config);
        await using var _ = process;
        using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(2) };
        using var probe = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(1) };
        // Ready once the model named with --model has loaded (it is preloaded at start; 503 "loading" until then).
        await WaitForStatusAsync(probe, "/health/ready", HttpStatusCode.OK);

        using var stream = await OpenStreamAsync(http);
        process.Terminate();
        await WaitForStatusAsync(probe, "/health/ready", HttpStatusCode.ServiceUnavailable);
        using var refused = await probe.PostAsync("/v1/chat/completions", new StringContent(StreamingChat, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        await ReadToEndOrCloseAsync(stream);
        await process.WaitForExitAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal(0, process.ExitCode);
    }

    [Fact]
    public async Task Serve_S02_SecondSigtermDuringDrain_ExitsAtOnce()
    {
        using var dir = new ServeTempDirectory();
        var config = dir.Write("edgewise.yaml", "server:\n  limits:\n    shutdown_timeout: 10m\n");
        var model = dir.Copy(SharedPaths.ReferenceFile("models", "ref-phi4-Q8_0.gguf"), "ref.gguf");
        var (process, address) = await ServeProcess.StartServerAsync(dir.Path, "serve", "--model", model, "--port", "0", "--config", config);
        await using var _ = process;
        using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(2) };
        using var probe = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(1) };
        using var stream = await OpenStreamAsync(http);

        process.Terminate();
        await WaitForStatusAsync(probe, "/health/ready", HttpStatusCode.ServiceUnavailable);
        process.Terminate();
        await process.WaitForExitAsync();

        Assert.NotEqual(0, process.ExitCode);
    }

    [Fact]
    public async Task Serve_S02_P01_SecondSigtermWhileAgentRunsWrite_DatabaseConsistentAndAuditVerifies()
    {
        using var dir = new ServeTempDirectory();
        var model = dir.Copy(SharedPaths.ReferenceFile("models", "ref-phi4-Q8_0.gguf"), "ref.gguf");
        var config = dir.Write("edgewise.yaml", $"""
            server:
              limits:
                shutdown_timeout: 10m
            models:
              ref:
                path: {model}
                parallel: 4
            agents:
              clerk:
                description: Answers in one short sentence.
                instructions: Answer in one short sentence.
                model: ref
                max_tokens: 6
            """);
        var (process, address) = await ServeProcess.StartServerAsync(dir.Path, "serve", "--port", "0", "--config", config);
        var acknowledged = new List<string>();
        await using (process)
        {
            using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(2) };
            using var probe = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(1) };
            var before = await RunAgentAsync(http, "hello");
            Assert.NotNull(before);
            acknowledged.Add(before);
            using var stream = await OpenStreamAsync(http);
            using var agentStream = await OpenAgentStreamAsync(http, "in flight at the signal");
            var inFlight = Enumerable.Range(0, 3).Select(i => RunAgentAsync(http, "order " + i)).ToList();

            process.Terminate();
            await WaitForStatusAsync(probe, "/health/ready", HttpStatusCode.ServiceUnavailable);
            inFlight.Add(RunAgentAsync(probe, "during the drain"));
            if (await ReadAgentResultAsync(agentStream) is { } drained)
            {
                acknowledged.Add(drained);
            }

            process.Terminate();
            await process.WaitForExitAsync();
            foreach (var run in inFlight)
            {
                if (await run.WaitAsync(TimeSpan.FromMinutes(1), TestContext.Current.CancellationToken) is { } id)
                {
                    acknowledged.Add(id);
                }
            }

            Assert.NotEqual(0, process.ExitCode);
        }

        var path = Path.Combine(dir.Path, "agents.db");
        Assert.True(File.Exists(path));
        await using (var database = await SqliteDatabase.OpenAsync(new StorageOptions { DatabasePath = path }, TestContext.Current.CancellationToken))
        {
            await using (var connection = await database.OpenReadConnectionAsync(TestContext.Current.CancellationToken))
            using (var command = connection.CreateCommand())
            {
                command.CommandText = "PRAGMA integrity_check";
                Assert.Equal("ok", await command.ExecuteScalarAsync(TestContext.Current.CancellationToken));
            }

            var store = new SqliteSessionStore(database);
            foreach (var id in acknowledged)
            {
                var session = await store.GetAsync(id, TestContext.Current.CancellationToken);
                Assert.NotNull(session);
                Assert.Contains(session.Messages, m => m.Role == Microsoft.Extensions.AI.ChatRole.Assistant);
            }
        }

        var verify = await ServeProcess.RunToExitAsync(dir.Path, "audit", "verify", "--json");
        Assert.True(verify.Code == 0, verify.Out + verify.Err);
        using var report = JsonDocument.Parse(verify.Out);
        Assert.True(report.RootElement.GetProperty("valid").GetBoolean());
        Assert.True(report.RootElement.GetProperty("rows_checked").GetInt32() > 0, verify.Out);
    }

    /// <summary>Starts a streaming run of the clerk agent and returns its body once the session event arrived (the run is in flight).</summary>
    private static async Task<StreamReader> OpenAgentStreamAsync(HttpClient http, string input)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/agents/clerk/runs") { Content = JsonContent.Create(new { input, stream = true }) };
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken));
        while (await reader.ReadLineAsync(TestContext.Current.CancellationToken) is { } line && line != "event: session")
        {
        }

        return reader;
    }

    /// <summary>Reads a streaming run to its end; the session id of its <c>result</c> event (sent after the session is saved), else null.</summary>
    private static async Task<string?> ReadAgentResultAsync(StreamReader reader)
    {
        var result = false;
        try
        {
            while (await reader.ReadLineAsync(TestContext.Current.CancellationToken) is { } line)
            {
                if (result && line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    using var body = JsonDocument.Parse(line[6..]);
                    return body.RootElement.GetProperty("session_id").GetString();
                }

                result = line == "event: result";
            }
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            return null;
        }

        return null;
    }

    /// <summary>Runs the clerk agent on <paramref name="input"/>; the new session's id when the server acknowledged it (200), else null.</summary>
    private static async Task<string?> RunAgentAsync(HttpClient http, string input)
    {
        try
        {
            using var response = await http.PostAsJsonAsync("/v1/agents/clerk/runs", new { input }, TestContext.Current.CancellationToken);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return null;
            }

            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
            return body.RootElement.GetProperty("session_id").GetString();
        }
        catch (Exception e) when (e is IOException or HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    /// <summary>Starts a long streaming chat and returns its body once the first event arrived (the stream is in flight).</summary>
    private static async Task<Stream> OpenStreamAsync(HttpClient http)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(StreamingChat, Encoding.UTF8, "application/json") };
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken);
        var buffer = new byte[1];
        while (await body.ReadAsync(buffer, TestContext.Current.CancellationToken) == 1 && buffer[0] != (byte)'\n')
        {
        }

        return body;
    }

    private static async Task WaitForStatusAsync(HttpClient probe, string path, HttpStatusCode status)
    {
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        guard.CancelAfter(TimeSpan.FromSeconds(60));
        while (true)
        {
            using var response = await probe.GetAsync(path, guard.Token);
            if (response.StatusCode == status)
            {
                return;
            }

            await Task.Delay(10, guard.Token);
        }
    }

    /// <summary>Reads the stream to its end, or until the server cuts it (a cancelled stream).</summary>
    private static async Task ReadToEndOrCloseAsync(Stream stream)
    {
        var buffer = new byte[8192];
        try
        {
            while (await stream.ReadAsync(buffer, TestContext.Current.CancellationToken) > 0)
            {
            }
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
        }
    }
}
