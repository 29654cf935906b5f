using System.Collections.Concurrent;

namespace Edgewise.Server.Storage;

/// <summary>
/// Who runs a session right now: one run per session at a time (C01), held from the claim until the lease is
/// disposed. A claim that finds the session held answers null (the server's 409 <c>session_busy</c>).
/// </summary>
public interface ISessionLeases
{
    /// <summary>Claims <paramref name="sessionId"/>; null when another run holds it.</summary>
    /// <exception cref="StorageException">The store cannot be reached.</exception>
    Task<IAsyncDisposable?> TryAcquireAsync(string sessionId, CancellationToken cancellationToken = default);
}

/// <summary>
/// Leases kept in this process: enough when one process owns the store (SQLite, whose single writer lives in one
/// process). Several processes sharing a store need <see cref="PostgresSessionLeases"/>.
/// </summary>
public sealed class MemorySessionLeases : ISessionLeases
{
    private readonly ConcurrentDictionary<string, Lease> _held = new(StringComparer.Ordinal);

    /// <inheritdoc/>
    public Task<IAsyncDisposable?> TryAcquireAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sessionId);
        var lease = new Lease(this, sessionId);
        return Task.FromResult<IAsyncDisposable?>(_held.TryAdd(sessionId, lease) ? lease : null);
    }

    private sealed class Lease(MemorySessionLeases owner, string sessionId) : IAsyncDisposable
    {
        private int _released;

        public ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                owner._held.TryRemove(new KeyValuePair<string, Lease>(sessionId, this));
            }

            return ValueTask.CompletedTask;
        }
    }
}
