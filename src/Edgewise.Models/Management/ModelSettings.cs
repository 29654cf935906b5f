using Edgewise.Inference.Runtime;
using Edgewise.Models.Remote;

namespace Edgewise.Models.Management;

/// <summary>Per-model settings from configuration; null properties mean the documented default.</summary>
public sealed class ModelSettings
{
    /// <summary>Context length (default: the model's, at most 4096).</summary>
    public int? ContextLength { get; set; }

    /// <summary>Compute threads (default: the engine's choice).</summary>
    public int? Threads { get; set; }

    /// <summary>Parallel sequences, each with its own KV cache (default 1).</summary>
    public int? ParallelSequences { get; set; }

    /// <summary>KV cache type (default F16).</summary>
    public KvCacheType? KvCacheType { get; set; }

    /// <summary>Keep-alive after the last lease ends (default: the manager's, 5 min; zero unloads at once; negative keeps it loaded).</summary>
    public TimeSpan? KeepAlive { get; set; }

    /// <summary>Pinned models are never evicted or expired (e.g. the router).</summary>
    public bool Pinned { get; set; }

    /// <summary>
    /// Lock the mapped weights in RAM (<c>mlock</c>) once loaded, so they are never paged out; Linux and macOS only. A
    /// refusal (e.g. <c>RLIMIT_MEMLOCK</c>) is reported through <see cref="LocalModelLoader.Warning"/>, not an error.
    /// </summary>
    public bool MemoryLock { get; set; }

    /// <summary>Load the model when the server starts, in the background.</summary>
    public bool Preload { get; set; }

    /// <summary>
    /// For a remote model: its OpenAI-compatible endpoint first, then its failover endpoints in order. Empty for a
    /// local model. A remote model is "loaded" by creating a <see cref="FailoverChatClient"/> over the list.
    /// </summary>
    public IList<RemoteBackendOptions> RemoteBackends { get; } = [];
}

/// <summary>Options of the <see cref="ModelManager"/>; null properties mean the documented default.</summary>
public sealed class ModelManagerOptions
{
    /// <summary>Memory budget in bytes for all loaded models (default: 75% of physical memory).</summary>
    public long? MemoryBudgetBytes { get; set; }

    /// <summary>Keep-alive when neither the request nor the model's settings give one (default 5 min).</summary>
    public TimeSpan DefaultKeepAlive { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How often loaded models' files are checked for truncation or replacement (M14; default 5 s); zero or negative
    /// turns the periodic check off (each lease still checks).
    /// </summary>
    public TimeSpan FileCheckInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Longest wait for the load slot or for busy models to free memory (default 30 s).</summary>
    public TimeSpan LoadWaitTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Settings by model name (<c>NAME</c> or <c>NAME:TAG</c>, case-insensitive).</summary>
    public IDictionary<string, ModelSettings> Models { get; } = new Dictionary<string, ModelSettings>(StringComparer.OrdinalIgnoreCase);
}
