using System.Net;
using System.Text;
using Edgewise.Testing;

namespace Edgewise.Cli.Tests;

/// <summary>
/// A pool of remote backends on real processes: a gateway <c>edgewise serve</c> whose model lists two other
/// <c>edgewise serve</c> processes under <c>backends</c>. Requests spread over both, a backend killed with SIGKILL in the
/// middle of a stream ends that stream with an error event, the pool carries on with the other, and <c>/metrics</c>
/// shows each backend's state.
/// </summary>
public sealed class BackendPoolProcessTests
{
    private const string ShortChat = """{"model":"pool","messages":[{"role":"user","content":"Hi"}],"max_tokens":4,"temperature":0}""";
    private const string LongStream = """{"model":"pool","messages":[{"role":"user","content":"Tell a long story"}],"max_tokens":4000,"temperature":0,"stream":true}""";

    [Fact]
    public async Task Pool_TwoServeBackends_SpreadKillOneMidStream_StreamEndsCleanlyAndPoolCarriesOn()
    {
        using var dir = new ServeTempDirectory();
        var model = SharedPaths.ReferenceFile("models", "ref-qwen2-Q4_K_M.gguf");
        Directory.CreateDirectory(Path.Combine(dir.Path, "one"));
        Directory.CreateDirectory(Path.Combine(dir.Path, "two"));
        var (one, oneAddress) = await ServeProcess.StartServerAsync(Path.Combine(dir.Path, "one"), "serve", "--model", model, "--port", "0");
        await using var _1 = one;
        var (two, twoAddress) = await ServeProcess.StartServerAsync(Path.Combine(dir.Path, "two"), "serve", "--model", model, "--port", "0");
        await using var _2 = two;
        foreach (var backend in new[] { oneAddress, twoAddress })
        {
            // Warm each backend's routes, so that the gateway's first health check (2 s) does not meet a cold process.
            using var warm = new HttpClient { BaseAddress = backend, Timeout = TimeSpan.FromMinutes(1) };
            using var models = await warm.GetAsync("/v1/models", TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, models.StatusCode);
        }

        var config = dir.Write("edgewise.yaml", $"""
            models:
              pool:
                model: ref-qwen2-Q4_K_M
                backends:
                  - name: one
                    url: {oneAddress}v1
                  - name: two
                    url: {twoAddress}v1
            """);
        var (gateway, address) = await ServeProcess.StartServerAsync(dir.Path, "serve", "--port", "0", "--config", config);
        await using var _3 = gateway;
        using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(2) };

        for (var i = 0; i < 4; i++)
        {
            using var response = await http.PostAsync("/v1/chat/completions", Json(ShortChat), TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var spread = await http.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
        Assert.Contains(Series("edgewise_backend_requests_total", "one", 2), spread, StringComparison.Ordinal);
        Assert.Contains(Series("edgewise_backend_requests_total", "two", 2), spread, StringComparison.Ordinal);

        // A long stream goes to the next backend in turn; kill that process while tokens are flowing.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = Json(LongStream) };
        using var streaming = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, streaming.StatusCode);
        await using var body = await streaming.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken);
        using var reader = new StreamReader(body, Encoding.UTF8);
        var firstLine = await reader.ReadLineAsync(TestContext.Current.CancellationToken);
        Assert.StartsWith("data: ", firstLine, StringComparison.Ordinal);
        var during = await http.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
        var (victim, survivor) = during.Contains(Series("edgewise_backend_outstanding_requests", "one", 1), StringComparison.Ordinal) ? (one, "two") : (two, "one");
        var victimName = survivor == "one" ? "two" : "one";
        Assert.Contains(Series("edgewise_backend_outstanding_requests", victimName, 1), during, StringComparison.Ordinal);
        await victim.KillAsync();

        var rest = await reader.ReadToEndAsync(TestContext.Current.CancellationToken);

        Assert.Contains("\"error\"", rest, StringComparison.Ordinal);
        Assert.Contains("backend_", rest, StringComparison.Ordinal);
        for (var i = 0; i < 3; i++)
        {
            using var response = await http.PostAsync("/v1/chat/completions", Json(ShortChat), TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var after = await http.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
        Assert.Contains(Series("edgewise_backend_up", victimName, 0), after, StringComparison.Ordinal);
        Assert.Contains(Series("edgewise_backend_up", survivor, 1), after, StringComparison.Ordinal);
        Assert.Contains(Series("edgewise_backend_outstanding_requests", victimName, 0), after, StringComparison.Ordinal);
        Assert.Contains(Series("edgewise_backend_failures_total", victimName, 1), after, StringComparison.Ordinal);
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static string Series(string name, string backend, long value) =>
        name + "{model=\"pool\",backend=\"" + backend + "\",priority=\"0\"} " + value + "\n";
}
