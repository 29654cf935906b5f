namespace Edgewise.Models.Catalog;

/// <summary>
/// A parsed <c>NAME[:TAG]</c>: an alias from the catalog or a name in the store, with an optional tag (for catalog
/// models the quantization, e.g. <c>qwen2.5-0.5b:q8_0</c>; for imported Ollama models the Ollama tag). Both parts are
/// lower-cased and validated so that they can never name a path outside the store (M13).
/// </summary>
public readonly record struct ModelReference
{
    /// <summary>Longest name or tag accepted.</summary>
    public const int MaxPartLength = 64;

    private ModelReference(string name, string? tag)
    {
        Name = name;
        Tag = tag;
    }

    /// <summary>The name, lower case: <c>[a-z0-9][a-z0-9._-]*</c> without <c>..</c>.</summary>
    public string Name { get; }

    /// <summary>The tag (quantization or Ollama tag), lower case, or null when none was given.</summary>
    public string? Tag { get; }

    /// <summary>Parses <paramref name="text"/>.</summary>
    /// <exception cref="ModelException"><see cref="ModelErrorCodes.InvalidModelName"/>: not a valid <c>NAME[:TAG]</c>.</exception>
    public static ModelReference Parse(string text) =>
        TryParse(text, out var reference) ? reference : throw InvalidName();

    /// <summary>Parses <paramref name="text"/>; false when it is not a valid <c>NAME[:TAG]</c>.</summary>
    public static bool TryParse(string? text, out ModelReference reference)
    {
        reference = default;
        if (string.IsNullOrEmpty(text) || text.Length > (2 * MaxPartLength) + 1)
        {
            return false;
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var name = colon < 0 ? text : text[..colon];
        var tag = colon < 0 ? null : text[(colon + 1)..];
        if (!IsValidPart(name) || (tag is not null && !IsValidPart(tag)))
        {
            return false;
        }

        reference = new ModelReference(name.ToLowerInvariant(), tag?.ToLowerInvariant());
        return true;
    }

    /// <summary>Creates a reference from parts, validating both.</summary>
    /// <exception cref="ModelException"><see cref="ModelErrorCodes.InvalidModelName"/>: a part is not valid.</exception>
    public static ModelReference Create(string name, string? tag) =>
        IsValidPart(name) && (tag is null || IsValidPart(tag)) ? new ModelReference(name.ToLowerInvariant(), tag?.ToLowerInvariant()) : throw InvalidName();

    /// <summary>True when <paramref name="part"/> is a valid name or tag: 1–64 of <c>[A-Za-z0-9._-]</c>, starting with a letter or digit, no <c>..</c>.</summary>
    public static bool IsValidPart(string? part)
    {
        if (string.IsNullOrEmpty(part) || part.Length > MaxPartLength || !char.IsAsciiLetterOrDigit(part[0]) || part.Contains("..", StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var c in part)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '_' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Returns this reference with <paramref name="tag"/>.</summary>
    public ModelReference WithTag(string tag) => Create(Name, tag);

    /// <inheritdoc/>
    public override string ToString() => Tag is null ? Name : Name + ":" + Tag;

    internal static ModelException InvalidName() =>
        new(ModelErrorCodes.InvalidModelName, "Invalid model name: use NAME[:TAG] with letters, digits, '.', '_' and '-' (at most 64 each), e.g. qwen2.5-0.5b:q4_k_m.");
}
