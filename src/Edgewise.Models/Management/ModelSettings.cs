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
    /// local model. A remote model is "loaded" by creating a <see cref="BackendPoolChatClient"/> over the list.
    /// </summary>
    public IList<RemoteBackendOptions> RemoteBackends { get; } = [];

    /// <summary>
    /// These settings with <see cref="ParallelSequences"/> filled in with <paramref name="parallelSequences"/> when unset:
    /// this instance when it is set, else a copy (configured settings are shared and never changed in place).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="parallelSequences"/> is less than 1.</exception>
    public ModelSettings WithDefaultParallelSequences(int parallelSequences)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(parallelSequences, 1);
        if (ParallelSequences is not null)
        {
            return this;
        }

        var copy = new ModelSettings
        {
            ContextLength = ContextLength,
            Threads = Threads,
            ParallelSequences = parallelSequences,
            KvCacheType = KvCacheType,
            KeepAlive = KeepAlive,
            Pinned = Pinned,
            MemoryLock = MemoryLock,
            Preload = Preload,
        };
        foreach (var backend in RemoteBackends)
        {
            copy.RemoteBackends.Add(backend);
        }

        return copy;
    }
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

    /// <summary>
    /// Sequences the engine decodes together (one forward pass per step, each with its own KV cache) for a model whose
    /// settings leave <see cref="ModelSettings.ParallelSequences"/> unset (default 1). <c>edgewise serve</c> sets it to
    /// the admission limit, so that requests admitted at the same time are batched instead of waiting for each other.
    /// </summary>
    public int DefaultParallelSequences
    {
        get => _defaultParallelSequences;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            _defaultParallelSequences = value;
        }
    }

    private int _defaultParallelSequences = 1;

    /// <summary>Settings by model name (<c>NAME</c> or <c>NAME:TAG</c>, case-insensitive).</summary>
    public IDictionary<string, ModelSettings> Models { get; } = new Dictionary<string, ModelSettings>(StringComparer.OrdinalIgnoreCase);
}
