using System.Data;
using Npgsql;

namespace Edgewise.Server.Storage;

/// <summary>
/// The PostgreSQL database behind the session store, the session leases and the audit log when several gateways
/// share state (<c>storage: { kind: postgres }</c>). Opening brings the schema up to date under an advisory lock, so
/// gateways starting together migrate one at a time, and refuses a schema newer than this build (P03). Every
/// failure to reach or use the server surfaces as <see cref="StorageException"/> (the API's 503), never with the
/// connection string's password.
/// </summary>
public sealed class PostgresDatabase : IAsyncDisposable
{
    private readonly NpgsqlDataSource _source;

    private PostgresDatabase(NpgsqlDataSource source, PostgresStorageOptions options)
    {
        _source = source;
        Options = options;
    }

    /// <summary>The options it was opened with.</summary>
    public PostgresStorageOptions Options { get; }

    /// <summary>Connects, applies pending migrations (one process at a time) and returns the database.</summary>
    /// <exception cref="StorageException">The connection string is invalid, the server cannot be reached, or the schema is newer.</exception>
    public static async Task<PostgresDatabase> OpenAsync(PostgresStorageOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.LeaseDuration < TimeSpan.FromSeconds(3))
        {
            throw new ArgumentOutOfRangeException(nameof(options), "The session lease duration must be at least 3 seconds.");
        }

        NpgsqlDataSource source;
        try
        {
            source = NpgsqlDataSource.Create(options.ConnectionString);
        }
        catch (ArgumentException e)
        {
            throw new StorageException(StorageException.Unavailable, "The PostgreSQL connection string is invalid: " + e.Message);
        }

        var database = new PostgresDatabase(source, options);
        try
        {
            await database.InTransactionAsync(IsolationLevel.ReadCommitted, (c, t, ct) => PostgresMigrations.ApplyAsync(c, t, ct), cancellationToken).ConfigureAwait(false);
            return database;
        }
        catch
        {
            await source.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Runs <paramref name="work"/> on a pooled connection.</summary>
    internal async Task<T> RunAsync<T>(Func<NpgsqlConnection, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        try
        {
            var connection = await _source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                return await work(connection, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (NpgsqlException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw Unavailable(e);
        }
    }

    /// <summary>Runs <paramref name="work"/> in one transaction, committed when it returns and rolled back when it throws.</summary>
    internal Task<T> InTransactionAsync<T>(IsolationLevel isolation, Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task<T>> work, CancellationToken cancellationToken) =>
        RunAsync(async (connection, ct) =>
        {
            var transaction = await connection.BeginTransactionAsync(isolation, ct).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                var result = await work(connection, transaction, ct).ConfigureAwait(false);
                await transaction.CommitAsync(ct).ConfigureAwait(false);
                return result;
            }
        }, cancellationToken);

    /// <summary>A command on <paramref name="connection"/> with positional parameters <c>$1</c>, <c>$2</c>, ….</summary>
    internal static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, params object?[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(parameter as NpgsqlParameter ?? new NpgsqlParameter { Value = parameter ?? DBNull.Value });
        }

        return command;
    }

    private static StorageException Unavailable(NpgsqlException e) =>
        new(StorageException.Unavailable, "PostgreSQL is unavailable: " + (e is PostgresException p ? p.SqlState + " " + p.MessageText : e.Message), e);

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => _source.DisposeAsync();
}
