using System.Diagnostics;
using Edgewise.Server.Errors;
using Edgewise.Server.Metrics;

namespace Edgewise.Server.Admission;

/// <summary>
/// The one scheduling module of the server: per model, <see cref="AdmissionOptions.ParallelSequences"/> requests run
/// and up to <see cref="AdmissionOptions.QueueLength"/> wait (more get 503 + Retry-After at once, H11; a wait longer
/// than <see cref="AdmissionOptions.QueueTimeout"/> gets 503); per API key at most
/// <see cref="AdmissionOptions.PerKeyConcurrency"/> requests run or wait (more get 429, H12). A request whose client
/// leaves while it waits gives its place up at once.
/// </summary>
internal sealed class AdmissionQueue(AdmissionOptions options, ServerMetrics metrics)
{
    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(1);

    private readonly Dictionary<string, ModelSlots> _models = new(StringComparer.Ordinal);
    private readonly Dictionary<int, int> _keys = [];
    private readonly object _sync = new();

    /// <summary>Waits for a slot for <paramref name="model"/>; <paramref name="key"/> is the caller's key index, or null when keys are off.</summary>
    /// <exception cref="ApiException">503 when the queue is full or the wait timed out, 429 when the key is at its limit.</exception>
    public async Task<IDisposable> EnterAsync(string model, int? key, CancellationToken cancellationToken)
    {
        ModelSlots slots;
        lock (_sync)
        {
            if (key is { } k)
            {
                var current = _keys.GetValueOrDefault(k);
                if (current >= options.PerKeyConcurrency)
                {
                    metrics.RecordRejection(RejectionReason.RateLimited);
                    throw new ApiException(429, ErrorTypes.RateLimit, ErrorCodes.RateLimitExceeded, "Too many concurrent requests for this API key; retry shortly.", null, RetryAfter);
                }

                _keys[k] = current + 1;
            }

            if (!_models.TryGetValue(model, out slots!))
            {
                slots = new ModelSlots(options.ParallelSequences);
                _models.Add(model, slots);
            }

            if (slots.Gate.Wait(0))
            {
                slots.Running++;
                return new Ticket(this, slots, key);
            }

            if (slots.Waiting >= options.QueueLength)
            {
                ReleaseKeyLocked(key);
                metrics.RecordRejection(RejectionReason.QueueFull);
                throw ApiException.Busy(ErrorCodes.QueueFull, "The server is at capacity for this model; retry shortly.", RetryAfter);
            }

            slots.Waiting++;
        }

        var started = Stopwatch.GetTimestamp();
        var entered = false;
        try
        {
            entered = await slots.Gate.WaitAsync(options.QueueTimeout, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            lock (_sync)
            {
                slots.Waiting--;
                if (entered)
                {
                    slots.Running++;
                }
                else
                {
                    ReleaseKeyLocked(key);
                }
            }
        }

        metrics.RecordQueueWait(Stopwatch.GetElapsedTime(started));
        if (!entered)
        {
            metrics.RecordRejection(RejectionReason.QueueTimeout);
            throw ApiException.Busy(ErrorCodes.QueueTimeout, "The request waited too long for a free slot; retry shortly.", RetryAfter);
        }

        return new Ticket(this, slots, key);
    }

    /// <summary>Queue depth and running requests per model, for metrics and tests.</summary>
    public IReadOnlyList<(string Model, int Queued, int Running)> Snapshot()
    {
        lock (_sync)
        {
            return _models.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => (p.Key, p.Value.Waiting, p.Value.Running)).ToList();
        }
    }

    private void ReleaseKeyLocked(int? key)
    {
        if (key is { } k && _keys.TryGetValue(k, out var n))
        {
            if (n <= 1)
            {
                _keys.Remove(k);
            }
            else
            {
                _keys[k] = n - 1;
            }
        }
    }

    private void Leave(ModelSlots slots, int? key)
    {
        lock (_sync)
        {
            slots.Running--;
            ReleaseKeyLocked(key);
        }

        slots.Gate.Release();
    }

    private sealed class ModelSlots(int parallel)
    {
        public SemaphoreSlim Gate { get; } = new(parallel, parallel);

        public int Running { get; set; }

        public int Waiting { get; set; }
    }

    private sealed class Ticket(AdmissionQueue queue, ModelSlots slots, int? key) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                queue.Leave(slots, key);
            }
        }
    }
}
