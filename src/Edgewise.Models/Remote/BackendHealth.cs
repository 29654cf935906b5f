using System.Net.Http.Headers;

namespace Edgewise.Models.Remote;

/// <summary>
/// One backend's cached health: <c>GET {endpoint}/models</c> with a short time-out; any HTTP answer below 500 counts as
/// alive (a 401 or 404 still shows a server listening). Results, and failures seen by requests, are kept for the cache duration.
/// </summary>
internal sealed class BackendHealth(RemoteBackendOptions options, string? apiKey, HttpClient http, BackendPoolOptions settings, TimeProvider time)
{
    private readonly Lock _gate = new();
    private bool _healthy;
    private DateTimeOffset? _checkedAt;

    public RemoteBackendOptions Options { get; } = options;

    public BackendStatus? Status
    {
        get
        {
            lock (_gate)
            {
                return _checkedAt is { } at ? new BackendStatus(Options.Name, Options.Endpoint, Options.Model, _healthy, at) : null;
            }
        }
    }

    /// <summary>The last result of a check or request, or null before the first.</summary>
    public bool? LastKnown
    {
        get
        {
            lock (_gate)
            {
                return _checkedAt is null ? null : _healthy;
            }
        }
    }

    public async Task<bool> IsHealthyAsync(bool force, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!force && _checkedAt is { } at && time.GetUtcNow() - at < settings.EffectiveHealthCacheDuration)
            {
                return _healthy;
            }
        }

        var healthy = await ProbeAsync(cancellationToken).ConfigureAwait(false);
        Record(healthy);
        return healthy;
    }

    public void Record(bool healthy)
    {
        lock (_gate)
        {
            _healthy = healthy;
            _checkedAt = time.GetUtcNow();
        }
    }

    private async Task<bool> ProbeAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.EffectiveHealthCheckTimeout);
        using var request = new HttpRequestMessage(HttpMethod.Get, ModelsUri(Options.Endpoint));
        if (apiKey is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }

        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            return (int)response.StatusCode < 500;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    internal static Uri ModelsUri(Uri endpoint) =>
        new(endpoint.AbsoluteUri.EndsWith('/') ? endpoint : new Uri(endpoint.AbsoluteUri + "/"), "models");
}
