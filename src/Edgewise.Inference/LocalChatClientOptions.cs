using Edgewise.Inference.Runtime;

namespace Edgewise.Inference;

/// <summary>Settings of a <see cref="LocalChatClient"/>. A null property means the documented default.</summary>
public sealed class LocalChatClientOptions
{
    /// <summary>Default <see cref="PrefixCacheBytes"/>: 64 MiB.</summary>
    public const long DefaultPrefixCacheBytes = 64L << 20;

    private int? _maxConcurrentRequests;
    private long? _prefixCacheBytes;

    /// <summary>Context (and KV cache) settings; default <see cref="ContextOptions"/> defaults. Its sequence count is set by <see cref="MaxConcurrentRequests"/>.</summary>
    public ContextOptions? Context { get; set; }

    /// <summary>Requests decoded at once, each with its own sequence, batched into one forward pass per step; more wait. Default 1.</summary>
    public int? MaxConcurrentRequests
    {
        get => _maxConcurrentRequests;
        set => _maxConcurrentRequests = value is <= 0 ? throw new ArgumentOutOfRangeException(nameof(value), "The value must be positive.") : value;
    }

    /// <summary>
    /// Most bytes of K and V kept for prompt prefixes (also of finished requests) so that prompts starting the same
    /// way skip evaluating that part; least recently used blocks go first. 0 turns the cache off. Default
    /// <see cref="DefaultPrefixCacheBytes"/>.
    /// </summary>
    public long? PrefixCacheBytes
    {
        get => _prefixCacheBytes;
        set => _prefixCacheBytes = value is < 0 ? throw new ArgumentOutOfRangeException(nameof(value), "The value must not be negative.") : value;
    }

    /// <summary>Model id reported in responses; default <c>general.name</c>, else the architecture name.</summary>
    public string? ModelId { get; set; }

    /// <summary>Most tokens generated when a request does not say; default: until the context is full.</summary>
    public int? DefaultMaxOutputTokens { get; set; }
}
