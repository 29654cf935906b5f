using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Edgewise.Server.Hosting;

/// <summary>What readiness reports (draining after SIGTERM, models loading now) and the requests in flight that a drain waits for.</summary>
internal sealed class ServerState
{
    private readonly ConcurrentDictionary<HttpContext, byte> _inFlight = new();
    private readonly TaskCompletionSource _idle = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _deadline = new();
    private int _loading;
    private volatile bool _draining;

    public bool Draining => _draining;

    /// <summary>How long requests still running at the drain deadline get to write their last event before they are aborted.</summary>
    public static TimeSpan FinalWriteGrace { get; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Cancelled when a drain's deadline passes with requests still running. Generations observe it (through
    /// <see cref="GenerationToken"/>) and end their responses properly: a finish reason, an error event and the
    /// stream's terminator, instead of being cut by a connection reset.
    /// </summary>
    public CancellationToken ShutdownDeadline => _deadline.Token;

    /// <summary>A token for work done on behalf of <paramref name="context"/>: cancelled when the client leaves or the drain deadline passes.</summary>
    public static CancellationTokenSource GenerationToken(HttpContext context) =>
        CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, context.RequestServices.GetRequiredService<ServerState>().ShutdownDeadline);

    /// <summary>True when <paramref name="context"/>'s work was cancelled by the drain deadline while its client is still there.</summary>
    public static bool CutByShutdown(HttpContext context) =>
        !context.RequestAborted.IsCancellationRequested && context.RequestServices.GetRequiredService<ServerState>().ShutdownDeadline.IsCancellationRequested;

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
    /// Drains: waits up to <paramref name="timeout"/> for the requests in flight to finish, then cancels the generations
    /// still running (<see cref="ShutdownDeadline"/>) so that they end their responses with an error event, and aborts
    /// what is left after <see cref="FinalWriteGrace"/>. True when all finished in time.
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
            // Past the deadline: stop the generations still running, so each response ends with its finish reason,
            // an error event and its terminator; only what has not ended after a short grace is aborted.
            await _deadline.CancelAsync().ConfigureAwait(false);
            try
            {
                await _idle.Task.WaitAsync(FinalWriteGrace).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                foreach (var context in _inFlight.Keys)
                {
                    context.Abort();
                }
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
