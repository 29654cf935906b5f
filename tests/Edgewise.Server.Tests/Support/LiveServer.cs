using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Edgewise.Models.Management;
using Edgewise.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace Edgewise.Server.Tests.Support;

/// <summary>A real Kestrel server on 127.0.0.1 with a random port, plus a client for it.</summary>
internal sealed class LiveServer : IAsyncDisposable
{
    private LiveServer(WebApplication app, FakeLoader? loader)
    {
        App = app;
        Loader = loader;
        BaseAddress = new Uri(app.Urls.First());
        Client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
    }

    public WebApplication App { get; }

    public FakeLoader? Loader { get; }

    private int _disposed;

    public Uri BaseAddress { get; }

    public HttpClient Client { get; }

    public T Service<T>()
        where T : notnull => App.Services.GetRequiredService<T>();

    /// <summary>Starts a server whose models are scripted clients, by name.</summary>
    public static Task<LiveServer> StartAsync(IReadOnlyDictionary<string, IChatClient> models, Action<ServerOptions>? configure = null, Task? loadGate = null)
    {
        var loader = new FakeLoader(models) { LoadGate = loadGate };
        var options = NewOptions();
        foreach (var name in models.Keys)
        {
            options.Models.Add(new ServerModel(name, Path.Combine(Path.GetTempPath(), "edgewise-test-missing", name + ".gguf")));
        }

        options.Loader = loader;
        configure?.Invoke(options);
        return StartAsync(options, loader);
    }

    /// <summary>Starts a server with one scripted model named "test".</summary>
    public static Task<LiveServer> StartAsync(IChatClient model, Action<ServerOptions>? configure = null) =>
        StartAsync(new Dictionary<string, IChatClient> { ["test"] = model }, configure);

    /// <summary>Starts a server over a reference GGUF on the embedded engine.</summary>
    public static Task<LiveServer> StartRealAsync(string name, string file, ModelSettings? settings = null, Action<ServerOptions>? configure = null)
    {
        var options = NewOptions();
        options.Models.Add(new ServerModel(name, SharedPaths.ReferenceFile("models", file), settings));
        configure?.Invoke(options);
        return StartAsync(options, null);
    }

    /// <summary>
    /// Options for a test server. A remote backend's health check gets 30 s instead of 2: the backends here are other
    /// test servers in this process, whose first answer can take seconds on a loaded machine, and no test here is about
    /// that time-out (Edgewise.Models.Tests covers it).
    /// </summary>
    public static ServerOptions NewOptions()
    {
        var options = new ServerOptions { Port = 0, Memory = new BigMemory(), DataDirectory = Path.GetTempPath() };
        options.RemoteBackends.HealthCheckTimeout = TimeSpan.FromSeconds(30);
        return options;
    }

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public static string Chat(string model = "test", string extra = "") =>
        $$"""{"model":"{{model}}","messages":[{"role":"user","content":"hi"}]{{extra}}}""";

    public Task<HttpResponseMessage> PostChatAsync(string body, string? key = null) => SendChatAsync(body, key, TestContext.Current.CancellationToken);

    public Task<HttpResponseMessage> SendChatAsync(string body, string? key, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = Json(body) };
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return Client.SendAsync(request, cancellationToken);
    }

    /// <summary>Polls <paramref name="condition"/> until it holds (bounded by a generous hang guard).</summary>
    public static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            await Task.Delay(10, guard.Token);
        }
    }

    public static async Task<JsonElement> ErrorOf(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        ErrorAssert.NoLeak(text);
        return JsonDocument.Parse(text).RootElement.GetProperty("error");
    }

    /// <summary>Stops the server; a second call (a test that stops it early, then its <c>await using</c>) does nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }

    public static async Task<LiveServer> StartAsync(ServerOptions options, FakeLoader? loader)
    {
        var app = EdgewiseServer.Build(options);
        await app.StartAsync();
        return new LiveServer(app, loader);
    }
}

/// <summary>H18: error bodies carry fixed messages only.</summary>
internal static class ErrorAssert
{
    private static readonly string[] Forbidden = ["/home/", "/tmp/", "/work/", "\\Users\\", "   at ", "Exception", ".gguf"];

    public static void NoLeak(string body)
    {
        foreach (var marker in Forbidden)
        {
            Assert.DoesNotContain(marker, body, StringComparison.Ordinal);
        }
    }
}
