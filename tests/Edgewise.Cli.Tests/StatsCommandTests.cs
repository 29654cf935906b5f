using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Edgewise.Models.Hardware;
using Edgewise.Models.Management;
using Edgewise.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.AI;

namespace Edgewise.Cli.Tests;

public sealed class StatsCommandTests
{
    [Fact]
    public async Task Stats_Json_SummarizesWhatTheServerServed()
    {
        await using var server = await StatsServer.StartAsync();
        await server.ChatAsync();
        await server.ChatAsync();

        var (code, output, error) = CliRunner.Run("stats", "--port", server.Port, "--minutes", "10", "--json");

        Assert.True(code == 0, error);
        var root = JsonDocument.Parse(output).RootElement;
        Assert.Equal(10, root.GetProperty("window_minutes").GetDouble());
        Assert.Equal(2, root.GetProperty("requests").GetInt32());
        Assert.Equal(0, root.GetProperty("errors").GetInt32());
        Assert.Equal(6, root.GetProperty("output_tokens").GetInt64());
        Assert.Equal(2, root.GetProperty("latency").GetProperty("count").GetInt32());
        Assert.Equal(JsonValueKind.Number, root.GetProperty("latency").GetProperty("p95").ValueKind);
        Assert.Equal("fake", root.GetProperty("models")[0].GetProperty("model").GetString());
    }

    [Fact]
    public async Task Stats_Text_PrintsRequestsPercentilesAndTokens()
    {
        await using var server = await StatsServer.StartAsync();
        await server.ChatAsync();

        var (code, output, _) = CliRunner.Run("stats", "--port", server.Port);

        Assert.Equal(0, code);
        Assert.Contains("Last 5 min", output, StringComparison.Ordinal);
        Assert.Contains("requests     1 ", output, StringComparison.Ordinal);
        Assert.Matches(@"latency\s+p50 [0-9.]+ s\s+p95 [0-9.]+ s\s+p99", output);
        Assert.Contains("/v1/chat/completions", output, StringComparison.Ordinal);
        Assert.Contains("fake", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Stats_NoServer_ExitsNetworkLikePsWithMessage()
    {
        var (code, _, error) = CliRunner.Run("stats", "--port", "1");

        Assert.Equal(CliConsole.Network, code);
        Assert.Contains("no server answered", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Stats_BadMinutes_UsageError()
    {
        var (code, _, error) = CliRunner.Run("stats", "--minutes", "0");

        Assert.Equal(2, code);
        Assert.Contains("--minutes", error, StringComparison.Ordinal);
    }
}

/// <summary>A loopback server whose one model, "fake", streams three words with usage.</summary>
internal sealed class StatsServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _client;

    private StatsServer(WebApplication app)
    {
        _app = app;
        var address = new Uri(app.Urls.First());
        Port = address.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _client = new HttpClient { BaseAddress = address };
    }

    public string Port { get; }

    public static async Task<StatsServer> StartAsync()
    {
        var options = new ServerOptions { Port = 0, Loader = new FakeLoader(), Memory = new Plenty(), DataDirectory = Path.GetTempPath() };
        options.Models.Add(new ServerModel("fake", Path.Combine(Path.GetTempPath(), "edgewise-cli-fake.gguf")));
        var app = EdgewiseServer.Build(options);
        await app.StartAsync();
        return new StatsServer(app);
    }

    public async Task ChatAsync()
    {
        using var content = new StringContent("""{"model":"fake","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json");
        (await _client.PostAsync("/v1/chat/completions", content)).EnsureSuccessStatusCode();
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private sealed class Plenty : IMemoryProbe
    {
        public long TotalBytes => 64L << 30;

        public long AvailableBytes => 48L << 30;
    }

    private sealed class FakeLoader : IModelLoader
    {
        public ILoadedModel Load(ModelDescriptor descriptor, CancellationToken cancellationToken) => new Loaded();

        private sealed class Loaded : ILoadedModel
        {
            public IChatClient ChatClient { get; } = new WordsClient();

            public void Dispose()
            {
            }
        }
    }

    private sealed class WordsClient : IChatClient
    {
        public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            await GetStreamingResponseAsync(messages, options, cancellationToken).ToChatResponseAsync(cancellationToken);

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            foreach (var word in new[] { "one ", "two ", "three" })
            {
                await Task.Yield();
                cancellationToken.ThrowIfCancellationRequested();
                yield return new ChatResponseUpdate(ChatRole.Assistant, word);
            }

            yield return new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(new UsageDetails { InputTokenCount = 4, OutputTokenCount = 3, TotalTokenCount = 7 })]) { FinishReason = ChatFinishReason.Stop };
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
