using System.Buffers;
using System.Data;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Edgewise.Agents;
using Edgewise.Agents.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Edgewise.Server.Storage;

/// <summary>
/// Sessions in PostgreSQL, with the contract of <see cref="SqliteSessionStore"/>: a header row plus one row per
/// message, a save is one transaction (P01), and a save from a stale copy is refused with
/// <see cref="SessionBusyException"/> (C01) — across processes, because the version check runs under the header
/// row's lock (<c>SELECT … FOR UPDATE</c>) and a new session is inserted only if no other writer created it first.
/// </summary>
public sealed class PostgresSessionStore : ISessionStore
{
    private readonly PostgresDatabase _database;

    /// <summary>Creates the store over <paramref name="database"/>.</summary>
    public PostgresSessionStore(PostgresDatabase database)
    {
        ArgumentNullException.ThrowIfNull(database);
        _database = database;
    }

    /// <inheritdoc/>
    public Task<AgentSession?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        return _database.InTransactionAsync<AgentSession?>(IsolationLevel.RepeatableRead, async (connection, transaction, ct) =>
        {
            var buffer = new ArrayBufferWriter<byte>();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                await using (var header = PostgresDatabase.Command(connection, transaction,
                    "SELECT agent, owner, private, created_at, updated_at, version, state, pending_approvals FROM sessions WHERE id = $1", id))
                {
                    await using var reader = await header.ExecuteReaderAsync(ct).ConfigureAwait(false);
                    if (!await reader.ReadAsync(ct).ConfigureAwait(false))
                    {
                        return null;
                    }

                    SessionRows.WriteHeader(writer, id, reader);
                }

                writer.WriteStartArray("messages");
                await using (var messages = PostgresDatabase.Command(connection, transaction, "SELECT body FROM messages WHERE session_id = $1 ORDER BY seq", id))
                {
                    await using var reader = await messages.ExecuteReaderAsync(ct).ConfigureAwait(false);
                    while (await reader.ReadAsync(ct).ConfigureAwait(false))
                    {
                        writer.WriteRawValue(reader.GetString(0));
                    }
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            return AgentSession.FromJson(Encoding.UTF8.GetString(buffer.WrittenSpan));
        }, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task SaveAsync(AgentSession session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        var (messages, state, pending) = SessionRows.Split(session);
        var expected = session.Version;
        var next = expected + 1;
        object?[] header =
        [
            session.Id, (object?)session.AgentName, session.Owner, session.IsPrivate,
            session.CreatedAt.ToString("O", CultureInfo.InvariantCulture), session.UpdatedAt.ToString("O", CultureInfo.InvariantCulture),
            session.UpdatedAt.UtcTicks, next, messages.Count, state, pending,
        ];
        var saved = await _database.InTransactionAsync(IsolationLevel.ReadCommitted, async (connection, transaction, ct) =>
        {
            long? storedVersion = null;
            var storedCount = 0;
            await using (var read = PostgresDatabase.Command(connection, transaction, "SELECT version, message_count FROM sessions WHERE id = $1 FOR UPDATE", session.Id))
            {
                await using var reader = await read.ExecuteReaderAsync(ct).ConfigureAwait(false);
                if (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    storedVersion = reader.GetInt64(0);
                    storedCount = reader.GetInt32(1);
                }
            }

            SessionRows.CheckVersion(session, storedVersion);

            if (storedVersion is null)
            {
                // Another writer may create the same id between the read and this insert: only one insert wins.
                await using var insert = PostgresDatabase.Command(connection, transaction, """
                    INSERT INTO sessions(id, agent, owner, private, created_at, updated_at, updated_ticks, version, message_count, state, pending_approvals)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO NOTHING
                    """, header);
                if (await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 0)
                {
                    throw new SessionBusyException(session.Id);
                }
            }
            else
            {
                await using var update = PostgresDatabase.Command(connection, transaction, """
                    UPDATE sessions SET agent = $2, owner = $3, private = $4, updated_at = $5, updated_ticks = $6, version = $7,
                        message_count = $8, state = $9, pending_approvals = $10
                    WHERE id = $1
                    """, [.. header[..4], .. header[5..]]);
                await update.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            var from = storedCount;
            if (storedCount > messages.Count)
            {
                await using var clear = PostgresDatabase.Command(connection, transaction, "DELETE FROM messages WHERE session_id = $1", session.Id);
                await clear.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                from = 0;
            }

            if (from < messages.Count)
            {
                var seqs = Enumerable.Range(from, messages.Count - from).ToArray();
                var bodies = messages.GetRange(from, messages.Count - from).ToArray();
                await using var append = PostgresDatabase.Command(connection, transaction, """
                    INSERT INTO messages(session_id, seq, body) SELECT $1, s, b FROM unnest($2::integer[], $3::text[]) AS t(s, b)
                    ON CONFLICT (session_id, seq) DO UPDATE SET body = excluded.body
                    """,
                    session.Id,
                    new NpgsqlParameter { Value = seqs, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer },
                    new NpgsqlParameter { Value = bodies, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
                await append.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            return next;
        }, cancellationToken).ConfigureAwait(false);
        session.Version = saved;
    }

    /// <inheritdoc/>
    public Task<bool> DeleteAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        return _database.RunAsync(async (connection, ct) =>
        {
            await using var command = PostgresDatabase.Command(connection, null, "DELETE FROM sessions WHERE id = $1", id);
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false) > 0;
        }, cancellationToken);
    }

    /// <inheritdoc/>
    public Task<IReadOnlyList<SessionSummary>> ListAsync(string? owner = null, int limit = 100, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        return _database.RunAsync<IReadOnlyList<SessionSummary>>(async (connection, ct) =>
        {
            await using var command = owner is null
                ? PostgresDatabase.Command(connection, null, "SELECT id, agent, owner, message_count, created_at, updated_at FROM sessions ORDER BY updated_ticks DESC LIMIT $1", limit)
                : owner == AgentSession.LocalOwner
                    // Sessions saved without an owner are the local owner's too (AgentSession.Owner), as in SQLite.
                    ? PostgresDatabase.Command(connection, null, "SELECT id, agent, owner, message_count, created_at, updated_at FROM sessions WHERE owner = $2 OR owner IS NULL ORDER BY updated_ticks DESC LIMIT $1", limit, owner)
                    : PostgresDatabase.Command(connection, null, "SELECT id, agent, owner, message_count, created_at, updated_at FROM sessions WHERE owner = $2 ORDER BY updated_ticks DESC LIMIT $1", limit, owner);
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var sessions = new List<SessionSummary>();
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                sessions.Add(SessionRows.Summary(reader));
            }

            return sessions;
        }, cancellationToken);
    }

    /// <inheritdoc/>
    /// <remarks>Also drops session leases that expired over a minute ago (left by gateways that died holding them).</remarks>
    public Task<int> DeleteOlderThanAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default) =>
        _database.RunAsync(async (connection, ct) =>
        {
            await using (var leases = PostgresDatabase.Command(connection, null, "DELETE FROM session_leases WHERE expires_at < clock_timestamp() - interval '1 minute'"))
            {
                await leases.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            await using var command = PostgresDatabase.Command(connection, null, "DELETE FROM sessions WHERE updated_ticks < $1", cutoff.UtcTicks);
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, cancellationToken);
}
