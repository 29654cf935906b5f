using System.Net;
using System.Text;
using System.Text.Json;
using Edgewise.Testing;

namespace Edgewise.Cli.Tests;

/// <summary>
/// What <c>edgewise serve</c> writes to stderr: one line per request and per model load and unload, in text or JSON
/// (<c>--log-format</c>), filtered by <c>--log-level</c>, and a failed load as one line naming its cause and code,
/// never a stack trace at the default level.
/// </summary>
public sealed class ServeLoggingTests
{
    [Fact]
    public async Task Text_RequestLoadAndUnload_OneLineEach()
    {
        using var dir = new ServeTempDirectory();
        var home = Path.Combine(dir.Path, "home");
        Assert.Equal(0, (await ServeProcess.RunToExitAsync(home, "import", SharedPaths.ReferenceFile("models", "ref-qwen2-Q4_K_M.gguf"), "--name", "qwen-ref")).Code);
        var (server, address) = await ServeProcess.StartServerAsync(home, "serve", "--port", "0");
        await using (server)
        {
            using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(2) };
            using var chat = await http.PostAsync(new Uri("/v1/chat/completions", UriKind.Relative), Json("""{"model":"qwen-ref","messages":[{"role":"user","content":"Hi"}],"max_tokens":3}"""), TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
            using var unload = await http.PostAsync(new Uri("/api/generate", UriKind.Relative), Json("""{"model":"qwen-ref","keep_alive":0}"""), TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, unload.StatusCode);

            var request = await LineAsync(server, "Edgewise.Requests: POST /v1/chat/completions ");
            Assert.Matches(@" info  Edgewise\.Requests: POST /v1/chat/completions 200 model=qwen-ref:latest prompt_tokens=[1-9]\d* completion_tokens=3 \d+ ms request_id=\S+$", request);
            Assert.Matches(@"Edgewise\.Models: Loaded model qwen-ref:latest: [1-9]\d* bytes in \d+ ms$", await LineAsync(server, "Loaded model"));
            Assert.Matches(@"Edgewise\.Models: Unloaded model qwen-ref:latest: [1-9]\d* bytes freed after \d+ ms loaded$", await LineAsync(server, "Unloaded model"));
        }
    }

    [Fact]
    public async Task Json_NotAGguf_ClientGetsTheCauseAndTheLogHasOneLineWithoutStackTrace()
    {
        using var dir = new ServeTempDirectory();
        // serve refuses a file that does not validate at start, so the file goes bad after the server is up and before
        // the model's first load (replaced by rename, as a careless copy would).
        var bad = dir.Copy(SharedPaths.ReferenceFile("models", "ref-qwen2-Q4_K_M.gguf"), "notes.gguf");
        var (server, address) = await ServeProcess.StartServerAsync(Path.Combine(dir.Path, "home"), "serve", "--port", "0", "--model", bad, "--log-format", "json");
        await using (server)
        {
            File.Move(dir.Write("notes.tmp", new string('x', 4096)), bad, overwrite: true);
            using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(2) };
            using var chat = await http.PostAsync(new Uri("/v1/chat/completions", UriKind.Relative), Json("""{"model":"notes","messages":[{"role":"user","content":"Hi"}]}"""), TestContext.Current.CancellationToken);
            var error = JsonDocument.Parse(await chat.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.GetProperty("error");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, chat.StatusCode);
            Assert.Equal("model_file_invalid", error.GetProperty("code").GetString());

            var failure = JsonDocument.Parse(await LineAsync(server, "\"code\":\"model_file_invalid\"")).RootElement;
            Assert.Equal("error", failure.GetProperty("level").GetString());
            Assert.Equal("notes", failure.GetProperty("model").GetString());
            Assert.Contains("not a runnable GGUF model", failure.GetProperty("cause").GetString(), StringComparison.Ordinal);
            var request = JsonDocument.Parse(await LineAsync(server, "\"route\":\"/v1/chat/completions\"")).RootElement;
            Assert.Equal(503, request.GetProperty("status").GetInt32());
            Assert.Equal("POST", request.GetProperty("method").GetString());
            Assert.Equal(JsonValueKind.String, request.GetProperty("request_id").ValueKind);
            Assert.True(request.GetProperty("ms").GetInt64() >= 0);

            foreach (var line in server.Errors.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(line).RootElement.ValueKind);
            }

            Assert.DoesNotContain("   at ", server.Errors, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ModelFlag_LoadedAndWarmedUpAtStart_BeforeAnyRequest()
    {
        using var dir = new ServeTempDirectory();
        var (server, address) = await ServeProcess.StartServerAsync(Path.Combine(dir.Path, "home"), "serve", "--port", "0", "--model", SharedPaths.ReferenceFile("models", "ref-qwen2-Q4_K_M.gguf"));
        await using (server)
        {
            // No request has been sent: the model named with --model loads at start, then one short generation runs
            // on the engine (not through the request pipeline, so no request line and no request metrics).
            string? warmed = null;
            for (var i = 0; i < 1200 && warmed is null; i++)
            {
                warmed = server.Errors.Split('\n').FirstOrDefault(l => l.Contains("Warmed up model", StringComparison.Ordinal))?.TrimEnd('\r');
                await Task.Delay(50, TestContext.Current.CancellationToken);
            }

            Assert.NotNull(warmed);
            Assert.Matches(@"Edgewise\.Server\.Preload: Warmed up model ref-qwen2-Q4_K_M: [1-9]\d* tokens generated in \d+ ms$", warmed);
            Assert.Matches(@"Edgewise\.Models: Loaded model ref-qwen2-Q4_K_M: [1-9]\d* bytes in \d+ ms$", await LineAsync(server, "Loaded model"));
            Assert.DoesNotContain("Edgewise.Requests: POST", server.Errors, StringComparison.Ordinal);

            using var http = new HttpClient { BaseAddress = address };
            var ps = JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/ps", UriKind.Relative), TestContext.Current.CancellationToken)).RootElement;
            Assert.Contains(ps.GetProperty("models").EnumerateArray(), m => m.GetProperty("name").GetString() == "ref-qwen2-Q4_K_M");
            var metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative), TestContext.Current.CancellationToken);
            Assert.DoesNotContain("edgewise_model_calls_total{model=\"ref-qwen2-Q4_K_M\"}", metrics, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task LogLevelWarning_NoRequestLines()
    {
        using var dir = new ServeTempDirectory();
        var (server, address) = await ServeProcess.StartServerAsync(Path.Combine(dir.Path, "home"), "serve", "--port", "0", "--log-level", "warning");
        await using (server)
        {
            using var http = new HttpClient { BaseAddress = address };
            using var missing = await http.PostAsync(new Uri("/v1/chat/completions", UriKind.Relative), Json("""{"model":"nope","messages":[{"role":"user","content":"Hi"}]}"""), TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
            using var tags = await http.GetAsync(new Uri("/api/tags", UriKind.Relative), TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, tags.StatusCode);

            // Stop the server and wait for its exit, so every line it would log has been written and read.
            server.Terminate();
            await server.WaitForExitAsync();
            Assert.DoesNotContain("Edgewise.Requests", server.Errors, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task UnknownLogFormat_IsAUsageError()
    {
        var (code, _, err) = await ServeProcess.RunToExitAsync(Path.GetTempPath(), "serve", "--log-format", "xml");
        Assert.NotEqual(0, code);
        Assert.Contains("xml", err, StringComparison.Ordinal);
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>The first stderr line containing <paramref name="marker"/> (log lines are written asynchronously).</summary>
    private static async Task<string> LineAsync(ServeProcess server, string marker)
    {
        for (var i = 0; i < 200; i++)
        {
            var line = server.Errors.Split('\n').Select(l => l.TrimEnd('\r')).FirstOrDefault(l => l.Contains(marker, StringComparison.Ordinal));
            if (line is not null)
            {
                return line;
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        Assert.Fail("no log line with " + marker + " in:\n" + server.Errors);
        return string.Empty;
    }
}
