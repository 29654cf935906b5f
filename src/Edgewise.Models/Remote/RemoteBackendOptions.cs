namespace Edgewise.Models.Remote;

/// <summary>
/// One OpenAI-compatible endpoint named in configuration, as a member of a <see cref="BackendPoolChatClient"/>: the backends
/// of one model entry (<c>url</c>, or each item of <c>backends</c>) share <see cref="Priority"/> 0 and split the requests
/// by <see cref="Weight"/>; the backends of its <c>failover</c> entries follow with priority 1, 2, … and are used only
/// while every backend before them is down.
/// </summary>
public sealed class RemoteBackendOptions
{
    /// <summary>The largest <see cref="Weight"/>.</summary>
    public const int MaxWeight = 1000;

    /// <summary>The name shown in health reports and logs, e.g. <c>lab-vllm</c>.</summary>
    public required string Name { get; init; }

    /// <summary>The API base, e.g. <c>http://127.0.0.1:11434/v1</c>; <c>chat/completions</c> and <c>models</c> are appended.</summary>
    public required Uri Endpoint { get; init; }

    /// <summary>The model name the endpoint knows.</summary>
    public required string Model { get; init; }

    /// <summary>
    /// The environment variable that holds the API key (the key itself never sits in configuration); null or an unset
    /// variable sends no Authorization header.
    /// </summary>
    public string? ApiKeyEnvironmentVariable { get; init; }

    /// <summary>The network time-out per request; null means 100 seconds.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>
    /// The share of requests among the healthy backends of the same <see cref="Priority"/>: a request goes to the one with
    /// the fewest outstanding requests per unit of weight (default 1, at most 1000).
    /// </summary>
    public int Weight { get; init; } = 1;

    /// <summary>The failover rank: the pool uses backends of a higher value only while all of a lower value are down (default 0).</summary>
    public int Priority { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> when a value is missing or malformed.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Name))
        {
            throw new ArgumentException("A remote backend needs a name.", nameof(Name));
        }

        if (Endpoint is null || !Endpoint.IsAbsoluteUri || (Endpoint.Scheme != Uri.UriSchemeHttp && Endpoint.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException("A remote backend's endpoint must be an absolute http or https URL.", nameof(Endpoint));
        }

        if (string.IsNullOrWhiteSpace(Model))
        {
            throw new ArgumentException("A remote backend needs a model name.", nameof(Model));
        }

        if (Timeout is { } timeout && timeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("A remote backend's time-out must be positive.", nameof(Timeout));
        }

        if (Weight is < 1 or > MaxWeight)
        {
            throw new ArgumentException("A remote backend's weight must be between 1 and 1000.", nameof(Weight));
        }

        if (Priority < 0)
        {
            throw new ArgumentException("A remote backend's priority cannot be negative.", nameof(Priority));
        }
    }

    /// <summary>The API key read from <see cref="ApiKeyEnvironmentVariable"/>, or null.</summary>
    public string? ResolveApiKey() =>
        string.IsNullOrWhiteSpace(ApiKeyEnvironmentVariable) ? null
        : Environment.GetEnvironmentVariable(ApiKeyEnvironmentVariable) is { Length: > 0 } key ? key
        : null;
}
