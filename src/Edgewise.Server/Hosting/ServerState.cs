using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;

namespace Edgewise.Server.Hosting;

/// <summary>What readiness reports (draining after SIGTERM, models loading now) and the requests in flight that a drain waits for.</summary>
internal sealed class ServerState
{
    private readonly ConcurrentDictionary<HttpContext, byte> _inFlight = new();
    private readonly TaskCompletionSource _idle = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _loading;
    private volatile bool _draining;

    public bool Draining => _draining;

    public bool Loading => Volatile.Read(ref _loading) > 0;

    /// <summary>Requests being served now, health probes excluded.</summary>
    public int InFlight => _inFlight.Count;

    /// <summary>Readiness turns 503 and new requests are refused from now on (S01).</summary>
    public void BeginDrain()
    {
        _draining = true;
        SignalIfIdle();
    }

    public void LoadStarted() => Interlocked.Increment(ref _loading);

    public void LoadEnded() => Interlocked.Decrement(ref _loading);

    public void RequestStarted(HttpContext context) => _inFlight.TryAdd(context, 0);

    public void RequestEnded(HttpContext context)
    {
        _inFlight.TryRemove(context, out _);
        SignalIfIdle();
    }

    /// <summary>
    /// Drains: waits up to <paramref name="timeout"/> for the requests in flight to finish, then aborts those still
    /// running (their generations are cancelled as on a client disconnect, H13). True when all finished in time.
    /// </summary>
    public async Task<bool> DrainAsync(TimeSpan timeout)
    {
        BeginDrain();
        try
        {
            await _idle.Task.WaitAsync(timeout).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            foreach (var context in _inFlight.Keys)
            {
                context.Abort();
            }

            return false;
        }
    }

    private void SignalIfIdle()
    {
        if (_draining && _inFlight.IsEmpty)
        {
            _idle.TrySetResult();
        }
    }
}
