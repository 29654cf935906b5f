using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Edgewise.Agents.Configuration;
using Edgewise.Models;
using Edgewise.Models.Management;
using Edgewise.Server.Tests.Support;
using Edgewise.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace Edgewise.Server.Tests.Agents;

/// <summary>
/// A live server with an edgewise.yaml of agents, scripted (or real) models resolved by name, and its session
/// database in a fresh temporary folder.
/// </summary>
internal sealed class AgentServer : IAsyncDisposable
{
    public const string KeyA = "key-alpha-0123456789";
    public const string KeyB = "key-bravo-9876543210";

    private readonly bool _ownsDirectory;

    private AgentServer(WebApplication app, string directory, bool ownsDirectory)
    {
        App = app;
        Directory = directory;
        _ownsDirectory = ownsDirectory;
        Client = new HttpClient { BaseAddress = new Uri(app.Urls.First()), Timeout = TimeSpan.FromMinutes(2) };
    }

    public WebApplication App { get; }

    public HttpClient Client { get; }

    public string Directory { get; }

    public string DatabasePath => Path.Combine(Directory, "agents.db");

    public static string ModelPath => SharedPaths.ReferenceFile("models", "ref-qwen2-Q4_K_M.gguf");

    /// <summary>Two agents (helper; orders with an approval-required tool), a router over them, on models "small" and "tiny".</summary>
    public static string Yaml(string extra = "") => $$"""
        models:
          small:
            path: {{ModelPath}}
          tiny:
            path: {{ModelPath}}
        agents:
          helper:
            description: Answers general questions.
            instructions: Be brief.
            model: small
            tools: [lookup]
          orders:
            description: Places orders.
            model: small
            tools: [record_order]
            approval_required: [record_order]
        routers:
          front:
            model: tiny
            agents: [helper, orders]
        {{extra}}
        """;

    public static T Service<T>(WebApplication app)
        where T : notnull => app.Services.GetRequiredService<T>();

    /// <summary>Starts the server; <paramref name="models"/> null means the embedded engine loads the GGUF files.</summary>
    public static async Task<AgentServer> StartAsync(
        string yaml,
        IReadOnlyDictionary<string, IChatClient>? models,
        ToolRegistry? tools = null,
        Action<ServerOptions>? configure = null,
        string? directory = null,
        ModelSettings? settings = null)
    {
        var ownsDirectory = directory is null;
        directory ??= System.IO.Directory.CreateTempSubdirectory("edgewise-agents-").FullName;
        tools ??= TestTools.Create(new OrderBook());
        var options = LiveServer.NewOptions();
        options.Configuration = EdgewiseConfig.Parse(yaml, Path.Combine(directory, "edgewise.yaml"), tools);
        options.Agents.Tools = tools;
        options.Agents.DatabasePath = Path.Combine(directory, "agents.db");
        options.FallbackResolver = new NameResolver(["small", "tiny"], settings);
        if (models is not null)
        {
            options.Loader = new FakeLoader(models);
        }

        configure?.Invoke(options);
        var app = EdgewiseServer.Build(options);
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        return new AgentServer(app, directory, ownsDirectory);
    }

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? json = null, string? key = null, HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        var request = new HttpRequestMessage(method, path) { Content = json is null ? null : Json(json) };
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return Client.SendAsync(request, completion, TestContext.Current.CancellationToken);
    }

    public async Task<JsonElement> RunAsync(string agent, string input, string? sessionId = null, string? key = null)
    {
        var body = JsonSerializer.Serialize(new Dictionary<string, object?> { ["input"] = input, ["session_id"] = sessionId });
        using var response = await SendAsync(HttpMethod.Post, "/v1/agents/" + agent + "/runs", body, key);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public async Task<(int Status, JsonElement Body)> CallAsync(HttpMethod method, string path, string? json = null, string? key = null)
    {
        using var response = await SendAsync(method, path, json, key);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        ErrorAssert.NoLeak(response.IsSuccessStatusCode ? string.Empty : text);
        return ((int)response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        SqliteConnection.ClearAllPools();
        if (_ownsDirectory)
        {
            try
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>Resolves the test's model names to the reference file (the loader decides what actually answers).</summary>
    private sealed class NameResolver(IReadOnlyList<string> names, ModelSettings? settings) : IModelResolver
    {
        public ModelDescriptor Resolve(string name) => names.Contains(name, StringComparer.Ordinal)
            ? new ModelDescriptor(name, ModelPath, 1L << 20, settings ?? new ModelSettings())
            : throw new ModelException(ModelErrorCodes.ModelNotFound, "The model does not exist.");
    }
}

/// <summary>What the test tools did.</summary>
internal sealed class OrderBook
{
    private int _orders;
    private int _lookups;

    public int Orders => Volatile.Read(ref _orders);

    public int Lookups => Volatile.Read(ref _lookups);

    public void Order() => Interlocked.Increment(ref _orders);

    public void Lookup() => Interlocked.Increment(ref _lookups);
}

/// <summary>The tools of the test agents: <c>lookup</c> (free) and <c>record_order</c> (needs approval).</summary>
internal static class TestTools
{
    public static ToolRegistry Create(OrderBook book)
    {
        var registry = new ToolRegistry();
        registry.Register("lookup", AIFunctionFactory.Create((string item) =>
        {
            book.Lookup();
            return item + ": 7 in stock";
        }, "lookup", "Looks up stock."));
        registry.Register("record_order", AIFunctionFactory.Create((int quantity) =>
        {
            book.Order();
            return "ordered " + quantity;
        }, "record_order", "Records an order."), requiresApproval: true);
        return registry;
    }
}
