using System.Data;
using System.Globalization;
using Edgewise.Agents.Storage;

namespace Edgewise.Server.Storage;

/// <summary>
/// The audit log in PostgreSQL: one hash chain however many gateways append (the row format and hash of
/// <see cref="AuditChain"/>, so it verifies like the SQLite log). Appends are serialized in the database, not in a
/// process: each one locks the single <c>audit_head</c> row (<c>SELECT … FOR UPDATE</c>), links to the hash
/// there, inserts the row and moves the head in the same transaction. Triggers refuse UPDATE, DELETE and TRUNCATE on
/// the log and let the head move only to the row just appended, so <see cref="VerifyAsync"/> detects both edited
/// rows and a log cut short (rows gone while the head still names the old end) unless the triggers themselves were
/// dropped by the tables' owner; against that, keep <see cref="AuditVerification.HeadHash"/> outside the database.
/// </summary>
public sealed class PostgresAuditLog : IAuditLog, IAuditListing
{
    private readonly PostgresDatabase _database;

    /// <summary>Creates the log over <paramref name="database"/>.</summary>
    public PostgresAuditLog(PostgresDatabase database)
    {
        ArgumentNullException.ThrowIfNull(database);
        _database = database;
    }

    /// <inheritdoc/>
    public Task AppendAsync(AuditRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        var timestamp = AuditChain.FormatTimestamp(record.Timestamp);
        return _database.InTransactionAsync(IsolationLevel.ReadCommitted, async (connection, transaction, ct) =>
        {
            long previousSeq;
            string previousHash;
            await using (var head = PostgresDatabase.Command(connection, transaction, "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE"))
            {
                await using var reader = await head.ExecuteReaderAsync(ct).ConfigureAwait(false);
                if (!await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    throw new StorageException(StorageException.Corrupt, "The audit head row is missing; the audit log cannot be appended to.");
                }

                previousSeq = reader.GetInt64(0);
                previousHash = reader.GetString(1);
            }

            var seq = previousSeq + 1;
            var hash = AuditChain.ComputeHash(previousHash, seq, timestamp, record.SessionId, record.AgentName, record.Kind, record.Detail, record.ToolName, record.CallId, record.ArgumentsHash);
            await using (var insert = PostgresDatabase.Command(connection, transaction, """
                INSERT INTO audit(seq, ts, session_id, agent, kind, detail, tool, call_id, args_hash, prev_hash, hash)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                """, seq, timestamp, record.SessionId, record.AgentName, record.Kind, record.Detail, record.ToolName, record.CallId, record.ArgumentsHash, previousHash, hash))
            {
                await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            await using var move = PostgresDatabase.Command(connection, transaction, "UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1", seq, hash);
            await move.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            return seq;
        }, cancellationToken);
    }

    /// <summary>The audit rows of <paramref name="sessionId"/>, oldest first (at most <paramref name="limit"/>).</summary>
    public Task<IReadOnlyList<AuditRecord>> GetAsync(string sessionId, int limit = 1000, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sessionId);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        return _database.RunAsync<IReadOnlyList<AuditRecord>>(async (connection, ct) =>
        {
            await using var command = PostgresDatabase.Command(connection, null,
                "SELECT ts, session_id, agent, kind, detail, tool, call_id, args_hash FROM audit WHERE session_id = $1 ORDER BY seq LIMIT $2", sessionId, limit);
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var records = new List<AuditRecord>();
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                records.Add(new AuditRecord(DateTimeOffset.Parse(reader.GetString(0), CultureInfo.InvariantCulture), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4))
                {
                    ToolName = reader.IsDBNull(5) ? null : reader.GetString(5),
                    CallId = reader.IsDBNull(6) ? null : reader.GetString(6),
                    ArgumentsHash = reader.IsDBNull(7) ? null : reader.GetString(7),
                });
            }

            return records;
        }, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<AuditListing> ListAsync(string? sessionId, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var (rows, total) = await _database.InTransactionAsync(IsolationLevel.RepeatableRead, async (connection, transaction, ct) =>
        {
            long count;
            await using (var counter = PostgresDatabase.Command(connection, transaction, "SELECT COUNT(*) FROM audit"))
            {
                count = Convert.ToInt64(await counter.ExecuteScalarAsync(ct).ConfigureAwait(false), CultureInfo.InvariantCulture);
            }

            await using var command = PostgresDatabase.Command(connection, transaction, """
                SELECT a.seq, a.ts, a.session_id, a.agent, a.kind, a.detail, a.tool, a.call_id, a.args_hash, a.prev_hash, a.hash, s.owner
                FROM audit a LEFT JOIN sessions s ON s.id = a.session_id
                WHERE $1::text IS NULL OR a.session_id = $1
                ORDER BY a.seq DESC LIMIT $2
                """, new Npgsql.NpgsqlParameter { Value = (object?)sessionId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text }, limit);
            var list = new List<AuditListingRow>();
            await using (var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
                    list.Add(new AuditListingRow(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5),
                        Text(6), Text(7), Text(8), reader.GetString(9), reader.GetString(10), Text(11)));
                }
            }

            list.Reverse();
            return ((IReadOnlyList<AuditListingRow>)list, count);
        }, cancellationToken).ConfigureAwait(false);
        return new AuditListing(rows, total, await VerifyAsync(cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// Walks the chain from the first row in one snapshot and reports the first row that does not verify; a chain
    /// that verifies but ends before the head row is reported broken at the first missing sequence number.
    /// </summary>
    public Task<AuditVerification> VerifyAsync(CancellationToken cancellationToken = default) =>
        _database.InTransactionAsync(IsolationLevel.RepeatableRead, async (connection, transaction, ct) =>
        {
            long headSeq = 0;
            var headHash = AuditChain.GenesisHash;
            var hasHead = false;
            await using (var head = PostgresDatabase.Command(connection, transaction, "SELECT seq, hash FROM audit_head WHERE id = 1"))
            {
                await using var reader = await head.ExecuteReaderAsync(ct).ConfigureAwait(false);
                if (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    (hasHead, headSeq, headHash) = (true, reader.GetInt64(0), reader.GetString(1));
                }
            }

            long expectedSeq = 1;
            var previousHash = AuditChain.GenesisHash;
            long checkedRows = 0;
            await using (var rows = PostgresDatabase.Command(connection, transaction,
                "SELECT seq, ts, session_id, agent, kind, detail, tool, call_id, args_hash, prev_hash, hash FROM audit ORDER BY seq"))
            {
                await using var reader = await rows.ExecuteReaderAsync(ct).ConfigureAwait(false);
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    var seq = reader.GetInt64(0);
                    var prev = reader.GetString(9);
                    var stored = reader.GetString(10);
                    var computed = AuditChain.ComputeHash(prev, seq, reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5),
                        reader.IsDBNull(6) ? null : reader.GetString(6), reader.IsDBNull(7) ? null : reader.GetString(7), reader.IsDBNull(8) ? null : reader.GetString(8));
                    if (seq != expectedSeq || !string.Equals(prev, previousHash, StringComparison.Ordinal) || !string.Equals(computed, stored, StringComparison.Ordinal))
                    {
                        return new AuditVerification(false, checkedRows, seq, previousHash);
                    }

                    previousHash = stored;
                    expectedSeq++;
                    checkedRows++;
                }
            }

            if (!hasHead || headSeq != checkedRows || !string.Equals(headHash, previousHash, StringComparison.Ordinal))
            {
                // Rows are missing at the end (or the head was moved): the first row the head vouches for but the log lacks.
                return new AuditVerification(false, checkedRows, Math.Min(checkedRows, hasHead ? headSeq : checkedRows) + 1, previousHash);
            }

            return new AuditVerification(true, checkedRows, null, previousHash);
        }, cancellationToken);
}
