using System.Net;
using System.Text;
using Edgewise.Testing;

namespace Edgewise.Cli.Tests;

/// <summary>SECURITY.md S01 and S02 on the real process: edgewise serve with a reference model, SIGTERM during a stream.</summary>
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
        using (var ready = await probe.GetAsync("/health/ready", TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }

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
