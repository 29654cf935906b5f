using System.Text.Json;
using System.Text.Json.Serialization;

namespace Edgewise.Models.Catalog;

/// <summary>
/// The catalog of aliases → variants, read from a versioned JSON document (the built-in one is embedded from
/// <c>Catalog/catalog.json</c>). Aliases are unique and valid model names; every variant names a Hugging Face
/// repository and file.
/// </summary>
public sealed class ModelCatalog
{
    /// <summary>The catalog format version this code reads.</summary>
    public const int FormatVersion = 1;

    private static readonly JsonSerializerOptions s_json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        AllowTrailingCommas = false,
        ReadCommentHandling = JsonCommentHandling.Disallow,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
        TypeInfoResolver = ModelsJsonContext.Default,
    };

    private static readonly Lazy<ModelCatalog> s_builtIn = new(LoadBuiltIn);

    private readonly Dictionary<string, CatalogModel> _byAlias;
    private readonly Dictionary<string, CatalogModel> _byName;

    private ModelCatalog(int version, IReadOnlyList<CatalogModel> models)
    {
        Version = version;
        Models = models;
        _byAlias = models.ToDictionary(m => m.Alias, StringComparer.OrdinalIgnoreCase);
        _byName = models.SelectMany(m => m.Names.Select(n => (n, m))).ToDictionary(p => p.n, p => p.m, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>The catalog shipped with Edgewise.</summary>
    public static ModelCatalog BuiltIn => s_builtIn.Value;

    /// <summary>The document's format version.</summary>
    public int Version { get; }

    /// <summary>Every model, in document order.</summary>
    public IReadOnlyList<CatalogModel> Models { get; }

    /// <summary>Reads a catalog document.</summary>
    /// <exception cref="FormatException">The document is malformed, of another version, or breaks a rule (duplicate alias, invalid name, no variants, bad hash).</exception>
    public static ModelCatalog Load(Stream json)
    {
        CatalogDocument? doc;
        try
        {
            doc = JsonSerializer.Deserialize(json, ModelsJsonContext.Info<CatalogDocument>(s_json));
        }
        catch (JsonException e)
        {
            throw new FormatException("The catalog is not valid JSON.", e);
        }

        if (doc is null || doc.Version != FormatVersion || doc.Models is null)
        {
            throw new FormatException($"The catalog must be a version {FormatVersion} document with a models list.");
        }

        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var m in doc.Models)
        {
            Check(m, seen);
        }

        foreach (var m in doc.Models)
        {
            foreach (var name in m.Names)
            {
                var colon = name.IndexOf(':', StringComparison.Ordinal);
                if (!ModelReference.TryParse(name, out _) || (colon >= 0 && name.IndexOf(':', colon + 1) >= 0) || !seen.Add(name))
                {
                    throw new FormatException("Catalog name is invalid or duplicated: " + name);
                }
            }
        }

        return new ModelCatalog(doc.Version, doc.Models);
    }

    /// <summary>The model with alias <paramref name="alias"/> (case-insensitive), or null.</summary>
    public CatalogModel? Find(string alias) => _byAlias.GetValueOrDefault(alias);

    /// <summary>Every name that resolves to a model: the aliases and the Ollama-style names.</summary>
    public IEnumerable<string> AllNames => Models.SelectMany(m => m.Names.Prepend(m.Alias));

    /// <summary>
    /// Resolves an Ollama-style name (<c>qwen2.5:0.5b</c>, <c>llama3.2</c>, <c>qwen2.5:0.5b-instruct-q8_0</c>): one of
    /// a model's <see cref="CatalogModel.Names"/>, optionally followed by <c>-instruct</c> and/or <c>-QUANT</c> for one
    /// of its variants (case-insensitive). False when <paramref name="text"/> is no such name.
    /// </summary>
    public bool TryResolveName(string text, out CatalogModel model, out CatalogVariant? variant)
    {
        ArgumentNullException.ThrowIfNull(text);
        variant = null;
        var name = text.Trim().ToLowerInvariant();
        if (name.EndsWith("-fp16", StringComparison.Ordinal))
        {
            name = name[..^"-fp16".Length] + "-f16"; // Ollama's spelling of f16
        }

        if (FindName(name) is { } exact)
        {
            model = exact;
            return true;
        }

        foreach (var m in Models)
        {
            foreach (var v in m.Variants)
            {
                if (name.EndsWith("-" + v.Quant, StringComparison.Ordinal) && FindName(name[..^(v.Quant.Length + 1)]) == m)
                {
                    model = m;
                    variant = v;
                    return true;
                }
            }
        }

        model = null!;
        return false;
    }

    // A listed name, or a listed name followed by "-instruct" (every catalog model is an instruct model).
    private CatalogModel? FindName(string name) =>
        _byName.GetValueOrDefault(name)
        ?? (name.EndsWith("-instruct", StringComparison.Ordinal) ? _byName.GetValueOrDefault(name[..^"-instruct".Length]) : null);

    /// <summary>Models carrying <paramref name="tag"/>, or every model when null.</summary>
    public IEnumerable<CatalogModel> WithTag(string? tag) => tag is null ? Models : Models.Where(m => m.HasTag(tag));

    /// <summary>
    /// Resolves <paramref name="reference"/> to a catalog model and, when it names a quantization, that variant.
    /// </summary>
    /// <exception cref="ModelException"><see cref="ModelErrorCodes.ModelNotFound"/> or <see cref="ModelErrorCodes.UnknownQuantization"/>.</exception>
    public (CatalogModel Model, CatalogVariant? Variant) Resolve(ModelReference reference)
    {
        var model = Find(reference.Name) ?? throw new ModelException(ModelErrorCodes.ModelNotFound, "Unknown model: run 'edgewise ls --catalog' for the aliases, or 'edgewise import PATH' for a local file.");
        if (reference.Tag is null)
        {
            return (model, null);
        }

        var variant = model.FindVariant(reference.Tag)
            ?? throw new ModelException(ModelErrorCodes.UnknownQuantization, "This model is not offered in that quantization; available: " + string.Join(", ", model.Variants.Select(v => v.Quant)) + ".");
        return (model, variant);
    }

    private static void Check(CatalogModel m, HashSet<string> seen)
    {
        if (!ModelReference.IsValidPart(m.Alias) || !seen.Add(m.Alias))
        {
            throw new FormatException("Catalog alias is invalid or duplicated: " + m.Alias);
        }

        if (m.Variants.Count == 0 || m.ContextLength <= 0 || m.KvBytesPerToken <= 0 || m.Parameters <= 0)
        {
            throw new FormatException("Catalog model needs variants, a context length, KV bytes per token and a parameter count: " + m.Alias);
        }

        if (m.Tags.Any(t => !CatalogTags.All.Contains(t)))
        {
            throw new FormatException("Catalog model has an unknown tag: " + m.Alias);
        }

        var quants = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var v in m.Variants)
        {
            var repoParts = v.Repo.Split('/');
            if (!ModelReference.IsValidPart(v.Quant) || !quants.Add(v.Quant) || v.Bytes <= 0
                || repoParts.Length != 2 || !repoParts.All(ModelReference.IsValidPart)
                || !ModelReference.IsValidPart(v.File) || !v.File.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase)
                || (v.Sha256 is not null && !Storage.Sha256Digest.TryParse(v.Sha256, out _)))
            {
                throw new FormatException("Catalog variant is invalid: " + m.Alias + ":" + v.Quant);
            }
        }
    }

    private static ModelCatalog LoadBuiltIn()
    {
        using var stream = typeof(ModelCatalog).Assembly.GetManifestResourceStream("Edgewise.Models.Catalog.catalog.json")
            ?? throw new InvalidOperationException("The built-in catalog resource is missing.");
        return Load(stream);
    }

    internal sealed record CatalogDocument(int Version, List<CatalogModel>? Models);
}
