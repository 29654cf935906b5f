using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Edgewise.Testing;

namespace Edgewise.Cli.Tests;

/// <summary>
/// M14 against a real <c>edgewise serve</c> child process (never the test host: reading a truncated mapping raises SIGBUS,
/// which ends a .NET process): a served model's file truncated while idle, restored, and replaced by rename mid-stream.
/// </summary>
public sealed class ProcessCommandM14Tests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgewise-m14-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task M14_ModelFileTruncatedThenRestoredThenRenamedOver_ServerStaysUpAnswers503UntilReload()
    {
        var ct = TestContext.Current.CancellationToken;
        var original = SharedPaths.ReferenceFile("models", "ref-phi4-Q4_K_M.gguf");
        var model = Path.Combine(_dir, "m.gguf");
        File.Copy(original, model);
        using var child = await ServeAsync(model, ct);
        using var http = new HttpClient { BaseAddress = child.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };

        Assert.Equal(HttpStatusCode.OK, await ChatStatusAsync(http, ct));

        // Truncated in place while idle: the next lease notices, unloads without touching the lost pages, and the reload fails.
        using (var stream = new FileStream(model, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            stream.SetLength(4096);
        }

        File.SetLastWriteTimeUtc(model, DateTime.UtcNow.AddMinutes(1));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await ChatStatusAsync(http, ct));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await ChatStatusAsync(http, ct));
        Assert.False(child.Process.HasExited);
        using (var live = await http.GetAsync(new Uri("/health/live", UriKind.Relative), ct))
        {
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        }

        // Restored: served again.
        File.Copy(original, model, overwrite: true);
        File.SetLastWriteTimeUtc(model, DateTime.UtcNow.AddMinutes(2));
        Assert.Equal(HttpStatusCode.OK, await ChatStatusAsync(http, ct));

        // Replaced by rename while a stream runs: the stream finishes on the old mapping, the next request loads the new file.
        var replacement = Path.Combine(_dir, "m.gguf.new");
        File.Copy(SharedPaths.ReferenceFile("models", "ref-qwen2-Q4_K_M.gguf"), replacement);
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = Body(stream: true, maxTokens: 48) })
        using (var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
            var first = await reader.ReadLineAsync(ct);
            Assert.StartsWith("data:", first, StringComparison.Ordinal);
            File.Move(replacement, model, overwrite: true);
            var rest = await reader.ReadToEndAsync(ct);
            Assert.Contains("data: [DONE]", rest, StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.OK, await ChatStatusAsync(http, ct));
        Assert.False(child.Process.HasExited);
    }

    [Fact]
    public async Task M14_TruncatedWhileStreaming_ReadLeaseHoldsTheTruncationUntilUnloaded_ServerStaysUp()
    {
        var ct = TestContext.Current.CancellationToken;
        var model = Path.Combine(_dir, "m.gguf");
        File.Copy(SharedPaths.ReferenceFile("models", "ref-phi4-Q4_K_M.gguf"), model);
        using var child = await ServeAsync(model, ct);
        using var http = new HttpClient { BaseAddress = child.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        Task<DateTime> truncation;
        DateTime streamEnded;
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = Body(stream: true, maxTokens: 400) })
        using (var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
            Assert.StartsWith("data:", await reader.ReadLineAsync(ct), StringComparison.Ordinal);

            // Another process's view: open for writing and cut the file to 4 KiB while the model streams from it.
            truncation = Task.Run(() =>
            {
                using (var stream = new FileStream(model, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
                {
                    stream.SetLength(4096);
                }

                return DateTime.UtcNow;
            }, ct);
            var rest = await reader.ReadToEndAsync(ct);
            streamEnded = DateTime.UtcNow;
            Assert.Contains("data: [DONE]", rest, StringComparison.Ordinal);
        }

        // The open for writing waited for the lease: the server retired the model, let the stream finish on intact
        // pages, unloaded it, and only then did the truncation go through.
        var truncatedAt = await truncation.WaitAsync(TimeSpan.FromMinutes(2), ct);
        Assert.True(truncatedAt >= streamEnded - TimeSpan.FromSeconds(1), $"the truncation finished at {truncatedAt:O}, before the stream ended at {streamEnded:O}");
        Assert.Equal(4096, new FileInfo(model).Length);
        Assert.False(child.Process.HasExited);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await ChatStatusAsync(http, ct));
        using var live = await http.GetAsync(new Uri("/health/live", UriKind.Relative), ct);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    private static StringContent Body(bool stream, int maxTokens) => new(
        $$"""{"model":"m","messages":[{"role":"user","content":"Count to twenty."}],"max_tokens":{{maxTokens}},"temperature":0,"stream":{{(stream ? "true" : "false")}}}""",
        Encoding.UTF8,
        "application/json");

    private static async Task<HttpStatusCode> ChatStatusAsync(HttpClient http, CancellationToken ct)
    {
        using var response = await http.PostAsync(new Uri("/v1/chat/completions", UriKind.Relative), Body(stream: false, maxTokens: 2), ct);
        return response.StatusCode;
    }

    private async Task<ServeProcess> ServeAsync(string model, CancellationToken ct)
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var cli = Path.Combine(AppContext.BaseDirectory, "edgewise.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { cli, "serve", "-m", model, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["EDGEWISE_HOME"] = Path.Combine(_dir, "home");
        start.Environment.Remove("EDGEWISE_API_KEYS");
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var served = new ServeProcess(process, new Uri($"http://127.0.0.1:{port}/"));
        using var http = new HttpClient { BaseAddress = served.BaseAddress };
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(ct);
        guard.CancelAfter(TimeSpan.FromMinutes(1));
        while (true)
        {
            Assert.False(process.HasExited, "edgewise serve exited at start");
            try
            {
                using var live = await http.GetAsync(new Uri("/health/live", UriKind.Relative), guard.Token);
                if (live.IsSuccessStatusCode)
                {
                    return served;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(100, guard.Token);
        }
    }

    private sealed class ServeProcess(Process process, Uri baseAddress) : IDisposable
    {
        public Process Process { get; } = process;

        public Uri BaseAddress { get; } = baseAddress;

        public void Dispose()
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
                Process.WaitForExit(10_000);
            }

            Process.Dispose();
        }
    }
}
