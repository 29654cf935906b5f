using Edgewise.Models.Storage;

namespace Edgewise.Models.Catalog;

/// <summary>What a model argument names, before anything is downloaded.</summary>
public enum ModelTargetKind
{
    /// <summary>An existing file.</summary>
    File,

    /// <summary>A model in the store.</summary>
    Stored,

    /// <summary>A catalog model (alias or Ollama-style name) not in the store yet.</summary>
    Catalog,

    /// <summary>A Hugging Face repository (<c>hf.co/OWNER/REPO[:QUANT]</c>, <c>OWNER/REPO:FILE.gguf</c>).</summary>
    Hub,
}

/// <summary>The resolution of a model argument.</summary>
public sealed record ModelTarget(ModelTargetKind Kind)
{
    /// <summary>The file (kind File).</summary>
    public string? Path { get; init; }

    /// <summary>The stored model (kind Stored).</summary>
    public ModelManifest? Manifest { get; init; }

    /// <summary>The catalog model (kind Catalog).</summary>
    public CatalogModel? Model { get; init; }

    /// <summary>The variant named, or null to choose by the memory budget (kind Catalog).</summary>
    public CatalogVariant? Variant { get; init; }

    /// <summary>The repository (kind Hub).</summary>
    public HubReference? Hub { get; init; }
}

/// <summary>
/// Resolves what a person typed for a model, without touching the network: an existing file path; a name in the store
/// (<c>NAME[:TAG]</c>); a catalog alias (<c>qwen2.5-0.5b[:q8_0]</c>) or Ollama-style name (<c>qwen2.5:0.5b</c>,
/// <c>llama3.2</c>, <c>qwen2.5:0.5b-instruct-q8_0</c>), found in the store when pulled before; or a Hugging Face
/// repository. Anything else is an error that echoes the input: "file not found: PATH" for what looks like a path,
/// else "unknown model" with the three closest names.
/// </summary>
public sealed class ModelResolver(ModelStore store, ModelCatalog catalog)
{
    /// <summary>Resolves <paramref name="text"/>.</summary>
    /// <exception cref="ModelException"><see cref="ModelErrorCodes.FileNotFound"/>, <see cref="ModelErrorCodes.ModelNotFound"/> (with suggestions) or <see cref="ModelErrorCodes.UnknownQuantization"/>.</exception>
    public ModelTarget Resolve(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (File.Exists(text))
        {
            return new ModelTarget(ModelTargetKind.File) { Path = text };
        }

        var isReference = ModelReference.TryParse(text, out var reference);
        if (isReference && store.Find(reference) is { } stored)
        {
            return new ModelTarget(ModelTargetKind.Stored) { Manifest = stored };
        }

        if (catalog.TryResolveName(text, out var named, out var namedVariant))
        {
            return FromCatalog(named, namedVariant);
        }

        if (isReference && catalog.Find(reference.Name) is not null)
        {
            var (model, variant) = catalog.Resolve(reference);
            return FromCatalog(model, variant);
        }

        if (HubReference.TryParse(text, out var hub))
        {
            // Pulled before: used without asking the hub (works offline).
            return store.Find(ModelReference.Create(hub!.StoreName, hub.StoreTag)) is { } pulled
                ? new ModelTarget(ModelTargetKind.Stored) { Manifest = pulled }
                : new ModelTarget(ModelTargetKind.Hub) { Hub = hub };
        }

        if (LooksLikePath(text))
        {
            throw new ModelException(ModelErrorCodes.FileNotFound, "file not found: " + text);
        }

        var suggestions = Suggest(text, 3);
        throw new ModelException(
            ModelErrorCodes.ModelNotFound,
            $"unknown model '{text}'" + (suggestions.Count > 0 ? "; did you mean " + string.Join(", ", suggestions) + "?" : string.Empty)
            + " ('edgewise ls --catalog' lists the catalog; hf.co/OWNER/REPO pulls a GGUF repository; 'edgewise import FILE' adds a file)");
    }

    /// <summary>The <paramref name="count"/> known names (catalog and store) closest to <paramref name="text"/> by edit distance.</summary>
    public IReadOnlyList<string> Suggest(string text, int count)
    {
        ArgumentNullException.ThrowIfNull(text);
        var typed = text.ToLowerInvariant();
        return catalog.AllNames.Concat(store.List().Select(m => m.FullName))
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Select(n => (Name: n, Distance: Distance(typed, n.ToLowerInvariant())))
            .OrderBy(p => p.Distance).ThenBy(p => p.Name.Length).ThenBy(p => p.Name, StringComparer.Ordinal)
            .Take(count).Select(p => p.Name).ToList();
    }

    /// <summary>True when <paramref name="text"/> reads as a file path rather than a model name.</summary>
    public static bool LooksLikePath(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Contains('/', StringComparison.Ordinal) || text.Contains('\\', StringComparison.Ordinal) || text.StartsWith('.') || text.StartsWith('~')
            || text.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) || Path.IsPathRooted(text);
    }

    private ModelTarget FromCatalog(CatalogModel model, CatalogVariant? variant)
    {
        var inStore = store.Find(variant is null ? ModelReference.Create(model.Alias, null) : ModelReference.Create(model.Alias, variant.Quant));
        return inStore is not null
            ? new ModelTarget(ModelTargetKind.Stored) { Manifest = inStore }
            : new ModelTarget(ModelTargetKind.Catalog) { Model = model, Variant = variant };
    }

    // Levenshtein distance, two rows.
    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
