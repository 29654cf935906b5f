using System.Globalization;
using System.Net;
using System.Text.Json;

namespace Edgewise.Models.Remote;

/// <summary>
/// Finds inference servers already running on this machine's loopback address: Ollama (port 11434), llama-server (8080)
/// and Foundry Local. Foundry Local picks its port when its service starts; <see cref="FoundryLocalDefaultPort"/> is only
/// where it is commonly found, and <c>foundry service status</c> prints the real one. Every probe is a plain GET with a short
/// time-out, all run at once; an answer that is not the expected JSON counts as nothing found.
/// </summary>
public static class LoopbackDiscovery
{
    /// <summary>Ollama's documented default port.</summary>
    public const int OllamaDefaultPort = 11434;

    /// <summary>llama-server's documented default port.</summary>
    public const int LlamaServerDefaultPort = 8080;

    /// <summary>The port Foundry Local is commonly found on; it may choose another (see <c>foundry service status</c>).</summary>
    public const int FoundryLocalDefaultPort = 5273;

    /// <summary>The probes used when none are given: each kind on its default port.</summary>
    public static IReadOnlyList<LoopbackProbe> DefaultProbes { get; } =
    [
        new(LocalServerKinds.Ollama, OllamaDefaultPort),
        new(LocalServerKinds.LlamaServer, LlamaServerDefaultPort),
        new(LocalServerKinds.FoundryLocal, FoundryLocalDefaultPort),
    ];

    /// <summary>Probes 127.0.0.1 and returns the servers that answered, in the order of <paramref name="probes"/>.</summary>
    /// <param name="probes">Kinds and ports to look at; null means <see cref="DefaultProbes"/>.</param>
    /// <param name="timeout">How long each probe may take; null means 500 ms.</param>
    /// <param name="cancellationToken">Cancels the whole discovery.</param>
    public static async Task<IReadOnlyList<DiscoveredServer>> DiscoverAsync(IEnumerable<LoopbackProbe>? probes = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var list = (probes ?? DefaultProbes).ToList();
        var limit = timeout ?? TimeSpan.FromMilliseconds(500);
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }) { Timeout = Timeout.InfiniteTimeSpan };
        var found = await Task.WhenAll(list.Select(p => ProbeAsync(http, p, limit, cancellationToken))).ConfigureAwait(false);
        return [.. found.OfType<DiscoveredServer>()];
    }

    private static async Task<DiscoveredServer?> ProbeAsync(HttpClient http, LoopbackProbe probe, TimeSpan limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(probe);
        var root = new Uri("http://127.0.0.1:" + probe.Port.ToString(CultureInfo.InvariantCulture) + "/");
        var endpoint = new Uri(root, "v1");
        if (probe.Kind == LocalServerKinds.Ollama)
        {
            return await GetJsonAsync(http, new Uri(root, "api/tags"), limit, cancellationToken).ConfigureAwait(false) is { } tags
                && Names(tags, "models", "name") is { } models
                ? new DiscoveredServer(probe.Kind, probe.Port, endpoint, models)
                : null;
        }

        if (await GetJsonAsync(http, new Uri(root, "v1/models"), limit, cancellationToken).ConfigureAwait(false) is { } list
            && Names(list, "data", "id") is { } ids)
        {
            return new DiscoveredServer(probe.Kind, probe.Port, endpoint, ids);
        }

        return probe.Kind == LocalServerKinds.LlamaServer
            && await GetJsonAsync(http, new Uri(root, "health"), limit, cancellationToken).ConfigureAwait(false) is { } health
            && health.ValueKind == JsonValueKind.Object && health.TryGetProperty("status", out _)
            ? new DiscoveredServer(probe.Kind, probe.Port, endpoint, [])
            : null;
    }

    private static async Task<JsonElement?> GetJsonAsync(HttpClient http, Uri uri, TimeSpan limit, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(limit);
        try
        {
            using var response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK || response.Content.Headers.ContentLength > 4 << 20)
            {
                return null;
            }

            var body = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
            await using (body.ConfigureAwait(false))
            {
                using var document = await JsonDocument.ParseAsync(body, default, timeout.Token).ConfigureAwait(false);
                return document.RootElement.Clone();
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or IOException)
        {
            return null;
        }
    }

    /// <summary>The string values of <paramref name="field"/> in the objects of the array <paramref name="array"/>, or null when the shape differs.</summary>
    private static List<string>? Names(JsonElement root, string array, string field)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty(array, out var items) || items.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        var names = new List<string>();
        foreach (var item in items.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty(field, out var name) && name.ValueKind == JsonValueKind.String)
            {
                names.Add(name.GetString()!);
            }
        }

        return names;
    }
}
