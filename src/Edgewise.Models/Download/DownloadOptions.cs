namespace Edgewise.Models.Download;

/// <summary>
/// Where and how models are downloaded. Null or unset properties keep the documented defaults;
/// <see cref="FromEnvironment"/> applies <c>HF_ENDPOINT</c> and <c>HF_TOKEN</c> as the Hugging Face tools do.
/// </summary>
public sealed class DownloadOptions
{
    /// <summary>The environment variable naming a Hugging Face mirror.</summary>
    public const string EndpointVariable = "HF_ENDPOINT";

    /// <summary>The environment variable holding a Hugging Face access token (for gated repositories).</summary>
    public const string TokenVariable = "HF_TOKEN";

    /// <summary>The default endpoint.</summary>
    public static readonly Uri DefaultEndpoint = new("https://huggingface.co");

    private Uri _endpoint = DefaultEndpoint;
    private int _maxRedirects = 5;
    private int _maxAttempts = 5;
    private TimeSpan _stallTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Base address files are resolved against as <c>{endpoint}/{repo}/resolve/{revision}/{file}</c>. Default https://huggingface.co.</summary>
    public Uri Endpoint
    {
        get => _endpoint;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            if (!value.IsAbsoluteUri || (value.Scheme != Uri.UriSchemeHttps && value.Scheme != Uri.UriSchemeHttp) || !string.IsNullOrEmpty(value.UserInfo))
            {
                throw new ArgumentException("The endpoint must be an absolute http or https address without credentials.", nameof(value));
            }

            _endpoint = value;
        }
    }

    /// <summary>
    /// Hosts a redirect may lead to, besides the endpoint's own host: an exact host name, or a name starting with a
    /// dot for any subdomain (<c>.hf.co</c>). Default: the Hugging Face hosts and their CDNs.
    /// </summary>
    public IList<string> AllowedRedirectHosts { get; } = ["huggingface.co", ".huggingface.co", "hf.co", ".hf.co"];

    /// <summary>Most redirects followed for one request (default 5).</summary>
    public int MaxRedirects
    {
        get => _maxRedirects;
        set => _maxRedirects = value is >= 0 and <= 20 ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    /// <summary>Attempts per download, each resuming where the last stopped (default 5).</summary>
    public int MaxAttempts
    {
        get => _maxAttempts;
        set => _maxAttempts = value is >= 1 and <= 100 ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    /// <summary>Longest wait for response headers or for the next body bytes before an attempt is abandoned (default 30 s).</summary>
    public TimeSpan StallTimeout
    {
        get => _stallTimeout;
        set => _stallTimeout = value > TimeSpan.Zero ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    /// <summary>Pause before a retry (default 1 s).</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Bearer token sent to the endpoint's host only, never to redirect targets. Default none.</summary>
    public string? Token { get; set; }

    /// <summary>Repository revision (default <c>main</c>).</summary>
    public string Revision { get; set; } = "main";

    /// <summary>Options with <c>HF_ENDPOINT</c> and <c>HF_TOKEN</c> applied when set.</summary>
    /// <exception cref="ModelException"><see cref="ModelErrorCodes.Offline"/>: HF_ENDPOINT is not an http(s) address.</exception>
    public static DownloadOptions FromEnvironment()
    {
        var options = new DownloadOptions();
        var endpoint = Environment.GetEnvironmentVariable(EndpointVariable);
        if (!string.IsNullOrWhiteSpace(endpoint))
        {
            if (!Uri.TryCreate(endpoint.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
            {
                throw new ModelException(ModelErrorCodes.Offline, "HF_ENDPOINT must be an http or https address, e.g. https://hf-mirror.example.");
            }

            options.Endpoint = uri;
        }

        var token = Environment.GetEnvironmentVariable(TokenVariable);
        options.Token = string.IsNullOrWhiteSpace(token) ? null : token.Trim();
        return options;
    }

    /// <summary>True when a redirect may go to <paramref name="host"/>.</summary>
    internal bool IsAllowedHost(string host)
    {
        if (string.Equals(host, Endpoint.IdnHost, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        foreach (var allowed in AllowedRedirectHosts)
        {
            if (allowed.StartsWith('.')
                ? host.EndsWith(allowed, StringComparison.OrdinalIgnoreCase) && host.Length > allowed.Length
                : string.Equals(host, allowed, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>Download progress.</summary>
/// <param name="BytesReceived">Bytes on disk so far (resumed bytes included).</param>
/// <param name="TotalBytes">Total size when known.</param>
/// <param name="Attempt">Attempt number, from 1.</param>
public readonly record struct DownloadProgress(long BytesReceived, long? TotalBytes, int Attempt);

/// <summary>A finished, verified download.</summary>
/// <param name="Digest">The file's sha256.</param>
/// <param name="Size">The file's size.</param>
/// <param name="Attempts">Attempts it took.</param>
/// <param name="ResumedFrom">Bytes already on disk when the first attempt started.</param>
public sealed record DownloadResult(Storage.Sha256Digest Digest, long Size, int Attempts, long ResumedFrom)
{
    /// <summary>What the digest was checked against.</summary>
    public DigestSource DigestSource { get; init; }
}

/// <summary>What a download's sha256 was checked against.</summary>
public enum DigestSource
{
    /// <summary>Nothing: no digest was given and the server published none; the digest is what arrived.</summary>
    None,

    /// <summary>The digest the caller expected (a catalog entry, a pin, a file list).</summary>
    Expected,

    /// <summary>The digest the server published with the file (<c>X-Linked-Etag</c>).</summary>
    Published,
}
