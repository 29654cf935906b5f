using Edgewise.Server.Errors;
using Edgewise.Server.Hosting;
using Microsoft.AspNetCore.Http;

namespace Edgewise.Server.Generation;

/// <summary>
/// The one loop every generating route runs, models and agents alike: start the generation on a token that the client
/// leaving (H13) or the drain deadline (S01) cancels, hand each update to the wire format's sink, tell it when the
/// keep-alive interval passes with nothing (H16), and end it the one way each failure ends: before the response began,
/// as the error's status; after, written into the response by the sink. The generation has always stopped, and its
/// enumeration finished, when this returns.
/// </summary>
internal static class GenerationLoop
{
    /// <summary>Runs <paramref name="start"/>'s generation to its end.</summary>
    /// <param name="context">The request.</param>
    /// <param name="start">Starts the generation on the token it is given.</param>
    /// <param name="sink">The wire format.</param>
    /// <param name="keepAlive">How long a quiet generation waits before <see cref="IGenerationSink{T}.QuietAsync"/>; null for never.</param>
    /// <param name="translate">Maps an expected failure to its HTTP error; null leaves it unexpected (a 500, logged).</param>
    /// <returns>True when the generation ended normally; false when it failed after the response began (the sink has written the error).</returns>
    public static async Task<bool> RunAsync<T>(HttpContext context, Func<CancellationToken, IAsyncEnumerable<T>> start, IGenerationSink<T> sink, TimeSpan? keepAlive, Func<Exception, ApiException?> translate)
    {
        using var generation = ServerState.GenerationToken(context);
        IAsyncEnumerator<T>? updates = null;
        Task<bool>? pending = null;
        try
        {
            // Started inside the try, so a source that fails as it starts (before its first await) ends like one that
            // fails later: translated, and as the error's status when nothing was written yet.
            updates = start(generation.Token).GetAsyncEnumerator(generation.Token);
            while (true)
            {
                var next = updates.MoveNextAsync();
                bool more;
                if (next.IsCompleted || keepAlive is null)
                {
                    more = await next.ConfigureAwait(false);
                }
                else
                {
                    pending = next.AsTask();
                    more = await WaitQuietlyAsync(context, pending, sink, keepAlive.Value).ConfigureAwait(false);
                    pending = null;
                }

                if (!more)
                {
                    return true;
                }

                await sink.UpdateAsync(updates.Current).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ServerState.CutByShutdown(context))
        {
            return await FailAsync(sink, ApiException.ShuttingDown(), shutdown: true).ConfigureAwait(false);
        }
        catch (Exception e) when (!context.RequestAborted.IsCancellationRequested && translate(e) is { } error)
        {
            return await FailAsync(sink, error, shutdown: false).ConfigureAwait(false);
        }
        finally
        {
            // Stop the generation before waiting for the step in flight, then let its enumeration clean up.
            await generation.CancelAsync().ConfigureAwait(false);
            if (pending is not null)
            {
                await ((Task)pending).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            if (updates is not null)
            {
                await updates.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static async Task<bool> WaitQuietlyAsync<T>(HttpContext context, Task<bool> next, IGenerationSink<T> sink, TimeSpan keepAlive)
    {
        while (true)
        {
            try
            {
                return await next.WaitAsync(keepAlive, context.RequestAborted).ConfigureAwait(false);
            }
            catch (TimeoutException) when (!next.IsCompleted)
            {
                await sink.QuietAsync().ConfigureAwait(false);
            }
        }
    }

    private static async Task<bool> FailAsync<T>(IGenerationSink<T> sink, ApiException error, bool shutdown)
    {
        if (!sink.Started)
        {
            throw error;
        }

        await sink.FailedAsync(error, shutdown).ConfigureAwait(false);
        return false;
    }
}
