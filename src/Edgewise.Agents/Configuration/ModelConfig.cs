namespace Edgewise.Agents.Configuration;

/// <summary>A model entry under <c>models:</c>: a GGUF file or a store alias, with its runtime settings.</summary>
public sealed class ModelConfig
{
    /// <summary>The entry's name, used by agents and routers.</summary>
    public required string Name { get; init; }

    /// <summary>A GGUF file path (relative paths resolve against the configuration file's folder); null when <see cref="Alias"/> is set.</summary>
    public string? Path { get; init; }

    /// <summary>A model store name or catalog alias (<c>NAME[:TAG]</c>); null when <see cref="Path"/> is set.</summary>
    public string? Alias { get; init; }

    /// <summary>The context window in tokens; null means the model's default.</summary>
    public int? Context { get; init; }

    /// <summary>Worker threads; null means the engine's default.</summary>
    public int? Threads { get; init; }

    /// <summary>How long the model stays loaded after its last request; null means the host's default.</summary>
    public TimeSpan? KeepAlive { get; init; }

    /// <summary>The line of the entry in the configuration file.</summary>
    public long Line { get; init; }

    /// <summary>The file or alias to load: <see cref="Path"/> when set, else <see cref="Alias"/>.</summary>
    public string Source => Path ?? Alias!;
}
