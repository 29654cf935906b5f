using System.Net;
using System.Text;
using Edgewise.Models.Remote;

namespace Edgewise.Models.Tests.Remote;

public sealed class LoopbackDiscoveryTests
{
    /// <summary>A probe time-out that a loaded shared test machine cannot trip for a server that answers at once.</summary>
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(10);

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task DiscoverAsync_FakeOllama_ListsItsModelsAndV1Endpoint()
    {
        await using var ollama = new LoopbackServer(Routes(("/api/tags", "{\"models\":[{\"name\":\"qwen2.5:0.5b\",\"size\":1},{\"name\":\"llama3.2:1b\"}]}")));

        var found = await LoopbackDiscovery.DiscoverAsync([new(LocalServerKinds.Ollama, ollama.Port)], Generous, Cancel);

        var server = Assert.Single(found);
        Assert.Equal(LocalServerKinds.Ollama, server.Kind);
        Assert.Equal(ollama.Port, server.Port);
        Assert.Equal(new Uri($"http://127.0.0.1:{ollama.Port}/v1"), server.Endpoint);
        Assert.Equal(["qwen2.5:0.5b", "llama3.2:1b"], server.Models);
    }

    [Fact]
    public async Task DiscoverAsync_LlamaServerModels_ListsModelIds()
    {
        await using var llama = new LoopbackServer(Routes(("/v1/models", "{\"object\":\"list\",\"data\":[{\"id\":\"qwen2.5-0.5b-instruct-q8_0.gguf\",\"object\":\"model\"}]}")));

        var found = await LoopbackDiscovery.DiscoverAsync([new(LocalServerKinds.LlamaServer, llama.Port)], Generous, Cancel);

        Assert.Equal(["qwen2.5-0.5b-instruct-q8_0.gguf"], Assert.Single(found).Models);
    }

    [Fact]
    public async Task DiscoverAsync_LlamaServerHealthOnly_FoundWithoutModels()
    {
        await using var llama = new LoopbackServer(Routes(("/health", "{\"status\":\"ok\"}")));

        var found = await LoopbackDiscovery.DiscoverAsync([new(LocalServerKinds.LlamaServer, llama.Port)], Generous, Cancel);

        Assert.Empty(Assert.Single(found).Models);
    }

    [Fact]
    public async Task DiscoverAsync_WrongShapeDeadPortAndOtherKind_FindsOnlyTheRealServer()
    {
        await using var stranger = new LoopbackServer(Routes(("/api/tags", "<html>not ollama</html>"), ("/v1/models", "{\"unexpected\":true}")));
        await using var foundry = new LoopbackServer(Routes(("/v1/models", "{\"data\":[{\"id\":\"phi-4-mini\"}]}")));
        var dead = LoopbackServer.FreePort();

        var found = await LoopbackDiscovery.DiscoverAsync(
            [new(LocalServerKinds.Ollama, stranger.Port), new(LocalServerKinds.LlamaServer, dead), new(LocalServerKinds.FoundryLocal, foundry.Port), new(LocalServerKinds.LlamaServer, stranger.Port)],
            Generous,
            Cancel);

        var server = Assert.Single(found);
        Assert.Equal(LocalServerKinds.FoundryLocal, server.Kind);
        Assert.Equal(["phi-4-mini"], server.Models);
    }

    [Fact]
    public async Task DiscoverAsync_SlowServer_GivesUpAfterTimeout()
    {
        await using var slow = new LoopbackServer(async (context, _) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
            context.Response.StatusCode = 200;
        });

        var found = await LoopbackDiscovery.DiscoverAsync([new(LocalServerKinds.Ollama, slow.Port)], TimeSpan.FromMilliseconds(200), Cancel);

        Assert.Empty(found);
    }

    [Fact]
    public void DefaultProbes_CoverEachKindOnItsDefaultPort()
    {
        Assert.Contains(new LoopbackProbe(LocalServerKinds.Ollama, 11434), LoopbackDiscovery.DefaultProbes);
        Assert.Contains(new LoopbackProbe(LocalServerKinds.LlamaServer, 8080), LoopbackDiscovery.DefaultProbes);
        Assert.Contains(LoopbackDiscovery.DefaultProbes, p => p.Kind == LocalServerKinds.FoundryLocal);
    }

    private static Func<HttpListenerContext, int, Task> Routes(params (string Path, string Body)[] routes) => async (context, _) =>
    {
        foreach (var (path, body) in routes)
        {
            if (context.Request.Url!.AbsolutePath == path)
            {
                var bytes = Encoding.UTF8.GetBytes(body);
                context.Response.ContentType = "application/json";
                context.Response.ContentLength64 = bytes.Length;
                await context.Response.OutputStream.WriteAsync(bytes);
                return;
            }
        }

        context.Response.StatusCode = 404;
    };
}
