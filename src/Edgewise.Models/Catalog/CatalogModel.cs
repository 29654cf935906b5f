namespace Edgewise.Models.Catalog;

/// <summary>One alias of the catalog: a published model and the files (variants) it is offered in.</summary>
public sealed record CatalogModel
{
    /// <summary>The alias, e.g. <c>qwen2.5-0.5b</c>.</summary>
    public required string Alias { get; init; }

    /// <summary>Architecture family (<c>qwen2</c>, <c>qwen3</c>, <c>llama</c>, <c>phi3</c>).</summary>
    public required string Family { get; init; }

    /// <summary>One-line description.</summary>
    public required string Description { get; init; }

    /// <summary>Parameter count.</summary>
    public required long Parameters { get; init; }

    /// <summary>Training context length.</summary>
    public required int ContextLength { get; init; }

    /// <summary>KV-cache bytes per token of context with an F16 cache (K and V, every block).</summary>
    public required long KvBytesPerToken { get; init; }

    /// <summary>Use cases: see <see cref="CatalogTags"/>.</summary>
    public required IReadOnlyList<string> Tags { get; init; }

    /// <summary>License identifier.</summary>
    public required string License { get; init; }

    /// <summary>
    /// Ollama-style names that also resolve to this model (<c>qwen2.5:0.5b</c>, <c>llama3.2</c>): each may be followed by
    /// <c>-instruct</c> and/or <c>-QUANT</c> to name a variant (<c>qwen2.5:0.5b-instruct-q8_0</c>).
    /// </summary>
    public IReadOnlyList<string> Names { get; init; } = [];

    /// <summary>Files the model is offered in, one per quantization.</summary>
    public required IReadOnlyList<CatalogVariant> Variants { get; init; }

    /// <summary>The variant with quantization <paramref name="quant"/> (case-insensitive), or null.</summary>
    public CatalogVariant? FindVariant(string quant) =>
        Variants.FirstOrDefault(v => string.Equals(v.Quant, quant, StringComparison.OrdinalIgnoreCase));

    /// <summary>True when the model carries <paramref name="tag"/>.</summary>
    public bool HasTag(string tag) => Tags.Any(t => string.Equals(t, tag, StringComparison.OrdinalIgnoreCase));
}

/// <summary>One downloadable file of a catalog model.</summary>
public sealed record CatalogVariant
{
    /// <summary>Quantization, lower case (<c>q4_k_m</c>, <c>q6_k</c>, <c>q8_0</c>, <c>f16</c>).</summary>
    public required string Quant { get; init; }

    /// <summary>Hugging Face repository, <c>owner/name</c>.</summary>
    public required string Repo { get; init; }

    /// <summary>File name inside the repository.</summary>
    public required string File { get; init; }

    /// <summary>Approximate published size in bytes (planning only; downloads verify the size the server declares).</summary>
    public required long Bytes { get; init; }

    /// <summary>Published sha256 (64 hex digits) when known; null otherwise.</summary>
    public string? Sha256 { get; init; }
}

/// <summary>The use-case tags of the catalog.</summary>
public static class CatalogTags
{
    /// <summary>Small and fast: classification, routing, short answers.</summary>
    public const string Routing = "routing";

    /// <summary>General assistant work.</summary>
    public const string General = "general";

    /// <summary>Code completion and editing.</summary>
    public const string Code = "code";

    /// <summary>Multi-step reasoning.</summary>
    public const string Reasoning = "reasoning";

    /// <summary>Every tag.</summary>
    public static IReadOnlyList<string> All { get; } = [Routing, General, Code, Reasoning];
}
