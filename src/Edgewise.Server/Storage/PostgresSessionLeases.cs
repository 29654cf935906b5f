using System.Globalization;

namespace Edgewise.Server.Storage;

/// <summary>
/// Session leases in PostgreSQL, so one run per session holds across gateways (C01): a claim inserts or takes over
/// the session's <c>session_leases</c> row only when there is none or it has expired, in one conditional statement
/// timed by the database clock. The holder renews the lease every third of
/// <see cref="PostgresStorageOptions.LeaseDuration"/> while the run goes on and deletes it when done; a gateway that
/// dies stops renewing, and its sessions are free again once the lease expires. Should a renewal find the lease taken
/// (the holder stalled longer than the lease), the run still cannot overwrite the other's turns: saves check the
/// session version (C01).
/// </summary>
public sealed class PostgresSessionLeases : ISessionLeases
{
    private readonly PostgresDatabase _database;
    private readonly string _process = Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "@" + Environment.MachineName + "/";

    /// <summary>Creates the leases over <paramref name="database"/>.</summary>
    public PostgresSessionLeases(PostgresDatabase database)
    {
        ArgumentNullException.ThrowIfNull(database);
        _database = database;
    }

    /// <inheritdoc/>
    public async Task<IAsyncDisposable?> TryAcquireAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sessionId);
        var holder = _process + Guid.NewGuid().ToString("N");
        var duration = _database.Options.LeaseDuration;
        var acquired = await _database.RunAsync(async (connection, ct) =>
        {
            await using var command = PostgresDatabase.Command(connection, null, """
                INSERT INTO session_leases(session_id, holder, expires_at) VALUES ($1, $2, clock_timestamp() + $3)
                ON CONFLICT (session_id) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
                WHERE session_leases.expires_at < clock_timestamp()
                """, sessionId, holder, duration);
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
        }, cancellationToken).ConfigureAwait(false);
        return acquired ? new Lease(_database, sessionId, holder, duration) : null;
    }

    /// <summary>True when a live lease on <paramref name="sessionId"/> exists (for tests and diagnostics).</summary>
    public Task<bool> IsHeldAsync(string sessionId, CancellationToken cancellationToken = default) =>
        _database.RunAsync(async (connection, ct) =>
        {
            await using var command = PostgresDatabase.Command(connection, null, "SELECT count(*) FROM session_leases WHERE session_id = $1 AND expires_at >= clock_timestamp()", sessionId);
            return (long)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))! > 0;
        }, cancellationToken);

    private sealed class Lease : IAsyncDisposable
    {
        private readonly PostgresDatabase _database;
        private readonly string _sessionId;
        private readonly string _holder;
        private readonly TimeSpan _duration;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _renewal;
        private int _released;

        public Lease(PostgresDatabase database, string sessionId, string holder, TimeSpan duration)
        {
            _database = database;
            _sessionId = sessionId;
            _holder = holder;
            _duration = duration;
            _renewal = RenewAsync(_stop.Token);
        }

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) != 0)
            {
                return;
            }

            await _stop.CancelAsync().ConfigureAwait(false);
            await _renewal.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            _stop.Dispose();
            try
            {
                await _database.RunAsync(async (connection, ct) =>
                {
                    await using var command = PostgresDatabase.Command(connection, null, "DELETE FROM session_leases WHERE session_id = $1 AND holder = $2", _sessionId, _holder);
                    return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                }, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is StorageException or ObjectDisposedException)
            {
                // The database is unreachable or already closed (shutdown): the lease expires by itself.
            }
        }

        private async Task RenewAsync(CancellationToken cancellationToken)
        {
            var period = _duration / 3;
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(period, cancellationToken).ConfigureAwait(false);
                try
                {
                    var renewed = await _database.RunAsync(async (connection, ct) =>
                    {
                        await using var command = PostgresDatabase.Command(connection, null,
                            "UPDATE session_leases SET expires_at = clock_timestamp() + $3 WHERE session_id = $1 AND holder = $2", _sessionId, _holder, _duration);
                        return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                    }, cancellationToken).ConfigureAwait(false);
                    if (renewed == 0)
                    {
                        return;
                    }
                }
                catch (StorageException)
                {
                    // Try again next period; the lease lasts three periods.
                }
            }
        }
    }
}
