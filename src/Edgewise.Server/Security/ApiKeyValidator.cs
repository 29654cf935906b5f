using System.Security.Cryptography;
using System.Text;

namespace Edgewise.Server.Security;

/// <summary>
/// Checks bearer keys in constant time: the presented key and every configured key are hashed with SHA-256 and all
/// hashes are compared with <see cref="CryptographicOperations.FixedTimeEquals"/>, so neither the position of the first
/// differing byte nor which key matched changes the time taken (H02).
/// </summary>
internal sealed class ApiKeyValidator
{
    private readonly byte[][] _hashes;

    public ApiKeyValidator(IEnumerable<string> keys) =>
        _hashes = keys.Where(k => !string.IsNullOrWhiteSpace(k)).Select(k => SHA256.HashData(Encoding.UTF8.GetBytes(k.Trim()))).ToArray();

    public bool Enabled => _hashes.Length > 0;

    /// <summary>The index of the matching key (a stable, non-secret identity for per-key limits), or -1.</summary>
    public int Match(string? presented)
    {
        if (presented is null)
        {
            return -1;
        }

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(presented), hash);
        var match = -1;
        for (var i = 0; i < _hashes.Length; i++)
        {
            var equal = CryptographicOperations.FixedTimeEquals(hash, _hashes[i]);
            match = equal && match < 0 ? i : match;
        }

        return match;
    }

    /// <summary>The key in an <c>Authorization: Bearer KEY</c> header, or null.</summary>
    public static string? FromAuthorization(string? header)
    {
        const string Bearer = "Bearer ";
        return header is not null && header.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase) ? header[Bearer.Length..].Trim() : null;
    }
}
