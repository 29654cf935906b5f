using System.Collections.Concurrent;
using Edgewise.Agents;
using Edgewise.Agents.Storage;
using Edgewise.Models.Storage;
using Edgewise.Server.Errors;
using Edgewise.Server.Storage;

namespace Edgewise.Server.Agents;

/// <summary>
/// The durable sessions of the agent routes: the SQLite database, or PostgreSQL shared with other gateways
/// (<c>storage.kind</c>), opened on start only when agents are configured, so an unusable store stops the server
/// (P03); ownership (a session is visible only to the key that created it; any other caller gets the same 404 as for
/// a missing id, A13); one run per session across requests (409, C01) — in this process, and across processes
/// through PostgreSQL session leases; and retention.
/// </summary>
internal sealed class AgentSessions(ServerOptions options) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, byte> _running = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _openGate = new(1, 1);
    private IAsyncDisposable? _database;
    private ISessionStore? _store;
    private IAuditLog? _audit;
    private ISessionLeases? _leases;
    private PostgresApprovalDecisions? _decisions;

    /// <summary>True when the configuration defines agents or routers, so sessions are kept.</summary>
    public bool Enabled => options.Configuration is { } c && (c.Agents.Count > 0 || c.Routers.Count > 0);

    /// <summary>The clock of runs, approvals and retention.</summary>
    public TimeProvider Clock => options.Agents.TimeProvider ?? TimeProvider.System;

    /// <summary>The database file in use.</summary>
    public string DatabasePath => options.Agents.DatabasePath ?? Path.Combine(EdgewiseHome.Resolve(), AgentServerOptions.DefaultDatabaseFileName);

    /// <summary>The audit log; null before <see cref="OpenAsync"/>.</summary>
    public IAuditLog? Audit => _audit;

    /// <summary>
    /// Opens (creating if needed) the database; a corrupt, foreign or newer SQLite file, or a PostgreSQL server that
    /// cannot be reached or holds a newer schema, throws <see cref="StorageException"/>.
    /// </summary>
    public async Task OpenAsync(CancellationToken cancellationToken)
    {
        await _openGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_database is not null)
            {
                return;
            }

            if (options.Agents.StorageKind == AgentStorageKind.Postgres)
            {
                var connection = options.Agents.PostgresConnectionString
                    ?? throw new StorageException(StorageException.Unavailable, "storage.kind is postgres but no connection string is configured.");
                var postgres = await PostgresDatabase.OpenAsync(
                    new PostgresStorageOptions { ConnectionString = connection, LeaseDuration = options.Agents.SessionLeaseDuration }, cancellationToken).ConfigureAwait(false);
                _store = new PostgresSessionStore(postgres);
                _audit = new PostgresAuditLog(postgres);
                _leases = new PostgresSessionLeases(postgres);
                _decisions = new PostgresApprovalDecisions(postgres);
                _database = postgres;
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
    public async Task<ISessionStore> StoreAsync(CancellationToken cancellationToken)
    {
        if (_store is null)
        {
            await OpenAsync(cancellationToken).ConfigureAwait(false);
        }

        return _store!;
    }

    /// <summary>
    /// The SQLite database, opening it on first use (for read-only listings across sessions); null when the state lives
    /// in PostgreSQL (<c>storage.kind: postgres</c>).
    /// </summary>
    public async Task<SqliteDatabase?> DatabaseAsync(CancellationToken cancellationToken)
    {
        await StoreAsync(cancellationToken).ConfigureAwait(false);
        return _database as SqliteDatabase;
    }

    /// <summary>The audit log's reader for listings (the console's audit view), opening the store on first use; both stores have one.</summary>
    public async Task<IAuditListing> AuditListingAsync(CancellationToken cancellationToken)
    {
        await StoreAsync(cancellationToken).ConfigureAwait(false);
        return (IAuditListing)_audit!;
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
        await using var claim = await ClaimAsync(id, cancellationToken).ConfigureAwait(false);
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        await Guard(() => store.DeleteAsync(id, cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>
    /// Marks <paramref name="id"/> as running until the result is disposed; a second claim is a 409. The claim holds
    /// in this server and, with PostgreSQL, as a session lease across every gateway on the same database.
    /// </summary>
    public async Task<IAsyncDisposable> ClaimAsync(string id, CancellationToken cancellationToken)
    {
        if (!_running.TryAdd(id, 0))
        {
            throw Busy();
        }

        var local = new Release(_running, id, null);
        if (_leases is null)
        {
            return local;
        }

        IAsyncDisposable? lease;
        try
        {
            lease = await Guard(() => _leases.TryAcquireAsync(id, cancellationToken)).ConfigureAwait(false);
        }
        catch
        {
            await local.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        if (lease is null)
        {
            await local.DisposeAsync().ConfigureAwait(false);
            throw Busy();
        }

        return new Release(_running, id, lease);
    }

    /// <summary>
    /// Records the answer to approval <paramref name="callId"/> before it is applied; a 409 when another request
    /// already decided it. With SQLite the session claim alone guarantees one decision (one process owns the file);
    /// with PostgreSQL the decision is also recorded, so a gateway that lost its lease cannot decide again (A04).
    /// </summary>
    public async Task DecideAsync(string id, string callId, bool approved, CancellationToken cancellationToken)
    {
        if (_decisions is not null && !await Guard(() => _decisions.TryDecideAsync(id, callId, approved, cancellationToken)).ConfigureAwait(false))
        {
            throw new ApiException(409, ErrorTypes.InvalidRequest, "approval_already_decided", "This approval was already decided by another request.", "call_id");
        }
    }

    /// <summary>
    /// The pending approvals of <paramref name="session"/> (other than <paramref name="except"/>) that a request already
    /// decided but whose run never saved the session: its gateway died. Only a shared store (PostgreSQL) records
    /// decisions; the run closes these as interrupted instead of deciding them a second time (A04).
    /// </summary>
    public async Task<IReadOnlyCollection<string>> InterruptedApprovalsAsync(AgentSession session, string? except, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        var pending = session.PendingApprovals.Select(p => p.CallId).Where(c => !string.Equals(c, except, StringComparison.Ordinal)).ToList();
        if (_decisions is null || pending.Count == 0)
        {
            return [];
        }

        return await Guard(() => _decisions.DecidedAsync(session.Id, pending, cancellationToken)).ConfigureAwait(false);
    }

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

    private sealed class Release(ConcurrentDictionary<string, byte> running, string id, IAsyncDisposable? lease) : IAsyncDisposable
    {
        private int _done;

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                try
                {
                    if (lease is not null)
                    {
                        await lease.DisposeAsync().ConfigureAwait(false);
                    }
                }
                finally
                {
                    running.TryRemove(id, out _);
                }
            }
        }
    }
}
