using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Edgewise.Server.Storage;

/// <summary>
/// The hash of one audit row, shared by every audit backend so that a chain verifies the same way wherever it is
/// kept: SHA-256 over the previous row's hash, the sequence number and the row's fields, each length-prefixed
/// (<c>len:value;</c>, or <c>-;</c> for a null) so no two different rows serialize alike (P06). It must stay
/// byte-for-byte what <see cref="SqliteAuditLog"/> computes.
/// </summary>
public static class AuditChain
{
    /// <summary>The previous hash of the first row.</summary>
    public static readonly string GenesisHash = new('0', 64);

    /// <summary>The hash of a row with these fields, as lower-case hex.</summary>
    public static string ComputeHash(string previousHash, long seq, string timestamp, string sessionId, string agentName, string kind, string detail,
        string? toolName, string? callId, string? argumentsHash)
    {
        var builder = new StringBuilder(256);
        foreach (var field in (ReadOnlySpan<string?>)[previousHash, seq.ToString(CultureInfo.InvariantCulture), timestamp, sessionId, agentName, kind, detail, toolName, callId, argumentsHash])
        {
            if (field is null)
            {
                builder.Append("-;");
            }
            else
            {
                builder.Append(field.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(field).Append(';');
            }
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(builder.ToString())));
    }

    /// <summary>The stored form of a timestamp (round-trip ISO 8601 in UTC), the string the hash covers.</summary>
    public static string FormatTimestamp(DateTimeOffset timestamp) => timestamp.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
}
