namespace Edgewise.Server.Storage;

/// <summary>
/// One decision per approval across gateways (A04): before a gateway applies an answer to a pending approval it
/// records it with a conditional insert keyed by session and call id, and only the request whose insert lands may
/// run the tool. The session lease already keeps two gateways from resuming the same session at once; this closes
/// the gap a lease cannot, a holder stalled past its lease (a frozen process, a network partition) while another
/// gateway takes over. The decision is final even if its gateway dies before the run finishes: the approval then
/// stays pending until it expires (<c>limits.approval_timeout</c>) and counts as denied, so a tool never runs twice.
/// </summary>
public sealed class PostgresApprovalDecisions
{
    private readonly PostgresDatabase _database;

    /// <summary>Creates the decisions over <paramref name="database"/>.</summary>
    public PostgresApprovalDecisions(PostgresDatabase database)
    {
        ArgumentNullException.ThrowIfNull(database);
        _database = database;
    }

    /// <summary>Records the decision on <paramref name="callId"/> of <paramref name="sessionId"/>; false when one was already recorded.</summary>
    /// <exception cref="StorageException">The database cannot be reached.</exception>
    public Task<bool> TryDecideAsync(string sessionId, string callId, bool approved, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sessionId);
        ArgumentNullException.ThrowIfNull(callId);
        return _database.RunAsync(async (connection, ct) =>
        {
            await using var command = PostgresDatabase.Command(connection, null, """
                INSERT INTO approval_decisions(session_id, call_id, approved) SELECT $1, $2, $3
                WHERE EXISTS (SELECT 1 FROM sessions WHERE id = $1)
                ON CONFLICT (session_id, call_id) DO NOTHING
                """, sessionId, callId, approved);
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
        }, cancellationToken);
    }

    /// <summary>Which of <paramref name="callIds"/> of <paramref name="sessionId"/> already have a recorded decision.</summary>
    /// <exception cref="StorageException">The database cannot be reached.</exception>
    public Task<IReadOnlyCollection<string>> DecidedAsync(string sessionId, IReadOnlyCollection<string> callIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sessionId);
        ArgumentNullException.ThrowIfNull(callIds);
        if (callIds.Count == 0)
        {
            return Task.FromResult<IReadOnlyCollection<string>>([]);
        }

        return _database.RunAsync<IReadOnlyCollection<string>>(async (connection, ct) =>
        {
            await using var command = PostgresDatabase.Command(connection, null,
                "SELECT call_id FROM approval_decisions WHERE session_id = $1 AND call_id = ANY($2)", sessionId, callIds.ToArray());
            var decided = new HashSet<string>(StringComparer.Ordinal);
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                decided.Add(reader.GetString(0));
            }

            return decided;
        }, cancellationToken);
    }
}
