using System.Threading.Channels;
using Microsoft.Data.Sqlite;

namespace Edgewise.Server.Storage;

/// <summary>
/// The SQLite database behind the session store and the audit log. One writer: every write runs on one
/// dedicated connection, in order, each in its own <c>BEGIN IMMEDIATE</c> transaction (P04). Reads use pooled
/// connections. Every connection gets WAL, <c>synchronous=FULL</c>, <c>foreign_keys=1</c> and
/// <c>busy_timeout=5000</c> when it is opened (P05). Opening refuses a file that is not a database, fails its
/// quick check, cannot be written, or has a newer schema version (P03), and never overwrites it.
/// </summary>
public sealed class SqliteDatabase : IAsyncDisposable
{
    /// <summary>The busy timeout every connection gets, in milliseconds.</summary>
    public const int BusyTimeoutMilliseconds = 5000;

    private const string ConnectionPragmas = "PRAGMA synchronous=FULL; PRAGMA foreign_keys=1; PRAGMA busy_timeout=5000;";
    private static ReadOnlySpan<byte> SqliteHeader => "SQLite format 3\0"u8;

    private readonly string _readConnectionString;
    private readonly SqliteConnection _writer;
    private readonly Channel<WriteItem> _writes;
    private readonly Task _writerLoop;

    private SqliteDatabase(string path, string readConnectionString, SqliteConnection writer, int capacity)
    {
        Path = path;
        _readConnectionString = readConnectionString;
        _writer = writer;
        _writes = Channel.CreateBounded<WriteItem>(new BoundedChannelOptions(capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _writerLoop = Task.Run(WriterLoopAsync);
    }

    /// <summary>The database file's full path.</summary>
    public string Path { get; }

    /// <summary>Opens (creating when absent) the database and brings its schema up to date.</summary>
    /// <exception cref="StorageException">The file cannot be used; the message says why.</exception>
    public static async Task<SqliteDatabase> OpenAsync(StorageOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.DatabasePath);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.WriteQueueCapacity, 1);
        var path = System.IO.Path.GetFullPath(options.DatabasePath);
        await CheckHeaderAsync(path, cancellationToken).ConfigureAwait(false);
        var builder = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false, DefaultTimeout = 30 };
        var writer = new SqliteConnection(builder.ConnectionString);
        try
        {
            await writer.OpenAsync(cancellationToken).ConfigureAwait(false);
            if (!string.Equals(Scalar(writer, "PRAGMA journal_mode=WAL") as string, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new StorageException(StorageException.ReadOnly, "The database cannot be switched to WAL mode; is it writable?");
            }

            Execute(writer, ConnectionPragmas);
            if (options.CheckOnOpen && Scalar(writer, "PRAGMA quick_check") is not "ok")
            {
                throw new StorageException(StorageException.Corrupt, "The database fails its integrity check; refusing to open it.");
            }

            using (var transaction = writer.BeginTransaction(deferred: false))
            {
                SqliteMigrations.Apply(writer, transaction);
                transaction.Commit();
            }
        }
        catch (SqliteException ex)
        {
            await writer.DisposeAsync().ConfigureAwait(false);
            throw Translate(ex);
        }
        catch
        {
            await writer.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var read = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWrite, Pooling = true, DefaultTimeout = 30 };
        return new SqliteDatabase(path, read.ConnectionString, writer, options.WriteQueueCapacity);
    }

    /// <summary>A pooled, query-only connection for reads, opened with the pragmas applied. The caller disposes it.</summary>
    public async Task<SqliteConnection> OpenReadConnectionAsync(CancellationToken cancellationToken = default)
    {
        var connection = new SqliteConnection(_readConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            Execute(connection, ConnectionPragmas + " PRAGMA query_only=1;");
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> on the single writer inside one transaction, committed when it returns and
    /// rolled back when it throws. Writes run in the order they were queued.
    /// </summary>
    /// <exception cref="StorageException">The write failed in SQLite (e.g. the disk is full); nothing was committed.</exception>
    public async Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, T> work, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        var completion = new TaskCompletionSource<object?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await _writes.Writer.WriteAsync(new WriteItem((connection, transaction) => work(connection, transaction), completion), cancellationToken).ConfigureAwait(false);
        return (T)(await completion.Task.ConfigureAwait(false))!;
    }

    /// <summary>Stops the writer after the queued writes, checkpoints the WAL and closes the connections.</summary>
    public async ValueTask DisposeAsync()
    {
        _writes.Writer.TryComplete();
        await _writerLoop.ConfigureAwait(false);
        try
        {
            Execute(_writer, "PRAGMA wal_checkpoint(TRUNCATE)");
        }
        catch (SqliteException)
        {
        }

        await _writer.DisposeAsync().ConfigureAwait(false);
        SqliteConnection.ClearPool(new SqliteConnection(_readConnectionString));
    }

    internal static object? Scalar(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static async Task CheckHeaderAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return;
        }

        var header = new byte[16];
        int read;
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        await using (stream.ConfigureAwait(false))
        {
            read = await stream.ReadAtLeastAsync(header, header.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        }

        if (read != 0 && (read < header.Length || !header.AsSpan().SequenceEqual(SqliteHeader)))
        {
            throw new StorageException(StorageException.NotADatabase, "The database file is not an SQLite database; refusing to open or overwrite it.");
        }
    }

    private static StorageException Translate(SqliteException ex) => ex.SqliteErrorCode switch
    {
        26 => new StorageException(StorageException.NotADatabase, "The database file is not an SQLite database; refusing to open or overwrite it.", ex),
        11 => new StorageException(StorageException.Corrupt, "The database is corrupt; refusing to open it.", ex),
        8 or 14 => new StorageException(StorageException.ReadOnly, "The database cannot be written; check the file and directory permissions.", ex),
        _ => new StorageException(StorageException.Unavailable, "The database cannot be opened.", ex),
    };

    private async Task WriterLoopAsync()
    {
        await foreach (var item in _writes.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                using var transaction = _writer.BeginTransaction(deferred: false);
                var result = item.Work(_writer, transaction);
                transaction.Commit();
                item.Completion.TrySetResult(result);
            }
            catch (SqliteException ex)
            {
                item.Completion.TrySetException(new StorageException(StorageException.Unavailable, "A database write failed and was rolled back.", ex));
            }
            catch (Exception ex)
            {
                item.Completion.TrySetException(ex);
            }
        }
    }

    private sealed record WriteItem(Func<SqliteConnection, SqliteTransaction, object?> Work, TaskCompletionSource<object?> Completion);
}
