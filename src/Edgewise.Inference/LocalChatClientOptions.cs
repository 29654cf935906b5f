using Edgewise.Inference.Runtime;

namespace Edgewise.Inference;

/// <summary>Settings of a <see cref="LocalChatClient"/>. A null property means the documented default.</summary>
public sealed class LocalChatClientOptions
{
    private int? _maxConcurrentRequests;

    /// <summary>Context (and KV cache) settings; default <see cref="ContextOptions"/> defaults. Its sequence count is set by <see cref="MaxConcurrentRequests"/>.</summary>
    public ContextOptions? Context { get; set; }

    /// <summary>Requests served at once, each with its own sequence; more wait. Default 1.</summary>
    public int? MaxConcurrentRequests
    {
        get => _maxConcurrentRequests;
        set => _maxConcurrentRequests = value is <= 0 ? throw new ArgumentOutOfRangeException(nameof(value), "The value must be positive.") : value;
    }

    /// <summary>Model id reported in responses; default <c>general.name</c>, else the architecture name.</summary>
    public string? ModelId { get; set; }

    /// <summary>Most tokens generated when a request does not say; default: until the context is full.</summary>
    public int? DefaultMaxOutputTokens { get; set; }
}
