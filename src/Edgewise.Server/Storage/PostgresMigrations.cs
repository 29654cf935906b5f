using System.Globalization;
using Npgsql;

namespace Edgewise.Server.Storage;

/// <summary>
/// The PostgreSQL schema, one migration per version, applied inside one transaction that first takes a
/// transaction-scoped advisory lock: gateways starting at once migrate one after the other, and the later ones find
/// the schema current. <c>edgewise_schema</c> holds one row; a newer version than <see cref="CurrentVersion"/> is
/// refused (P03). Text columns keep the exact JSON and timestamp strings the stores write, so a session round-trips
/// byte for byte and the audit hash covers what is stored.
/// </summary>
internal static class PostgresMigrations
{
    /// <summary>The advisory lock (class, object) that serializes migrations across processes.</summary>
    public const int LockClass = 0x45647773;

    private static readonly string[] s_migrations =
    [
        """
        CREATE TABLE sessions(
            id text PRIMARY KEY,
            agent text,
            owner text,
            private boolean NOT NULL,
            created_at text NOT NULL,
            updated_at text NOT NULL,
            updated_ticks bigint NOT NULL,
            version bigint NOT NULL,
            message_count integer NOT NULL,
            state text NOT NULL,
            pending_approvals text NOT NULL);
        CREATE INDEX sessions_updated ON sessions(updated_ticks);
        CREATE INDEX sessions_owner ON sessions(owner, updated_ticks);
        CREATE TABLE messages(
            session_id text NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            seq integer NOT NULL,
            body text NOT NULL,
            PRIMARY KEY(session_id, seq));
        CREATE TABLE session_leases(
            session_id text PRIMARY KEY,
            holder text NOT NULL,
            expires_at timestamptz NOT NULL);
        CREATE TABLE audit(
            seq bigint PRIMARY KEY,
            ts text NOT NULL,
            session_id text NOT NULL,
            agent text NOT NULL,
            kind text NOT NULL,
            detail text NOT NULL,
            tool text,
            call_id text,
            args_hash text,
            prev_hash text NOT NULL,
            hash text NOT NULL);
        CREATE INDEX audit_session ON audit(session_id, seq);
        CREATE TABLE audit_head(
            id integer PRIMARY KEY CHECK (id = 1),
            seq bigint NOT NULL,
            hash text NOT NULL);
        INSERT INTO audit_head(id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
        CREATE FUNCTION edgewise_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'the audit log is append-only';
        END $$;
        CREATE FUNCTION edgewise_audit_head_advance() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.id <> OLD.id OR NEW.seq <> OLD.seq + 1
               OR NOT EXISTS (SELECT 1 FROM audit WHERE audit.seq = NEW.seq AND audit.hash = NEW.hash) THEN
                RAISE EXCEPTION 'the audit head only moves to the row just appended';
            END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit FOR EACH ROW EXECUTE FUNCTION edgewise_audit_append_only();
        CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit FOR EACH STATEMENT EXECUTE FUNCTION edgewise_audit_append_only();
        CREATE TRIGGER audit_head_advance BEFORE UPDATE ON audit_head FOR EACH ROW EXECUTE FUNCTION edgewise_audit_head_advance();
        CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head FOR EACH ROW EXECUTE FUNCTION edgewise_audit_append_only();
        CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head FOR EACH STATEMENT EXECUTE FUNCTION edgewise_audit_append_only();
        """,
        """
        CREATE TABLE approval_decisions(
            session_id text NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            call_id text NOT NULL,
            approved boolean NOT NULL,
            decided_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            PRIMARY KEY(session_id, call_id));
        """,
    ];

    public static int CurrentVersion => s_migrations.Length;

    /// <summary>Brings the schema to <see cref="CurrentVersion"/> inside <paramref name="transaction"/>; returns the version found.</summary>
    /// <exception cref="StorageException">The database has a newer version.</exception>
    public static async Task<int> ApplyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using (var lockCommand = PostgresDatabase.Command(connection, transaction, "SELECT pg_advisory_xact_lock($1, 1)", LockClass))
        {
            await lockCommand.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (var create = PostgresDatabase.Command(connection, transaction, "CREATE TABLE IF NOT EXISTS edgewise_schema(version integer NOT NULL)"))
        {
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        object? found;
        await using (var read = PostgresDatabase.Command(connection, transaction, "SELECT version FROM edgewise_schema"))
        {
            found = await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        }

        var version = found is null ? 0 : Convert.ToInt32(found, CultureInfo.InvariantCulture);
        if (found is null)
        {
            await using var insert = PostgresDatabase.Command(connection, transaction, "INSERT INTO edgewise_schema(version) VALUES (0)");
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        if (version > CurrentVersion)
        {
            throw new StorageException(StorageException.NewerSchema, "The PostgreSQL schema was written by a newer version of Edgewise; refusing to use it.");
        }

        for (var next = version + 1; next <= CurrentVersion; next++)
        {
            await using (var migrate = PostgresDatabase.Command(connection, transaction, s_migrations[next - 1]))
            {
                await migrate.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await using var update = PostgresDatabase.Command(connection, transaction, "UPDATE edgewise_schema SET version = $1", next);
            await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        return version;
    }
}
