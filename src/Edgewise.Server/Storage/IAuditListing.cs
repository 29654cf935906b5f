namespace Edgewise.Server.Storage;

/// <summary>
/// Reads the audit log back for display (the console's audit view, <c>GET /admin/audit</c>): the newest rows with
/// their chain hashes, the owner of each row's session (for redaction, A13), the row count, and the chain's
/// verification. Both stores implement it, so the view works on SQLite and PostgreSQL alike.
/// </summary>
public interface IAuditListing
{
    /// <summary>The newest <paramref name="limit"/> rows, oldest first, only of <paramref name="sessionId"/> when given.</summary>
    /// <exception cref="StorageException">The store cannot be read.</exception>
    Task<AuditListing> ListAsync(string? sessionId, int limit, CancellationToken cancellationToken = default);
}

/// <summary>One audit row as stored (the timestamp as its stored text, so a reader can recompute the hash).</summary>
/// <param name="Seq">The row's position in the chain, from 1.</param>
/// <param name="Timestamp">The stored timestamp text.</param>
/// <param name="SessionId">The session.</param>
/// <param name="Agent">The agent.</param>
/// <param name="Kind">The event kind.</param>
/// <param name="Detail">The fixed phrase.</param>
/// <param name="Tool">The tool, if any.</param>
/// <param name="CallId">The tool call id, if any.</param>
/// <param name="ArgumentsHash">The arguments hash, if any.</param>
/// <param name="PreviousHash">The previous row's hash.</param>
/// <param name="Hash">This row's hash.</param>
/// <param name="Owner">The owner of the row's session while it exists; null for a deleted session or no owner.</param>
public sealed record AuditListingRow(
    long Seq, string Timestamp, string SessionId, string Agent, string Kind, string Detail, string? Tool, string? CallId, string? ArgumentsHash,
    string PreviousHash, string Hash, string? Owner);

/// <summary>A page of the audit log.</summary>
/// <param name="Rows">The rows, oldest first.</param>
/// <param name="Total">How many rows the whole log holds.</param>
/// <param name="Verification">The whole chain's verification.</param>
public sealed record AuditListing(IReadOnlyList<AuditListingRow> Rows, long Total, AuditVerification Verification);
