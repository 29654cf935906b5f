using Edgewise.Agents.Storage;
using Edgewise.Server.Storage;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Edgewise.Server.Tests.Storage;

/// <summary>
/// One storage backend opened for one test: the session store, the audit log and the session leases over a fresh,
/// empty database, plus the few raw operations the contract tests need to look behind the stores.
/// </summary>
public abstract class StoreBackend : IAsyncDisposable
{
    public abstract ISessionStore Sessions { get; }

    public abstract IAuditLog Audit { get; }

    public abstract ISessionLeases Leases { get; }

    public abstract Task<AuditVerification> VerifyAuditAsync();

    public abstract Task<IReadOnlyList<AuditRecord>> GetAuditAsync(string sessionId);

    /// <summary>Rows in <paramref name="table"/>, read past the stores.</summary>
    public abstract Task<long> CountAsync(string table);

    /// <summary>Runs <paramref name="sql"/> past the stores, as someone with the database's credentials could.</summary>
    public abstract Task ExecuteRawAsync(string sql);

    public abstract ValueTask DisposeAsync();
}

/// <summary>A fresh SQLite file in a temporary directory.</summary>
public sealed class SqliteBackend : StoreBackend
{
    private readonly TempDatabase _temp = new();
    private SqliteDatabase _database = null!;
    private SqliteAuditLog _audit = null!;
    private SqliteSessionStore _sessions = null!;

    public static async Task<SqliteBackend> OpenAsync()
    {
        var backend = new SqliteBackend();
        backend._database = await backend._temp.OpenAsync();
        backend._sessions = new SqliteSessionStore(backend._database);
        backend._audit = new SqliteAuditLog(backend._database);
        return backend;
    }

    public override ISessionStore Sessions => _sessions;

    public override IAuditLog Audit => _audit;

    public override ISessionLeases Leases { get; } = new MemorySessionLeases();

    public override Task<AuditVerification> VerifyAuditAsync() => _audit.VerifyAsync(TestContext.Current.CancellationToken);

    public override Task<IReadOnlyList<AuditRecord>> GetAuditAsync(string sessionId) => _audit.GetAsync(sessionId, cancellationToken: TestContext.Current.CancellationToken);

    public override async Task<long> CountAsync(string table)
    {
        await using var connection = await _database.OpenReadConnectionAsync(TestContext.Current.CancellationToken);
        return (long)TempDatabase.Scalar(connection, "SELECT count(*) FROM " + table)!;
    }

    public override Task ExecuteRawAsync(string sql)
    {
        using var raw = _temp.OpenRaw();
        TempDatabase.Execute(raw, sql);
        return Task.CompletedTask;
    }

    public override async ValueTask DisposeAsync()
    {
        await _database.DisposeAsync();
        _temp.Dispose();
    }
}

/// <summary>
/// A fresh schema in the PostgreSQL server named by <c>EDGEWISE_TEST_PG</c> (an Npgsql connection string; .ci/run
/// starts a throwaway cluster and sets it). Without it the test is skipped with that reason, except under CI
/// (<c>CI=true</c>), where a missing server is a failure.
/// </summary>
public sealed class PostgresBackend : StoreBackend
{
    public const string Variable = "EDGEWISE_TEST_PG";

    private readonly string _admin;
    private readonly string _schema;
    private readonly List<PostgresDatabase> _opened = [];
    private PostgresDatabase _database = null!;
    private PostgresAuditLog _audit = null!;
    private PostgresSessionStore _sessions = null!;
    private PostgresSessionLeases _leases = null!;

    private PostgresBackend(string admin, string schema)
    {
        _admin = admin;
        _schema = schema;
    }

    /// <summary>The server's connection string, or a skip (a failure under CI) when none is configured.</summary>
    public static string RequireServer()
    {
        var connection = Environment.GetEnvironmentVariable(Variable);
        if (!string.IsNullOrWhiteSpace(connection))
        {
            return connection;
        }

        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail(Variable + " is not set under CI: .ci/run must start PostgreSQL before the tests (the PostgreSQL store tests never skip in CI).");
        }

        Assert.Skip(Variable + " is not set: no PostgreSQL server to test against (bash .ci/run starts one; or export an Npgsql connection string).");
        throw new InvalidOperationException("unreachable");
    }

    public static async Task<PostgresBackend> OpenAsync(TimeSpan? leaseDuration = null)
    {
        var admin = RequireServer();
        var schema = "t_" + Guid.NewGuid().ToString("N");
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync(TestContext.Current.CancellationToken);
            await using var create = new NpgsqlCommand("CREATE SCHEMA " + schema, connection);
            await create.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        var backend = new PostgresBackend(admin, schema);
        backend._database = await backend.OpenDatabaseAsync(leaseDuration);
        backend._sessions = new PostgresSessionStore(backend._database);
        backend._audit = new PostgresAuditLog(backend._database);
        backend._leases = new PostgresSessionLeases(backend._database);
        return backend;
    }

    /// <summary>The connection string of this test's schema.</summary>
    public string ConnectionString => new NpgsqlConnectionStringBuilder(_admin) { SearchPath = _schema }.ConnectionString;

    public PostgresDatabase Database => _database;

    public override ISessionStore Sessions => _sessions;

    public override IAuditLog Audit => _audit;

    public PostgresAuditLog AuditLog => _audit;

    public override ISessionLeases Leases => _leases;

    public PostgresSessionLeases PostgresLeases => _leases;

    /// <summary>Another <see cref="PostgresDatabase"/> on the same schema: what a second gateway process holds.</summary>
    public async Task<PostgresDatabase> OpenDatabaseAsync(TimeSpan? leaseDuration = null)
    {
        var database = await PostgresDatabase.OpenAsync(
            new PostgresStorageOptions { ConnectionString = ConnectionString, LeaseDuration = leaseDuration ?? PostgresStorageOptions.DefaultLeaseDuration },
            TestContext.Current.CancellationToken);
        _opened.Add(database);
        return database;
    }

    public override Task<AuditVerification> VerifyAuditAsync() => _audit.VerifyAsync(TestContext.Current.CancellationToken);

    public override Task<IReadOnlyList<AuditRecord>> GetAuditAsync(string sessionId) => _audit.GetAsync(sessionId, cancellationToken: TestContext.Current.CancellationToken);

    public override async Task<long> CountAsync(string table)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand("SELECT count(*) FROM " + table, connection);
        return (long)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }

    public override async Task ExecuteRawAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }

    public override async ValueTask DisposeAsync()
    {
        foreach (var database in _opened)
        {
            await database.DisposeAsync();
        }

        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(_admin);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand("DROP SCHEMA " + _schema + " CASCADE", connection);
        await drop.ExecuteNonQueryAsync();
    }
}
