using Microsoft.Data.Sqlite;

namespace Edgewise.Server.Storage;

/// <summary>
/// The schema, one migration per version. <c>schema_version</c> holds one row; a database whose version is
/// newer than <see cref="CurrentVersion"/> is refused (P03).
/// </summary>
internal static class SqliteMigrations
{
    private static readonly string[] s_migrations =
    [
        """
        CREATE TABLE sessions(
            id TEXT PRIMARY KEY,
            agent TEXT,
            owner TEXT,
            private INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            updated_ticks INTEGER NOT NULL,
            version INTEGER NOT NULL,
            message_count INTEGER NOT NULL,
            state TEXT NOT NULL,
            pending_approvals TEXT NOT NULL);
        CREATE INDEX sessions_updated ON sessions(updated_ticks);
        CREATE INDEX sessions_owner ON sessions(owner, updated_ticks);
        CREATE TABLE messages(
            session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            body TEXT NOT NULL,
            PRIMARY KEY(session_id, seq)) WITHOUT ROWID;
        CREATE TABLE audit(
            seq INTEGER PRIMARY KEY,
            ts TEXT NOT NULL,
            session_id TEXT NOT NULL,
            agent TEXT NOT NULL,
            kind TEXT NOT NULL,
            detail TEXT NOT NULL,
            tool TEXT,
            call_id TEXT,
            args_hash TEXT,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL);
        CREATE INDEX audit_session ON audit(session_id, seq);
        CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        """,
    ];

    public static int CurrentVersion => s_migrations.Length;

    /// <summary>Brings the schema to <see cref="CurrentVersion"/> inside <paramref name="transaction"/>.</summary>
    /// <exception cref="StorageException">The database has a newer version.</exception>
    public static void Apply(SqliteConnection connection, SqliteTransaction transaction)
    {
        Execute(connection, transaction, "CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL)");
        using var read = connection.CreateCommand();
        read.Transaction = transaction;
        read.CommandText = "SELECT version FROM schema_version";
        var found = read.ExecuteScalar();
        var version = found is null ? 0 : Convert.ToInt32(found, System.Globalization.CultureInfo.InvariantCulture);
        if (found is null)
        {
            Execute(connection, transaction, "INSERT INTO schema_version(version) VALUES (0)");
        }

        if (version > CurrentVersion)
        {
            throw new StorageException(StorageException.NewerSchema, "The database was written by a newer version of Edgewise; refusing to open it.");
        }

        for (var next = version + 1; next <= CurrentVersion; next++)
        {
            Execute(connection, transaction, s_migrations[next - 1]);
            using var update = connection.CreateCommand();
            update.Transaction = transaction;
            update.CommandText = "UPDATE schema_version SET version = $v";
            update.Parameters.AddWithValue("$v", next);
            update.ExecuteNonQuery();
        }
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
