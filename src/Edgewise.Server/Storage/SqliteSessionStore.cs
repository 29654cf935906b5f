using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Edgewise.Agents;
using Edgewise.Agents.Storage;
using Microsoft.Data.Sqlite;

namespace Edgewise.Server.Storage;

/// <summary>
/// Sessions in SQLite: a header row plus one row per message. A save is one transaction through the single
/// writer: the header and the new messages are stored together or not at all (P01), and a save from a stale
/// copy of the session is refused with <see cref="SessionBusyException"/> (C01). Messages are appended; a
/// session whose history got shorter (context trimming) is rewritten whole.
/// </summary>
public sealed class SqliteSessionStore : ISessionStore
{
    private readonly SqliteDatabase _database;

    /// <summary>Creates the store over <paramref name="database"/>.</summary>
    public SqliteSessionStore(SqliteDatabase database)
    {
        ArgumentNullException.ThrowIfNull(database);
        _database = database;
    }

    /// <inheritdoc/>
    public async Task<AgentSession?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        var connection = await _database.OpenReadConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var transaction = connection.BeginTransaction(deferred: true);
            var buffer = new ArrayBufferWriter<byte>();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                using (var header = connection.CreateCommand())
                {
                    header.Transaction = transaction;
                    header.CommandText = "SELECT agent, owner, private, created_at, updated_at, version, state, pending_approvals FROM sessions WHERE id = $id";
                    header.Parameters.AddWithValue("$id", id);
                    using var reader = await header.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                    if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        return null;
                    }

                    SessionRows.WriteHeader(writer, id, reader);
                }

                writer.WriteStartArray("messages");
                using (var messages = connection.CreateCommand())
                {
                    messages.Transaction = transaction;
                    messages.CommandText = "SELECT body FROM messages WHERE session_id = $id ORDER BY seq";
                    messages.Parameters.AddWithValue("$id", id);
                    using var reader = await messages.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        writer.WriteRawValue(reader.GetString(0));
                    }
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            return AgentSession.FromJson(Encoding.UTF8.GetString(buffer.WrittenSpan));
        }
    }

    /// <inheritdoc/>
    public async Task SaveAsync(AgentSession session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        var (messages, state, pending) = SessionRows.Split(session);
        var expected = session.Version;
        var saved = await _database.WriteAsync((connection, transaction) =>
        {
            long? storedVersion = null;
            var storedCount = 0;
            using (var read = connection.CreateCommand())
            {
                read.Transaction = transaction;
                read.CommandText = "SELECT version, message_count FROM sessions WHERE id = $id";
                read.Parameters.AddWithValue("$id", session.Id);
                using var reader = read.ExecuteReader();
                if (reader.Read())
                {
                    storedVersion = reader.GetInt64(0);
                    storedCount = reader.GetInt32(1);
                }
            }

            SessionRows.CheckVersion(session, storedVersion);

            var next = expected + 1;
            using (var upsert = connection.CreateCommand())
            {
                upsert.Transaction = transaction;
                upsert.CommandText = """
                    INSERT INTO sessions(id, agent, owner, private, created_at, updated_at, updated_ticks, version, message_count, state, pending_approvals)
                    VALUES ($id, $agent, $owner, $private, $created, $updated, $ticks, $version, $count, $state, $pending)
                    ON CONFLICT(id) DO UPDATE SET agent = excluded.agent, owner = excluded.owner, private = excluded.private,
                        updated_at = excluded.updated_at, updated_ticks = excluded.updated_ticks, version = excluded.version,
                        message_count = excluded.message_count, state = excluded.state, pending_approvals = excluded.pending_approvals
                    """;
                upsert.Parameters.AddWithValue("$id", session.Id);
                upsert.Parameters.AddWithValue("$agent", (object?)session.AgentName ?? DBNull.Value);
                upsert.Parameters.AddWithValue("$owner", (object?)session.Owner ?? DBNull.Value);
                upsert.Parameters.AddWithValue("$private", session.IsPrivate ? 1 : 0);
                upsert.Parameters.AddWithValue("$created", session.CreatedAt.ToString("O", CultureInfo.InvariantCulture));
                upsert.Parameters.AddWithValue("$updated", session.UpdatedAt.ToString("O", CultureInfo.InvariantCulture));
                upsert.Parameters.AddWithValue("$ticks", session.UpdatedAt.UtcTicks);
                upsert.Parameters.AddWithValue("$version", next);
                upsert.Parameters.AddWithValue("$count", messages.Count);
                upsert.Parameters.AddWithValue("$state", state);
                upsert.Parameters.AddWithValue("$pending", pending);
                upsert.ExecuteNonQuery();
            }

            var from = storedCount;
            if (storedCount > messages.Count)
            {
                using var clear = connection.CreateCommand();
                clear.Transaction = transaction;
                clear.CommandText = "DELETE FROM messages WHERE session_id = $id";
                clear.Parameters.AddWithValue("$id", session.Id);
                clear.ExecuteNonQuery();
                from = 0;
            }

            using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT OR REPLACE INTO messages(session_id, seq, body) VALUES ($id, $seq, $body)";
            var seqParameter = insert.Parameters.Add("$seq", SqliteType.Integer);
            var bodyParameter = insert.Parameters.Add("$body", SqliteType.Text);
            insert.Parameters.AddWithValue("$id", session.Id);
            for (var i = from; i < messages.Count; i++)
            {
                seqParameter.Value = i;
                bodyParameter.Value = messages[i];
                insert.ExecuteNonQuery();
            }

            return next;
        }, cancellationToken).ConfigureAwait(false);
        session.Version = saved;
    }

    /// <inheritdoc/>
    public Task<bool> DeleteAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        return _database.WriteAsync((connection, transaction) =>
        {
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "DELETE FROM sessions WHERE id = $id";
            command.Parameters.AddWithValue("$id", id);
            return command.ExecuteNonQuery() > 0;
        }, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<SessionSummary>> ListAsync(string? owner = null, int limit = 100, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var connection = await _database.OpenReadConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var command = connection.CreateCommand();
            command.CommandText = owner is null
                ? "SELECT id, agent, owner, message_count, created_at, updated_at FROM sessions ORDER BY updated_ticks DESC LIMIT $n"
                : owner == AgentSession.LocalOwner
                    // Sessions saved without an owner are the local owner's too (AgentSession.Owner).
                    ? "SELECT id, agent, owner, message_count, created_at, updated_at FROM sessions WHERE owner = $o OR owner IS NULL ORDER BY updated_ticks DESC LIMIT $n"
                    : "SELECT id, agent, owner, message_count, created_at, updated_at FROM sessions WHERE owner = $o ORDER BY updated_ticks DESC LIMIT $n";
            command.Parameters.AddWithValue("$n", limit);
            if (owner is not null)
            {
                command.Parameters.AddWithValue("$o", owner);
            }

            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var sessions = new List<SessionSummary>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                sessions.Add(SessionRows.Summary(reader));
            }

            return sessions;
        }
    }

    /// <inheritdoc/>
    public Task<int> DeleteOlderThanAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default) =>
        _database.WriteAsync((connection, transaction) =>
        {
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "DELETE FROM sessions WHERE updated_ticks < $t";
            command.Parameters.AddWithValue("$t", cutoff.UtcTicks);
            return command.ExecuteNonQuery();
        }, cancellationToken);
}
