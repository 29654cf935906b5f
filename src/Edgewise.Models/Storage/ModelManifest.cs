namespace Edgewise.Models.Storage;

/// <summary>
/// What the store knows about one registered model: its name and tag, the blob (by sha256) holding its GGUF file, and
/// the facts read from the validated file that memory planning needs without opening it again.
/// </summary>
public sealed record ModelManifest
{
    /// <summary>The manifest format version.</summary>
    public const int CurrentSchema = 1;

    /// <summary>Format version.</summary>
    public int Schema { get; init; } = CurrentSchema;

    /// <summary>Model name (a catalog alias, an Ollama name or an imported file's name).</summary>
    public required string Name { get; init; }

    /// <summary>Tag: the quantization for catalog pulls, the Ollama tag for Ollama imports, else <c>latest</c>.</summary>
    public required string Tag { get; init; }

    /// <summary>The blob's digest, <c>sha256:HEX</c>.</summary>
    public required string Digest { get; init; }

    /// <summary>File size in bytes.</summary>
    public required long Size { get; init; }

    /// <summary>Where the file came from.</summary>
    public required ModelSource Source { get; init; }

    /// <summary>
    /// What the digest was checked against when the file arrived: <c>catalog</c> (the catalog's sha256), <c>hub</c> (the
    /// sha256 the hub published), <c>first_download</c> (nothing was published: the digest of the first download is
    /// pinned, and every later pull, load and <c>edgewise verify</c> checks the file against it) or <c>import</c>; null
    /// in manifests written before this was recorded.
    /// </summary>
    public string? DigestSource { get; init; }

    /// <summary>GGUF architecture name.</summary>
    public required string Architecture { get; init; }

    /// <summary>Parameter count (tensor elements).</summary>
    public required long Parameters { get; init; }

    /// <summary>Training context length.</summary>
    public required int ContextLength { get; init; }

    /// <summary>KV-cache bytes per token of context with an F16 cache.</summary>
    public required long KvBytesPerToken { get; init; }

    /// <summary>When the model was registered (UTC).</summary>
    public required DateTimeOffset Created { get; init; }

    /// <summary><c>NAME:TAG</c>.</summary>
    public string FullName => Name + ":" + Tag;
}

/// <summary>The origin of a stored model.</summary>
/// <param name="Kind"><c>catalog</c>, <c>file</c> or <c>ollama</c>.</param>
/// <param name="Repo">Hugging Face repository (catalog pulls).</param>
/// <param name="File">File name in the repository, or the imported file's name.</param>
public sealed record ModelSource(string Kind, string? Repo, string? File);
