using Edgewise.Agents.Storage;
using Edgewise.Configuration;
using Edgewise.Models.Storage;
using Edgewise.Server;
using Edgewise.Server.Configuration;
using Edgewise.Server.Storage;

namespace Edgewise.Cli.Commands;

/// <summary>
/// Where <c>edgewise sessions</c> and <c>edgewise audit verify</c> read: the store the server would use, through the
/// same store classes. With <c>--config FILE</c> (or <c>edgewise.yaml</c> in the current folder, when it exists and
/// <c>--db</c> is not given) whose <c>storage.kind</c> is <c>postgres</c>, the PostgreSQL database the gateways
/// share; otherwise the SQLite file (<c>--db</c>, default agents.db under EDGEWISE_HOME), which reading never creates.
/// </summary>
internal sealed class SessionStorage
{
    /// <summary>The default configuration file, read when it exists and neither --config nor --db is given.</summary>
    public const string DefaultConfigFile = "edgewise.yaml";

    private readonly Func<CancellationToken, Task<AuditVerification>> _verify;

    private SessionStorage(string description, ISessionStore? store, Func<CancellationToken, Task<AuditVerification>> verify)
    {
        Description = description;
        Store = store;
        _verify = verify;
    }

    /// <summary>The store in words, for messages: the SQLite path or "PostgreSQL (storage in FILE)".</summary>
    public string Description { get; }

    /// <summary>The session store; null when the SQLite file does not exist yet (nothing saved).</summary>
    public ISessionStore? Store { get; }

    /// <summary>Walks the audit chain (and its anchored head).</summary>
    public Task<AuditVerification> VerifyAuditAsync(CancellationToken cancellationToken) => _verify(cancellationToken);

    /// <summary>
    /// Opens the store <paramref name="db"/> and <paramref name="config"/> name and runs <paramref name="body"/> with it;
    /// a store that cannot be opened or a bad configuration is a usage error naming it.
    /// </summary>
    public static async Task<int> RunAsync(CliConsole console, string? db, string? config, CancellationToken cancellationToken, Func<SessionStorage, Task<int>> body)
    {
        string? described = null;
        try
        {
            var configPath = config ?? (db is null && File.Exists(DefaultConfigFile) ? DefaultConfigFile : null);
            if (configPath is not null)
            {
                var options = new ServerOptions();
                ServerConfigReader.Load(configPath, options);
                if (options.Agents.StorageKind == AgentStorageKind.Postgres)
                {
                    if (db is not null)
                    {
                        throw new CliException("--db names a SQLite file, but " + configPath + " keeps sessions in PostgreSQL (storage.kind: postgres)");
                    }

                    described = "PostgreSQL (storage in " + configPath + ")";
                    var postgres = await PostgresDatabase.OpenAsync(new PostgresStorageOptions { ConnectionString = options.Agents.PostgresConnectionString! }, cancellationToken).ConfigureAwait(false);
                    await using (postgres.ConfigureAwait(false))
                    {
                        var audit = new PostgresAuditLog(postgres);
                        return await body(new SessionStorage(described, new PostgresSessionStore(postgres), audit.VerifyAsync)).ConfigureAwait(false);
                    }
                }
            }

            var databasePath = db ?? Path.Combine(EdgewiseHome.Resolve(), AgentCommands.DatabaseFileName);
            described = databasePath;
            if (!File.Exists(databasePath))
            {
                return await body(new SessionStorage(described, null, _ => Task.FromResult(SqliteAuditLog.VerifyMissingDatabase(databasePath)))).ConfigureAwait(false);
            }

            var database = await SqliteDatabase.OpenAsync(new StorageOptions { DatabasePath = databasePath }, cancellationToken).ConfigureAwait(false);
            await using (database.ConfigureAwait(false))
            {
                var audit = new SqliteAuditLog(database);
                return await body(new SessionStorage(described, new SqliteSessionStore(database), audit.VerifyAsync)).ConfigureAwait(false);
            }
        }
        catch (ConfigException e)
        {
            return console.Fail("usage", e.Message, CliConsole.UsageError);
        }
        catch (StorageException e)
        {
            return console.Fail("usage", (described is null ? string.Empty : described + ": ") + e.Message, CliConsole.UsageError);
        }
        catch (CliException e)
        {
            return console.Fail(e.Code, e.Message, e.ExitCode);
        }
    }
}
