using System.Security.Cryptography;

namespace Edgewise.Models.Storage;

/// <summary>A sha256 digest held as 64 lower-case hex digits; parsing rejects anything else (M13).</summary>
public readonly record struct Sha256Digest
{
    private Sha256Digest(string hex) => Hex = hex;

    /// <summary>64 lower-case hex digits.</summary>
    public string Hex { get; }

    /// <summary>Parses <c>sha256:HEX</c>, <c>sha256-HEX</c> (the Ollama blob file name) or bare <c>HEX</c>.</summary>
    /// <exception cref="ModelException"><see cref="ModelErrorCodes.InvalidModelName"/>: not a sha256 digest.</exception>
    public static Sha256Digest Parse(string text) =>
        TryParse(text, out var digest) ? digest : throw new ModelException(ModelErrorCodes.InvalidModelName, "Invalid digest: expected sha256: followed by 64 hex digits.");

    /// <summary>Parses <c>sha256:HEX</c>, <c>sha256-HEX</c> or bare <c>HEX</c>; false when malformed.</summary>
    public static bool TryParse(string? text, out Sha256Digest digest)
    {
        digest = default;
        if (text is null)
        {
            return false;
        }

        var hex = text.StartsWith("sha256:", StringComparison.OrdinalIgnoreCase) || text.StartsWith("sha256-", StringComparison.OrdinalIgnoreCase) ? text[7..] : text;
        if (hex.Length != 64)
        {
            return false;
        }

        foreach (var c in hex)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        digest = new Sha256Digest(hex.ToLowerInvariant());
        return true;
    }

    /// <summary>The digest of a hash result.</summary>
    public static Sha256Digest FromHash(ReadOnlySpan<byte> hash) => new(Convert.ToHexStringLower(hash));

    /// <summary>Hashes a file.</summary>
    public static Sha256Digest OfFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        return FromHash(SHA256.HashData(stream));
    }

    /// <inheritdoc/>
    public override string ToString() => "sha256:" + Hex;
}
