using System.Collections.Concurrent;
using Edgewise.Agents;
using Edgewise.Agents.Storage;
using Edgewise.Models.Storage;
using Edgewise.Server.Errors;
using Edgewise.Server.Storage;

namespace Edgewise.Server.Agents;

/// <summary>
/// The durable sessions of the agent routes: the SQLite database (opened on start only when agents are configured,
/// so an unusable file stops the server, P03), ownership (a session is visible only to the key that created it; any
/// other caller gets the same 404 as for a missing id, A13), one run per session across requests (409, C01), and
/// retention.
/// </summary>
internal sealed class AgentSessions(ServerOptions options) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, byte> _running = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _openGate = new(1, 1);
    private SqliteDatabase? _database;
    private SqliteSessionStore? _store;
    private SqliteAuditLog? _audit;

    /// <summary>True when the configuration defines agents or routers, so sessions are kept.</summary>
    public bool Enabled => options.Configuration is { } c && (c.Agents.Count > 0 || c.Routers.Count > 0);

    /// <summary>The clock of runs, approvals and retention.</summary>
    public TimeProvider Clock => options.Agents.TimeProvider ?? TimeProvider.System;

    /// <summary>The database file in use.</summary>
    public string DatabasePath => options.Agents.DatabasePath ?? Path.Combine(EdgewiseHome.Resolve(), AgentServerOptions.DefaultDatabaseFileName);

    /// <summary>The audit log; null before <see cref="OpenAsync"/>.</summary>
    public SqliteAuditLog? Audit => _audit;

    /// <summary>Opens (creating if needed) the database; a corrupt, foreign or newer file throws <see cref="StorageException"/>.</summary>
    public async Task OpenAsync(CancellationToken cancellationToken)
    {
        await _openGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_database is not null)
            {
                return;
            }

            var path = DatabasePath;
            if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } directory)
            {
                Directory.CreateDirectory(directory);
            }

            var database = await SqliteDatabase.OpenAsync(new StorageOptions { DatabasePath = path }, cancellationToken).ConfigureAwait(false);
            _store = new SqliteSessionStore(database);
            _audit = new SqliteAuditLog(database);
            _database = database;
        }
        finally
        {
            _openGate.Release();
        }
    }

    /// <summary>The session store, opening the database on first use.</summary>
    public async Task<SqliteSessionStore> StoreAsync(CancellationToken cancellationToken)
    {
        if (_store is null)
        {
            await OpenAsync(cancellationToken).ConfigureAwait(false);
        }

        return _store!;
    }

    /// <summary>The database, opening it on first use (for read-only listings across sessions).</summary>
    public async Task<SqliteDatabase> DatabaseAsync(CancellationToken cancellationToken)
    {
        await StoreAsync(cancellationToken).ConfigureAwait(false);
        return _database!;
    }

    /// <summary>The session <paramref name="id"/> if it exists and belongs to <paramref name="owner"/>; otherwise 404 (A13).</summary>
    public async Task<AgentSession> GetOwnedAsync(string id, string owner, CancellationToken cancellationToken)
    {
        if (!Enabled || !IsWellFormedId(id))
        {
            throw NotFound();
        }

        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        var session = await Guard(() => store.GetAsync(id, cancellationToken)).ConfigureAwait(false);
        return session is not null && string.Equals(session.Owner ?? SessionOwner.Local, owner, StringComparison.Ordinal) ? session : throw NotFound();
    }

    /// <summary>The sessions <paramref name="owner"/> owns, most recently updated first, at most <paramref name="limit"/>; never another owner's (A13).</summary>
    public async Task<IReadOnlyList<SessionSummary>> ListOwnedAsync(string owner, int limit, CancellationToken cancellationToken)
    {
        if (!Enabled)
        {
            return [];
        }

        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        return await Guard(() => store.ListAsync(owner, limit, cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Saves <paramref name="session"/>; a newer stored version is a 409, a storage failure a 503.</summary>
    public async Task SaveAsync(AgentSession session, CancellationToken cancellationToken)
    {
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        await Guard(async () =>
        {
            await store.SaveAsync(session, cancellationToken).ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);
    }

    /// <summary>Deletes the session if <paramref name="owner"/> owns it; otherwise 404.</summary>
    public async Task DeleteOwnedAsync(string id, string owner, CancellationToken cancellationToken)
    {
        await GetOwnedAsync(id, owner, cancellationToken).ConfigureAwait(false);
        using var claim = Claim(id);
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        await Guard(() => store.DeleteAsync(id, cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Marks <paramref name="id"/> as running in this server until the result is disposed; a second claim is a 409.</summary>
    public IDisposable Claim(string id) =>
        _running.TryAdd(id, 0) ? new Release(_running, id) : throw Busy();

    /// <summary>Deletes sessions not updated within <paramref name="retention"/> of now; returns how many.</summary>
    public async Task<int> SweepAsync(TimeSpan retention, CancellationToken cancellationToken)
    {
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        return await store.DeleteOlderThanAsync(Clock.GetUtcNow() - retention, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The 404 for a session that is missing or belongs to someone else (the same answer for both, A13).</summary>
    public static ApiException NotFound() =>
        new(404, ErrorTypes.NotFound, "session_not_found", "No such session.", "session_id");

    /// <summary>The 409 for a session that is running (C01).</summary>
    public static ApiException Busy() =>
        new(409, ErrorTypes.InvalidRequest, "session_busy", "The session is busy with another run; retry when it finishes.", "session_id");

    /// <summary>Runs a storage call, mapping busy sessions to 409 and storage failures to 503 (P02).</summary>
    public static async Task<T> Guard<T>(Func<Task<T>> work)
    {
        try
        {
            return await work().ConfigureAwait(false);
        }
        catch (SessionBusyException)
        {
            throw Busy();
        }
        catch (StorageException)
        {
            throw ApiException.Busy("storage_unavailable", "Session storage is unavailable; retry shortly.", TimeSpan.FromSeconds(5));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync().ConfigureAwait(false);
        }

        _openGate.Dispose();
    }

    /// <summary>Session ids are 1–128 characters of letters, digits, '-' and '_'; anything else cannot exist.</summary>
    internal static bool IsWellFormedId(string id) =>
        id.Length is > 0 and <= 128 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    private sealed class Release(ConcurrentDictionary<string, byte> running, string id) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                running.TryRemove(id, out _);
            }
        }
    }
}
