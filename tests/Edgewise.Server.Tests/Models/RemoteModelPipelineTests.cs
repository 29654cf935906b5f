using Edgewise.Agents.Configuration;
using Edgewise.Hosting;
using Edgewise.Models.Management;
using Edgewise.Models.Remote;
using Edgewise.Server.Hosting;
using Edgewise.Server.Telemetry;
using Edgewise.Server.Tests.Metrics;
using Edgewise.Server.Tests.Support;
using Microsoft.Extensions.Logging;

namespace Edgewise.Server.Tests.Models;

/// <summary>
/// Local and remote models go through one loader chain: the same telemetry stage around their chat client, the same
/// load and unload log lines, the same model metrics (a remote model used to skip all three).
/// </summary>
public sealed class RemoteModelPipelineTests
{
    private static EdgewiseConfig Config(string yaml) => EdgewiseConfig.Parse(yaml, "/etc/edgewise/edgewise.yaml", new ToolRegistry());

    [Fact]
    public async Task Chat_RemoteAndLocalModel_BothCountedInTheModelCallMetrics()
    {
        await using var remote = await LiveServer.StartAsync(ScriptedChatClient.Text("from remote"));
        var config = Config($"""
            models:
              lab:
                url: {remote.BaseAddress}v1
                model: test
              down:
                url: http://127.0.0.1:9/v1
                model: test
            """);
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("local"), o => o.Configuration = config);

        (await server.PostChatAsync(LiveServer.Chat("lab"))).EnsureSuccessStatusCode();
        (await server.PostChatAsync(LiveServer.Chat("test"))).EnsureSuccessStatusCode();
        using var failed = await server.PostChatAsync(LiveServer.Chat("down"));

        var text = await MetricsScrapeTests.ScrapeAsync(server);
        Assert.Equal(503, (int)failed.StatusCode);
        Assert.Contains("edgewise_model_calls_total{model=\"test\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("edgewise_model_calls_total{model=\"lab\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("edgewise_model_call_failures_total{model=\"lab\"} 0\n", text, StringComparison.Ordinal);
        Assert.Contains("edgewise_model_call_failures_total{model=\"down\"} 1\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_RemoteModel_WritesTheSameLoadAndUnloadLinesAsALocalOne()
    {
        var logger = new LinesLogger();
        var remote = new ModelDescriptor("lab", "http://127.0.0.1:9/v1", 0, RemoteSettings());
        var local = new ModelDescriptor("small", "/models/small.gguf", 1234, new ModelSettings());
        var loader = new TrackingModelLoader(
            new HostedModelLoader(new FakeLoader(new Dictionary<string, Microsoft.Extensions.AI.IChatClient> { ["small"] = ScriptedChatClient.Text("x") }), new RemoteModelLoader()),
            new ServerState(),
            new ModelCallRecorder(TimeProvider.System),
            logger);

        loader.Load(remote, TestContext.Current.CancellationToken).Dispose();
        loader.Load(local, TestContext.Current.CancellationToken).Dispose();

        Assert.Equal(4, logger.Lines.Count);
        Assert.Matches(@"^Loaded model lab: 0 bytes in \d+ ms$", logger.Lines[0]);
        Assert.Matches(@"^Unloaded model lab: 0 bytes freed after \d+ ms loaded$", logger.Lines[1]);
        Assert.Matches(@"^Loaded model small: 1234 bytes in \d+ ms$", logger.Lines[2]);
        Assert.Matches(@"^Unloaded model small: 1234 bytes freed after \d+ ms loaded$", logger.Lines[3]);
    }

    [Fact]
    public void Load_RemoteAndLocalModel_BothGetTheTelemetryStage()
    {
        var recorder = new ModelCallRecorder(TimeProvider.System);
        var pipeline = ChatClientPipeline.Of([(builder, model) => builder.UseTelemetry(model.Name, recorder)]);
        var loader = new HostedModelLoader(
            new FakeLoader(new Dictionary<string, Microsoft.Extensions.AI.IChatClient> { ["small"] = ScriptedChatClient.Text("x") }), new RemoteModelLoader(), pipeline);

        using var remote = loader.Load(new ModelDescriptor("lab", "http://127.0.0.1:9/v1", 0, RemoteSettings()), TestContext.Current.CancellationToken);
        using var local = loader.Load(new ModelDescriptor("small", "/models/small.gguf", 1, new ModelSettings()), TestContext.Current.CancellationToken);

        Assert.IsType<TelemetryChatClient>(remote.ChatClient);
        Assert.IsType<TelemetryChatClient>(local.ChatClient);
        Assert.NotNull(remote.ChatClient.GetService(typeof(BackendPoolChatClient)));
    }

    [Fact]
    public void Load_LocalModelBehindTheChain_FileLeaseAndLockedBytesStillReachTheManager()
    {
        var recorder = new ModelCallRecorder(TimeProvider.System);
        var pipeline = ChatClientPipeline.Of([(builder, model) => builder.UseTelemetry(model.Name, recorder)]);
        var inner = new LeasedModel();
        var loader = new TrackingModelLoader(new HostedModelLoader(new OneModelLoader(inner), new RemoteModelLoader(), pipeline), new ServerState(), recorder, new LinesLogger());

        using var loaded = loader.Load(new ModelDescriptor("small", "/models/small.gguf", 1, new ModelSettings()), TestContext.Current.CancellationToken);

        var holder = Assert.IsAssignableFrom<IFileLeaseHolder>(loaded);
        Assert.False(holder.LeaseBreaking);
        inner.Breaking = true;
        Assert.True(holder.LeaseBreaking);
        Assert.Equal(4096, Assert.IsAssignableFrom<ILockedMemory>(loaded).LockedBytes);
    }

    private static ModelSettings RemoteSettings()
    {
        var settings = new ModelSettings();
        settings.RemoteBackends.Add(new RemoteBackendOptions { Name = "lab", Endpoint = new Uri("http://127.0.0.1:9/v1"), Model = "test" });
        return settings;
    }

    private sealed class LeasedModel : ILoadedModel, IFileLeaseHolder, ILockedMemory
    {
        public bool Breaking { get; set; }

        public Microsoft.Extensions.AI.IChatClient ChatClient { get; } = ScriptedChatClient.Text("x");

        public bool LeaseBreaking => Breaking;

        public long LockedBytes => 4096;

        public void Dispose()
        {
        }
    }

    private sealed class OneModelLoader(ILoadedModel model) : IModelLoader
    {
        public ILoadedModel Load(ModelDescriptor descriptor, CancellationToken cancellationToken) => model;
    }

    private sealed class LinesLogger : ILogger
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                Lines.Add(formatter(state, exception));
            }
        }
    }
}
