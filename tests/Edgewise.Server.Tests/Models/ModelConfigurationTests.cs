using System.Net;
using System.Text.Json;
using Edgewise.Agents.Configuration;
using Edgewise.Inference.Runtime;
using Edgewise.Models.Catalog;
using Edgewise.Models.Import;
using Edgewise.Models.Management;
using Edgewise.Models.Storage;
using Edgewise.Hosting;
using Edgewise.Server.Hosting;
using Edgewise.Server.Tests.Support;
using Edgewise.Testing;
using Microsoft.Extensions.AI;

namespace Edgewise.Server.Tests.Models;

/// <summary>The <c>models</c> section of edgewise.yaml reaches the server: settings, remote backends, failover, preload, pinning.</summary>
public sealed class ModelConfigurationTests
{
    private static string Phi4 => SharedPaths.ReferenceFile("models", "ref-phi4-Q4_K_M.gguf");

    private static EdgewiseConfig Config(string yaml) => EdgewiseConfig.Parse(yaml, "/etc/edgewise/edgewise.yaml", new ToolRegistry());

    private static async Task<string> ContentOf(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
    }

    [Fact]
    public async Task Build_PathEntry_RegistersItWithItsSettings()
    {
        var config = Config($"""
            models:
              small:
                path: {Phi4}
                context: 256
                threads: 1
                parallel: 2
                kv_cache: f32
                keep_alive: 0
                pin: true
                mlock: true
            """);
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("x"), o => o.Configuration = config);

        var descriptor = server.Service<RegisteredModelResolver>().Resolve("small");

        Assert.Equal(Phi4, descriptor.Path);
        var s = descriptor.Settings;
        Assert.Equal(256, s.ContextLength);
        Assert.Equal(1, s.Threads);
        Assert.Equal(2, s.ParallelSequences);
        Assert.Equal(KvCacheType.F32, s.KvCacheType);
        Assert.Equal(TimeSpan.Zero, s.KeepAlive);
        Assert.True(s.Pinned);
        Assert.True(s.MemoryLock);
        Assert.False(descriptor.IsRemote);
        Assert.Contains("small", server.Service<RegisteredModelResolver>().Names);
    }

    [Fact]
    public async Task Chat_RemoteEntry_IsAnsweredByTheRemoteServer()
    {
        await using var remote = await LiveServer.StartAsync(ScriptedChatClient.Text("from ", "remote"));
        var config = Config($"""
            models:
              lab:
                url: {remote.BaseAddress}v1
                model: test
            """);
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("local"), o => o.Configuration = config);

        using var response = await server.PostChatAsync(LiveServer.Chat("lab"));

        Assert.Equal("from remote", await ContentOf(response));
        Assert.Contains(server.Service<ModelManager>().Loaded, m => m.Name == "lab" && m.MemoryBytes == 0);
    }

    [Fact]
    public async Task Chat_RemoteDown_FailsOverInOrder()
    {
        await using var backup = await LiveServer.StartAsync(ScriptedChatClient.Text("backup answered"));
        var config = Config($"""
            models:
              lab:
                url: http://127.0.0.1:9/v1
                model: test
                failover: [backup]
              backup:
                url: {backup.BaseAddress}v1
                model: test
            """);
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("local"), o => o.Configuration = config);

        using var response = await server.PostChatAsync(LiveServer.Chat("lab"));

        Assert.Equal("backup answered", await ContentOf(response));
    }

    [Fact]
    public async Task Chat_Pool_SpreadsOverBackendsFailsOverAndShowsEachInMetrics()
    {
        await using var one = await LiveServer.StartAsync(ScriptedChatClient.Text("one"));
        await using var two = await LiveServer.StartAsync(ScriptedChatClient.Text("two"));
        await using var standby = await LiveServer.StartAsync(ScriptedChatClient.Text("standby"));
        var config = Config($"""
            models:
              lab:
                model: test
                backends:
                  - name: one
                    url: {one.BaseAddress}v1
                  - name: two
                    url: {two.BaseAddress}v1
                failover: [spare]
              spare:
                url: {standby.BaseAddress}v1
                model: test
            """);
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("local"), o => o.Configuration = config);

        var answers = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            using var response = await server.PostChatAsync(LiveServer.Chat("lab"));
            answers.Add(await ContentOf(response));
        }

        var metrics = await server.Client.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
        await one.DisposeAsync();
        await two.DisposeAsync();
        using (var response = await server.PostChatAsync(LiveServer.Chat("lab")))
        {
            answers.Add(await ContentOf(response));
        }

        var after = await server.Client.GetStringAsync("/metrics", TestContext.Current.CancellationToken);

        Assert.Equal(["one", "two", "one", "two", "standby"], answers);
        Assert.Contains("edgewise_backend_requests_total{model=\"lab\",backend=\"one\",priority=\"0\"} 2\n", metrics, StringComparison.Ordinal);
        Assert.Contains("edgewise_backend_requests_total{model=\"lab\",backend=\"two\",priority=\"0\"} 2\n", metrics, StringComparison.Ordinal);
        Assert.Contains("edgewise_backend_up{model=\"lab\",backend=\"spare\",priority=\"1\"} -1\n", metrics, StringComparison.Ordinal);
        Assert.Contains("edgewise_backend_up{model=\"lab\",backend=\"one\",priority=\"0\"} 0\n", after, StringComparison.Ordinal);
        Assert.Contains("edgewise_backend_up{model=\"lab\",backend=\"spare\",priority=\"1\"} 1\n", after, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_EntryNamedLikeACommandLineModel_IsRefused()
    {
        var options = LiveServer.NewOptions();
        options.Models.Add(new ServerModel("small", Phi4));
        options.Configuration = Config($"models:\n  small:\n    path: {Phi4}\n");

        var e = Assert.Throws<ServerConfigurationException>(() => EdgewiseServer.Build(options));

        Assert.Contains("models.small", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Preload_MarkedModels_AreLoadedAtStartAndOthersAreNot()
    {
        var config = Config($"""
            models:
              warm:
                path: {Phi4}
                context: 128
                preload: true
              cold:
                path: {Phi4}
                context: 128
            """);
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("x"), o => (o.Configuration, o.Loader) = (config, new LocalModelLoader()));

        // Started servers preload on their own; no request has been sent.
        await LiveServer.WaitUntilAsync(() => server.Service<ModelManager>().Loaded.Count > 0 && !server.Service<ServerState>().Loading);

        var loaded = server.Service<ModelManager>().Loaded;
        Assert.Equal(["warm"], loaded.Select(m => m.Name));
    }

    [Fact]
    public async Task Resolve_RegisteredModelWithoutParallelSetting_DecodesAsManyAsAdmissionAdmits()
    {
        await using var server = await LiveServer.StartRealAsync("plain", "ref-qwen2-Q4_K_M.gguf", configure: o => o.Admission.ParallelSequences = 3);

        var settings = server.Service<RegisteredModelResolver>().Resolve("plain").Settings;

        Assert.Equal(3, settings.ParallelSequences);
    }

    [Fact]
    public async Task Preload_NothingMarked_LoadsNothing()
    {
        var config = Config($"models:\n  cold:\n    path: {Phi4}\n");
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("x"), o => o.Configuration = config);

        await EdgewiseServer.PreloadModelsAsync(server.App.Services, TestContext.Current.CancellationToken);

        Assert.Empty(server.Service<ModelManager>().Loaded);
    }

    [Fact]
    public async Task Pin_PinnedModelHoldsTheBudget_OtherModelIsRefusedNotSwapped()
    {
        var config = Config($"""
            models:
              router:
                path: {Phi4}
                context: 128
                pin: true
                keep_alive: 0
                preload: true
            """);
        await using var server = await LiveServer.StartRealAsync("other", "ref-qwen2-Q4_K_M.gguf", new ModelSettings { ContextLength = 128 }, o =>
        {
            o.Configuration = config;
            o.ModelManager = new ModelManagerOptions { MemoryBudgetBytes = 100L << 20 };
        });
        await EdgewiseServer.PreloadModelsAsync(server.App.Services, TestContext.Current.CancellationToken);
        Assert.Equal(["router"], server.Service<ModelManager>().Loaded.Select(m => m.Name));

        using var response = await server.PostChatAsync(LiveServer.Chat("other"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(["router"], server.Service<ModelManager>().Loaded.Select(m => m.Name));
    }

    [Fact]
    public async Task Preload_AgentOnPreloadedModel_ItsSystemPromptIsWarmed()
    {
        var config = Config($"""
            models:
              warm:
                path: {Phi4}
                context: 512
                preload: true
            agents:
              helper:
                model: warm
                instructions: You are the help desk assistant of a small hardware shop. Answer in one or two short sentences, name the aisle of every product you mention, and never promise delivery dates or prices that are not in the catalogue.
              other:
                model: warm
            """);
        using var loaded = new LocalModelLoader().Load(new ModelDescriptor("warm", SharedPaths.ReferenceFile("models", "ref-qwen2-Q4_K_M.gguf"), 1, new ModelSettings { ContextLength = 512 }), TestContext.Current.CancellationToken);
        var client = Assert.IsType<Edgewise.Inference.LocalChatClient>(loaded.ChatClient);

        var warmed = await ModelPreload.WarmAgentPromptsAsync("warm", client, config, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, TestContext.Current.CancellationToken);

        Assert.True(warmed > 0, "no prompt tokens were cached; prompt tokens " + client.TokenizePrompt([new Microsoft.Extensions.AI.ChatMessage(Microsoft.Extensions.AI.ChatRole.System, config.Agents["helper"].Instructions!)]).Length);
        Assert.Equal(0, await ModelPreload.WarmAgentPromptsAsync("elsewhere", client, config, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Listings_RemoteAndUnpulledAliasEntries_ListRemoteAndKeepWorking()
    {
        var config = Config("""
            models:
              lab:
                url: http://127.0.0.1:9/v1
                model: test
              later:
                alias: qwen2.5-0.5b
            """);
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("x"), o => o.Configuration = config);

        using var tags = await server.Client.GetAsync(new Uri("/api/tags", UriKind.Relative), TestContext.Current.CancellationToken);
        using var models = await server.Client.GetAsync(new Uri("/v1/models", UriKind.Relative), TestContext.Current.CancellationToken);

        var tagsBody = await tags.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var modelsBody = await models.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(tags.IsSuccessStatusCode, tagsBody);
        Assert.True(models.IsSuccessStatusCode, modelsBody);
        Assert.Contains("\"lab\"", tagsBody, StringComparison.Ordinal);
        Assert.Contains("\"lab\"", modelsBody, StringComparison.Ordinal);
        Assert.DoesNotContain("\"later\"", tagsBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resolve_AliasEntryWithoutParallelSetting_GetsTheManagersDefaultAndKeepsItsOwnSettings()
    {
        var home = Directory.CreateTempSubdirectory("edgewise-alias-");
        try
        {
            var store = new ModelStore(home.FullName);
            new ModelImporter(store).Import(Phi4, ModelReference.Parse("tiny"));
            var manager = new ModelManagerOptions { DefaultParallelSequences = 3 };
            var config = Config("""
                models:
                  helper:
                    alias: tiny
                    context: 128
                    pin: true
                """);
            await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("x"), o =>
            {
                o.Configuration = config;
                o.ModelManager = manager;
                o.FallbackResolver = new StoreModelResolver(store, manager);
            });

            var settings = server.Service<RegisteredModelResolver>().Resolve("helper").Settings;

            Assert.Equal(3, settings.ParallelSequences);
            Assert.Equal(128, settings.ContextLength);
            Assert.True(settings.Pinned);
            Assert.Null(config.Models["helper"].Parallel);
        }
        finally
        {
            home.Delete(recursive: true);
        }
    }
}
