namespace Edgewise.Models.Remote;

/// <summary>The kinds of local inference servers <see cref="LoopbackDiscovery"/> recognises.</summary>
public static class LocalServerKinds
{
    /// <summary>Ollama: <c>GET /api/tags</c> lists its models; its OpenAI-compatible API is under <c>/v1</c>.</summary>
    public const string Ollama = "ollama";

    /// <summary>llama.cpp's llama-server: <c>GET /v1/models</c> names the loaded model, <c>GET /health</c> answers when it is up.</summary>
    public const string LlamaServer = "llama-server";

    /// <summary>Microsoft Foundry Local: an OpenAI-compatible API under <c>/v1</c> on a port chosen when its service starts.</summary>
    public const string FoundryLocal = "foundry-local";
}

/// <summary>One loopback port to look at for a server of <paramref name="Kind"/> (one of <see cref="LocalServerKinds"/>).</summary>
/// <param name="Kind">The kind of server expected there.</param>
/// <param name="Port">The TCP port on 127.0.0.1.</param>
public sealed record LoopbackProbe(string Kind, int Port);

/// <summary>A local inference server found on loopback.</summary>
/// <param name="Kind">One of <see cref="LocalServerKinds"/>.</param>
/// <param name="Port">The port it listens on.</param>
/// <param name="Endpoint">Its OpenAI-compatible API base, usable as <see cref="RemoteBackendOptions.Endpoint"/>.</param>
/// <param name="Models">The model names it reports (empty when it only answered its health route).</param>
public sealed record DiscoveredServer(string Kind, int Port, Uri Endpoint, IReadOnlyList<string> Models);
