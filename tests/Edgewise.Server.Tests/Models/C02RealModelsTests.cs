using System.Net;
using Edgewise.Models.Management;
using Edgewise.Hosting;
using Edgewise.Server.Hosting;
using Edgewise.Server.Tests.Support;
using Edgewise.Testing;
using Microsoft.Extensions.AI;

namespace Edgewise.Server.Tests.Models;

/// <summary>
/// C02 end to end: two real reference models behind the real server and the embedded engine, a budget that holds only
/// one of them, keep-alive 1 s, concurrent and queued requests for both.
/// </summary>
public sealed class C02RealModelsTests
{
    [Fact]
    public async Task C02_TwoRealModelsTinyBudget_LoadsSerializedOnlyIdleEvictedNoRequestSeesUnload()
    {
        var loader = new AuditingLoader(new LocalModelLoader());
        var settings = new ModelSettings { ContextLength = 128, KeepAlive = TimeSpan.FromSeconds(1), ParallelSequences = 1 };
        await using var server = await LiveServer.StartRealAsync("phi4", "ref-phi4-Q4_K_M.gguf", settings, o =>
        {
            o.Models.Add(new ServerModel("qwen2", SharedPaths.ReferenceFile("models", "ref-qwen2-Q4_K_M.gguf"), settings));
            o.Loader = loader;
            o.ModelManager = new ModelManagerOptions { MemoryBudgetBytes = 120L << 20, LoadWaitTimeout = TimeSpan.FromMinutes(2) };
        });
        var manager = server.Service<ModelManager>();
        var resolver = server.Service<RegisteredModelResolver>();
        Assert.True(resolver.Resolve("phi4").MemoryBytes + resolver.Resolve("qwen2").MemoryBytes > manager.MemoryBudgetBytes, "both models must not fit at once");

        // Concurrent requests for both models (each model's extra requests queue in admission or wait for memory).
        var requests = Enumerable.Range(0, 8)
            .Select(i => server.PostChatAsync(LiveServer.Chat(i % 2 == 0 ? "phi4" : "qwen2", ""","max_tokens":3,"temperature":0""")))
            .ToList();
        var responses = await Task.WhenAll(requests);

        foreach (var response in responses)
        {
            var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
            response.Dispose();
        }

        Assert.Equal(1, loader.MaxConcurrentLoads);
        Assert.True(loader.MaxLoadedAtOnce <= 1, "both models were resident at once despite the budget");
        Assert.Empty(loader.Violations);
        Assert.True(loader.Loads >= 2, "each model is loaded at least once");

        // Keep-alive 1 s: once idle, the last model unloads by itself.
        await LiveServer.WaitUntilAsync(() => manager.Loaded.Count == 0);
        Assert.Equal(loader.Loads, loader.Unloads);
        Assert.False(server.Service<ServerState>().Loading);
    }

    /// <summary>Wraps the real loader: counts concurrent loads and resident models, and flags an unload while a request runs.</summary>
    private sealed class AuditingLoader(IModelLoader inner) : IModelLoader
    {
        private readonly Lock _gate = new();
        private int _loading;
        private int _resident;

        public int MaxConcurrentLoads { get; private set; }

        public int MaxLoadedAtOnce { get; private set; }

        public int Loads { get; private set; }

        public int Unloads { get; private set; }

        public List<string> Violations { get; } = [];

        public ILoadedModel Load(ModelDescriptor descriptor, CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                MaxConcurrentLoads = Math.Max(MaxConcurrentLoads, ++_loading);
            }

            try
            {
                var model = inner.Load(descriptor, cancellationToken);
                lock (_gate)
                {
                    Loads++;
                    MaxLoadedAtOnce = Math.Max(MaxLoadedAtOnce, ++_resident);
                }

                return new Audited(this, descriptor.Name, model);
            }
            finally
            {
                lock (_gate)
                {
                    _loading--;
                }
            }
        }

        private void Unloaded(string name, int active)
        {
            lock (_gate)
            {
                Unloads++;
                _resident--;
                if (active != 0)
                {
                    Violations.Add($"{name} unloaded with {active} request(s) running");
                }
            }
        }

        private sealed class Audited(AuditingLoader owner, string name, ILoadedModel inner) : ILoadedModel
        {
            private readonly CountingClient _client = new(inner.ChatClient);

            public IChatClient ChatClient => _client;

            public void Dispose()
            {
                owner.Unloaded(name, _client.Active);
                inner.Dispose();
            }
        }

        private sealed class CountingClient(IChatClient inner) : DelegatingChatClient(inner)
        {
            private int _active;

            public int Active => Volatile.Read(ref _active);

            public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
            {
                Interlocked.Increment(ref _active);
                try
                {
                    return await base.GetResponseAsync(messages, options, cancellationToken);
                }
                finally
                {
                    Interlocked.Decrement(ref _active);
                }
            }

            public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
            {
                Interlocked.Increment(ref _active);
                try
                {
                    await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken))
                    {
                        yield return update;
                    }
                }
                finally
                {
                    Interlocked.Decrement(ref _active);
                }
            }
        }
    }
}
