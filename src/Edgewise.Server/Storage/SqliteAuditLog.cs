using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Edgewise.Agents.Storage;
using Microsoft.Data.Sqlite;

namespace Edgewise.Server.Storage;

/// <summary>
/// The audit log in SQLite: append-only (triggers refuse UPDATE and DELETE) and hash-chained: each row stores
/// the SHA-256 of the previous row's hash and its own fields, so an edited, inserted or deleted row breaks the
/// chain at that row (P06). The chain's head is also kept outside the table, in <see cref="AuditHead"/>'s file next
/// to the database, rewritten after every committed append; verification compares the two, so cutting off the newest
/// rows, emptying the table or putting back an older copy of the database is detected too. What this cannot prove is
/// in docs/security.md ("What the audit log proves").
/// </summary>
public sealed class SqliteAuditLog : IAuditLog, IAuditListing
{
    /// <summary>The previous hash of the first row.</summary>
    public static readonly string GenesisHash = new('0', 64);

    private readonly SqliteDatabase _database;
    private readonly string _headPath;
    private readonly Lock _headLock = new();

    // Set on the writer by the first append: whether the head file on disk matches this database. When it does not
    // (rows cut off, or the file rolled back) the head is never rewritten, so the evidence stays for 'audit verify'.
    private bool _headChecked;
    private bool _headMatches;
    private long _headWritten;

    /// <summary>Creates the log over <paramref name="database"/>.</summary>
    public SqliteAuditLog(SqliteDatabase database)
    {
        ArgumentNullException.ThrowIfNull(database);
        _database = database;
        _headPath = AuditHead.PathFor(database.Path);
    }

    /// <summary>False when the head file did not match the database at the first append: the log was cut or rolled back.</summary>
    public bool HeadMatches => !_headChecked || _headMatches;

    /// <inheritdoc/>
    public async Task AppendAsync(AuditRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        var head = await _database.WriteAsync((connection, transaction) =>
        {
            if (!_headChecked)
            {
                try
                {
                    _headMatches = AuditHead.Read(_headPath) is not { } stored || HashAt(connection, transaction, stored.Seq) == stored.Hash;
                }
                catch (StorageException)
                {
                    _headMatches = false;
                }

                _headChecked = true;
            }

            long previousSeq = 0;
            var previousHash = GenesisHash;
            using (var last = connection.CreateCommand())
            {
                last.Transaction = transaction;
                last.CommandText = "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1";
                using var reader = last.ExecuteReader();
                if (reader.Read())
                {
                    previousSeq = reader.GetInt64(0);
                    previousHash = reader.GetString(1);
                }
            }

            var row = new AuditRow(previousSeq + 1, record.Timestamp.UtcDateTime.ToString("O", CultureInfo.InvariantCulture), record.SessionId, record.AgentName,
                record.Kind, record.Detail, record.ToolName, record.CallId, record.ArgumentsHash, previousHash);
            using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = """
                INSERT INTO audit(seq, ts, session_id, agent, kind, detail, tool, call_id, args_hash, prev_hash, hash)
                VALUES ($seq, $ts, $session, $agent, $kind, $detail, $tool, $call, $args, $prev, $hash)
                """;
            insert.Parameters.AddWithValue("$seq", row.Seq);
            insert.Parameters.AddWithValue("$ts", row.Timestamp);
            insert.Parameters.AddWithValue("$session", row.SessionId);
            insert.Parameters.AddWithValue("$agent", row.AgentName);
            insert.Parameters.AddWithValue("$kind", row.Kind);
            insert.Parameters.AddWithValue("$detail", row.Detail);
            insert.Parameters.AddWithValue("$tool", (object?)row.ToolName ?? DBNull.Value);
            insert.Parameters.AddWithValue("$call", (object?)row.CallId ?? DBNull.Value);
            insert.Parameters.AddWithValue("$args", (object?)row.ArgumentsHash ?? DBNull.Value);
            insert.Parameters.AddWithValue("$prev", previousHash);
            var hash = row.ComputeHash();
            insert.Parameters.AddWithValue("$hash", hash);
            insert.ExecuteNonQuery();
            return new AuditHead(row.Seq, hash);
        }, cancellationToken).ConfigureAwait(false);

        // Committed: now the head moves. A crash before this leaves the head one or more rows behind, which
        // verification accepts (rows past the head are reported); the head is never ahead of what was committed.
        lock (_headLock)
        {
            if (_headMatches && head.Seq > _headWritten)
            {
                head.Write(_headPath);
                _headWritten = head.Seq;
            }
        }
    }

    private static string? HashAt(SqliteConnection connection, SqliteTransaction transaction, long seq)
    {
        if (seq == 0)
        {
            return GenesisHash;
        }

        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT hash FROM audit WHERE seq = $seq";
        command.Parameters.AddWithValue("$seq", seq);
        return command.ExecuteScalar() as string;
    }

    /// <summary>The audit rows of <paramref name="sessionId"/>, oldest first (at most <paramref name="limit"/>).</summary>
    public async Task<IReadOnlyList<AuditRecord>> GetAsync(string sessionId, int limit = 1000, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sessionId);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var connection = await _database.OpenReadConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT ts, session_id, agent, kind, detail, tool, call_id, args_hash FROM audit WHERE session_id = $s ORDER BY seq LIMIT $n";
            command.Parameters.AddWithValue("$s", sessionId);
            command.Parameters.AddWithValue("$n", limit);
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var records = new List<AuditRecord>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                records.Add(new AuditRecord(DateTimeOffset.Parse(reader.GetString(0), CultureInfo.InvariantCulture), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4))
                {
                    ToolName = reader.IsDBNull(5) ? null : reader.GetString(5),
                    CallId = reader.IsDBNull(6) ? null : reader.GetString(6),
                    ArgumentsHash = reader.IsDBNull(7) ? null : reader.GetString(7),
                });
            }

            return records;
        }
    }

    /// <inheritdoc/>
    public async Task<AuditListing> ListAsync(string? sessionId, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var connection = await _database.OpenReadConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            long count;
            using (var counter = connection.CreateCommand())
            {
                counter.CommandText = "SELECT COUNT(*) FROM audit";
                count = Convert.ToInt64(await counter.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
            }

            using var command = connection.CreateCommand();
            command.CommandText = """
                SELECT a.seq, a.ts, a.session_id, a.agent, a.kind, a.detail, a.tool, a.call_id, a.args_hash, a.prev_hash, a.hash, s.owner
                FROM audit a LEFT JOIN sessions s ON s.id = a.session_id
                """ + (sessionId is null ? string.Empty : " WHERE a.session_id = $session") + " ORDER BY a.seq DESC LIMIT $n";
            command.Parameters.AddWithValue("$n", limit);
            if (sessionId is not null)
            {
                command.Parameters.AddWithValue("$session", sessionId);
            }

            var list = new List<AuditListingRow>();
            using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
                    list.Add(new AuditListingRow(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5),
                        Text(6), Text(7), Text(8), reader.GetString(9), reader.GetString(10), Text(11)));
                }
            }

            list.Reverse();
            return new AuditListing(list, count, Verify(connection, AuditHead.Read(_headPath), cancellationToken));
        }
    }

    /// <summary>Walks the chain from the first row and reports the first row that does not verify.</summary>
    public async Task<AuditVerification> VerifyAsync(CancellationToken cancellationToken = default)
    {
        var connection = await _database.OpenReadConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            return Verify(connection, AuditHead.Read(_headPath), cancellationToken);
        }
    }

    /// <summary>
    /// What verifying a log gives when its database file is gone: valid when no head file vouches for any row,
    /// otherwise broken at row 1 (the whole log was removed).
    /// </summary>
    public static AuditVerification VerifyMissingDatabase(string databasePath)
    {
        var head = AuditHead.Read(AuditHead.PathFor(Path.GetFullPath(databasePath)));
        return head is null or { Seq: 0 }
            ? new AuditVerification(true, 0, null, GenesisHash)
            : new AuditVerification(false, 0, 1, GenesisHash) { Problem = Truncated(head, 0) };
    }

    /// <summary>
    /// Verifies the chain in any SQLite file with this schema, and its end against <paramref name="head"/> (the
    /// head file's content; null when there is none, which only an empty log may lack).
    /// </summary>
    public static AuditVerification Verify(SqliteConnection connection, AuditHead? head, CancellationToken cancellationToken = default)
    {
        var chain = Verify(connection, head?.Seq ?? 0, out var hashAtHead, cancellationToken);
        if (!chain.IsValid)
        {
            return chain;
        }

        if (head is null)
        {
            return chain.RowsChecked == 0
                ? chain
                : chain with { IsValid = false, Problem = "the audit head file is missing, so rows cut from the end cannot be ruled out" };
        }

        if (head.Seq > chain.RowsChecked)
        {
            return chain with { IsValid = false, FirstBrokenSeq = chain.RowsChecked + 1, Problem = Truncated(head, chain.RowsChecked) };
        }

        if (!string.Equals(hashAtHead, head.Hash, StringComparison.Ordinal))
        {
            return chain with { IsValid = false, FirstBrokenSeq = head.Seq, Problem = "the row the audit head vouches for differs: the database was replaced or rolled back" };
        }

        return chain with { RowsPastHead = chain.RowsChecked - head.Seq };
    }

    private static string Truncated(AuditHead head, long rows) => string.Create(CultureInfo.InvariantCulture,
        $"the audit head vouches for {head.Seq} rows but the log holds {rows}: rows were removed from the end or the database was rolled back");

    /// <summary>Walks the chain only (no head check); <paramref name="hashAtHead"/> is the hash of row <paramref name="headSeq"/>.</summary>
    private static AuditVerification Verify(SqliteConnection connection, long headSeq, out string? hashAtHead, CancellationToken cancellationToken)
    {
        hashAtHead = headSeq == 0 ? GenesisHash : null;
        ArgumentNullException.ThrowIfNull(connection);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT seq, ts, session_id, agent, kind, detail, tool, call_id, args_hash, prev_hash, hash FROM audit ORDER BY seq";
        using var reader = command.ExecuteReader();
        long expectedSeq = 1;
        var previousHash = GenesisHash;
        long checkedRows = 0;
        while (reader.Read())
        {
            cancellationToken.ThrowIfCancellationRequested();
            var row = new AuditRow(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5),
                reader.IsDBNull(6) ? null : reader.GetString(6), reader.IsDBNull(7) ? null : reader.GetString(7), reader.IsDBNull(8) ? null : reader.GetString(8),
                reader.GetString(9));
            var stored = reader.GetString(10);
            if (row.Seq != expectedSeq || !string.Equals(row.PreviousHash, previousHash, StringComparison.Ordinal)
                || !string.Equals(row.ComputeHash(), stored, StringComparison.Ordinal))
            {
                return new AuditVerification(false, checkedRows, row.Seq, previousHash);
            }

            previousHash = stored;
            if (row.Seq == headSeq)
            {
                hashAtHead = stored;
            }

            expectedSeq++;
            checkedRows++;
        }

        return new AuditVerification(true, checkedRows, null, previousHash);
    }

    private sealed record AuditRow(long Seq, string Timestamp, string SessionId, string AgentName, string Kind, string Detail, string? ToolName, string? CallId, string? ArgumentsHash, string PreviousHash)
    {
        public string ComputeHash()
        {
            var builder = new StringBuilder(256);
            foreach (var field in (ReadOnlySpan<string?>)[PreviousHash, Seq.ToString(CultureInfo.InvariantCulture), Timestamp, SessionId, AgentName, Kind, Detail, ToolName, CallId, ArgumentsHash])
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
    }
}

/// <summary>The outcome of walking the audit hash chain.</summary>
/// <param name="IsValid">True when every row verifies.</param>
/// <param name="RowsChecked">Rows that verified before the first break (all rows when valid).</param>
/// <param name="FirstBrokenSeq">The sequence number of the first row that does not verify, or null.</param>
/// <param name="HeadHash">The hash of the last verified row (the genesis hash when none); keep it elsewhere to detect truncation.</param>
public sealed record AuditVerification(bool IsValid, long RowsChecked, long? FirstBrokenSeq, string HeadHash)
{
    /// <summary>Why the log does not verify, when the rows chain correctly but disagree with the head file.</summary>
    public string? Problem { get; init; }

    /// <summary>Rows committed after the head file was last written (a crash between the two leaves a few).</summary>
    public long RowsPastHead { get; init; }
}
