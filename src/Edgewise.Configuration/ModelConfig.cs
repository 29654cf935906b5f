namespace Edgewise.Configuration;

/// <summary>
/// A model entry under <c>models:</c>: exactly one of a GGUF file (<see cref="Path"/>), a store alias
/// (<see cref="Alias"/>), a remote OpenAI-compatible endpoint (<see cref="Url"/>) or a pool of them
/// (<see cref="Backends"/>), with its runtime settings.
/// </summary>
public sealed class ModelConfig
{
    /// <summary>The entry's name, used by agents, routers and the <c>model</c> field of requests.</summary>
    public required string Name { get; init; }

    /// <summary>A GGUF file path (relative paths resolve against the configuration file's folder); null unless this is a file entry.</summary>
    public string? Path { get; init; }

    /// <summary>A model store name or catalog alias (<c>NAME[:TAG]</c>); null unless this is a store entry.</summary>
    public string? Alias { get; init; }

    /// <summary>The API base of a remote OpenAI-compatible server (e.g. <c>http://127.0.0.1:8080/v1</c>); null unless this is a remote entry.</summary>
    public Uri? Url { get; init; }

    /// <summary>
    /// Several OpenAI-compatible endpoints that share this model's requests (<c>backends:</c>); empty unless this is a
    /// pool entry.
    /// </summary>
    public IReadOnlyList<BackendConfig> Backends { get; init; } = [];

    /// <summary>The model name the remote server knows (<c>model:</c>); required with <see cref="Url"/>, the default of each of <see cref="Backends"/>.</summary>
    public string? RemoteModel { get; init; }

    /// <summary>The environment variable holding the remote server's API key (<c>api_key_env:</c>); null sends none.</summary>
    public string? ApiKeyEnvironmentVariable { get; init; }

    /// <summary>Other remote entries tried in order when this one is down (<c>failover:</c>).</summary>
    public IReadOnlyList<string> Failover { get; init; } = [];

    /// <summary>The context window in tokens; null means the model's default.</summary>
    public int? Context { get; init; }

    /// <summary>Worker threads; null means the engine's default.</summary>
    public int? Threads { get; init; }

    /// <summary>Sequences generating at once, each with its own KV cache (<c>parallel:</c>); null means 1.</summary>
    public int? Parallel { get; init; }

    /// <summary>The KV cache element type, <c>f16</c> or <c>f32</c> (<c>kv_cache:</c>); null means f16.</summary>
    public string? KvCache { get; init; }

    /// <summary>
    /// How long the model stays loaded after its last request; null means the host's default, zero unloads at once,
    /// <see cref="Timeout.InfiniteTimeSpan"/> (<c>keep_alive: -1</c> or <c>forever</c>) keeps it loaded.
    /// </summary>
    public TimeSpan? KeepAlive { get; init; }

    /// <summary>Never evicted or expired once loaded (<c>pin:</c>), e.g. a router's model.</summary>
    public bool Pin { get; init; }

    /// <summary>Lock the mapped weights in RAM so they are never paged out (<c>mlock:</c>; Linux and macOS).</summary>
    public bool MemoryLock { get; init; }

    /// <summary>Load at server start, in the background (<c>preload:</c>).</summary>
    public bool Preload { get; init; }

    /// <summary>The line of the entry in the configuration file.</summary>
    public long Line { get; init; }

    /// <summary>True for a remote OpenAI-compatible endpoint or a pool of them.</summary>
    public bool IsRemote => Url is not null || Backends.Count > 0;

    /// <summary>The file, alias or URL to load: <see cref="Path"/> when set, else <see cref="Alias"/>, else <see cref="Url"/>, else the first backend's URL.</summary>
    public string Source => Path ?? Alias ?? Url?.AbsoluteUri ?? Backends[0].Url.AbsoluteUri;
}

/// <summary>One item of a model's <c>backends:</c> list: an OpenAI-compatible endpoint and its share of the requests.</summary>
/// <param name="Name">The name shown in metrics and logs (<c>name:</c>; default <c>MODEL/N</c>, N counting from 1).</param>
/// <param name="Url">The API base (<c>url:</c>).</param>
/// <param name="Model">The model name this server knows (<c>model:</c>, default the entry's).</param>
/// <param name="ApiKeyEnvironmentVariable">The environment variable holding its API key (<c>api_key_env:</c>, default the entry's).</param>
/// <param name="Weight">Its share of the requests (<c>weight:</c>, 1–1000, default 1).</param>
public sealed record BackendConfig(string Name, Uri Url, string Model, string? ApiKeyEnvironmentVariable, int Weight);
