using System.Text.RegularExpressions;

namespace Edgewise.Models.Catalog;

/// <summary>
/// A GGUF repository named directly: <c>hf.co/OWNER/REPO[:QUANT]</c> (the quantization chosen from the repository's
/// files when none is given), <c>hf.co/OWNER/REPO/FILE.gguf</c> or <c>OWNER/REPO:FILE.gguf</c> (that file). Every part
/// is validated like a store name, so nothing typed can become a path or a URL of its own.
/// </summary>
public sealed partial record HubReference
{
    /// <summary>The prefix that marks a Hugging Face repository (also accepted: <c>huggingface.co/</c>).</summary>
    public const string Prefix = "hf.co/";

    private HubReference(string owner, string name, string? quant, string? file)
    {
        Owner = owner;
        Name = name;
        Quant = quant;
        File = file;
    }

    /// <summary>Repository owner, as typed.</summary>
    public string Owner { get; }

    /// <summary>Repository name, as typed.</summary>
    public string Name { get; }

    /// <summary><c>OWNER/REPO</c>.</summary>
    public string Repo => Owner + "/" + Name;

    /// <summary>The quantization asked for (lower case), or null.</summary>
    public string? Quant { get; }

    /// <summary>The file asked for, or null.</summary>
    public string? File { get; }

    /// <summary>
    /// The name the model gets in the store: <c>owner--repo</c>, lower case (at most 64 characters; longer repository
    /// names keep only the repository part).
    /// </summary>
    public string StoreName
    {
        get
        {
            var full = (Owner + "--" + Name).ToLowerInvariant();
            return full.Length <= ModelReference.MaxPartLength ? full : Name.ToLowerInvariant();
        }
    }

    /// <summary>
    /// The tag the model gets in the store when it is known before the file list is read: the quantization asked for,
    /// or the one the named file carries (else the file name without <c>.gguf</c>); null when the list decides.
    /// </summary>
    public string? StoreTag => Quant ?? (File is null ? null : QuantOf(File) ?? TagOfFile(File));

    /// <summary>Parses <paramref name="text"/>; false when it is not one of the repository forms.</summary>
    public static bool TryParse(string? text, out HubReference? reference)
    {
        reference = null;
        if (string.IsNullOrWhiteSpace(text) || text.Length > 300)
        {
            return false;
        }

        var prefixed = false;
        foreach (var prefix in (string[])[Prefix, "huggingface.co/", "https://hf.co/", "https://huggingface.co/"])
        {
            if (text.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                text = text[prefix.Length..];
                prefixed = true;
                break;
            }
        }

        string? quant = null, file = null;
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
        {
            var after = text[(colon + 1)..];
            text = text[..colon];
            if (after.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase))
            {
                file = after;
            }
            else if (prefixed)
            {
                quant = after.ToLowerInvariant();
            }
            else
            {
                return false;
            }
        }

        var parts = text.Split('/');
        if (parts.Length == 3 && file is null && quant is null && parts[2].EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) && prefixed)
        {
            file = parts[2];
            parts = parts[..2];
        }

        if (parts.Length != 2 || (!prefixed && file is null)
            || !ModelReference.IsValidPart(parts[0]) || !ModelReference.IsValidPart(parts[1])
            || (quant is not null && !ModelReference.IsValidPart(quant))
            || (file is not null && (file.Length > 200 || !ModelReference.IsValidPart(file[..^".gguf".Length]) || file.Contains('/', StringComparison.Ordinal))))
        {
            return false;
        }

        reference = new HubReference(parts[0], parts[1], quant, file);
        return true;
    }

    /// <summary>
    /// The quantization a GGUF file name carries (<c>Qwen2.5-0.5B-Instruct-Q4_K_M.gguf</c> → <c>q4_k_m</c>), or null;
    /// null also for files that are not a whole model (split parts, multimodal projectors).
    /// </summary>
    public static string? QuantOf(string fileName)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        if (!fileName.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) || fileName.Contains("mmproj", StringComparison.OrdinalIgnoreCase) || SplitPart().IsMatch(fileName))
        {
            return null;
        }

        var match = QuantSuffix().Match(fileName);
        return match.Success ? match.Groups[1].Value.ToLowerInvariant() : null;
    }

    private static string TagOfFile(string file)
    {
        var stem = file[..^".gguf".Length].ToLowerInvariant();
        return stem.Length <= ModelReference.MaxPartLength ? stem : stem[..ModelReference.MaxPartLength].TrimEnd('.', '-', '_');
    }

    /// <inheritdoc/>
    public override string ToString() => Prefix + Repo + (File is not null ? "/" + File : Quant is not null ? ":" + Quant : string.Empty);

    [GeneratedRegex(@"[-_.]((?:i?q[1-8](?:_[0-9a-z]+)*)|bf16|f16|f32)\.gguf$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex QuantSuffix();

    [GeneratedRegex(@"-\d{5}-of-\d{5}\.gguf$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SplitPart();
}
