using System.Diagnostics;
using Edgewise.Server.Errors;
using Edgewise.Server.Metrics;

namespace Edgewise.Server.Admission;

/// <summary>How a request is scheduled among waiting ones (header <c>X-Edgewise-Priority</c>).</summary>
internal enum RequestPriority
{
    /// <summary>A person is waiting (the default): admitted before any waiting batch request.</summary>
    Interactive,

    /// <summary>Background work: admitted only when no interactive request waits.</summary>
    Batch,
}

/// <summary>
/// The one scheduling module of the server: per model, <see cref="AdmissionOptions.ParallelSequences"/> requests run
/// and up to <see cref="AdmissionOptions.QueueLength"/> wait (more get 503 + Retry-After at once, H11; a wait longer
/// than <see cref="AdmissionOptions.QueueTimeout"/> gets 503); per API key at most
/// <see cref="AdmissionOptions.PerKeyConcurrency"/> requests run or wait (more get 429, H12). A freed slot goes to the
/// oldest waiting interactive request, else the oldest waiting batch request. A request whose client leaves while it
/// waits gives its place up at once.
/// </summary>
internal sealed class AdmissionQueue(AdmissionOptions options, ServerMetrics metrics)
{
    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(1);

    private readonly Dictionary<string, ModelSlots> _models = new(StringComparer.Ordinal);
    private readonly Dictionary<int, int> _keys = [];
    private readonly object _sync = new();

    /// <summary>Waits for a slot for <paramref name="model"/>; <paramref name="key"/> is the caller's key index, or null when keys are off.</summary>
    /// <exception cref="ApiException">503 when the queue is full or the wait timed out, 429 when the key is at its limit.</exception>
    public async Task<IDisposable> EnterAsync(string model, int? key, CancellationToken cancellationToken, RequestPriority priority = RequestPriority.Interactive)
    {
        ModelSlots slots;
        LinkedListNode<TaskCompletionSource> waiter;
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
                slots = new ModelSlots();
                _models.Add(model, slots);
            }

            if (slots.Running < options.ParallelSequences)
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

            waiter = slots.Queue(priority).AddLast(new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        }

        var started = Stopwatch.GetTimestamp();
        var entered = false;
        try
        {
            await waiter.Value.Task.WaitAsync(options.QueueTimeout, cancellationToken).ConfigureAwait(false);
            entered = true;
        }
        catch (TimeoutException)
        {
        }
        finally
        {
            if (!entered)
            {
                Abandon(slots, waiter, key);
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

    /// <summary>A waiter that timed out or was cancelled leaves the queue; when a slot was handed to it meanwhile, the slot moves on.</summary>
    private void Abandon(ModelSlots slots, LinkedListNode<TaskCompletionSource> waiter, int? key)
    {
        lock (_sync)
        {
            if (waiter.List is { } list)
            {
                list.Remove(waiter);
                ReleaseKeyLocked(key);
                return;
            }
        }

        Leave(slots, key);
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

    /// <summary>Frees a running request's slot: it passes to the next waiter (interactive first) or is counted free.</summary>
    private void Leave(ModelSlots slots, int? key)
    {
        TaskCompletionSource? next = null;
        lock (_sync)
        {
            ReleaseKeyLocked(key);
            var queue = slots.Interactive.Count > 0 ? slots.Interactive : slots.Batch.Count > 0 ? slots.Batch : null;
            if (queue is not null)
            {
                next = queue.First!.Value;
                queue.RemoveFirst();
            }
            else
            {
                slots.Running--;
            }
        }

        next?.TrySetResult();
    }

    private sealed class ModelSlots
    {
        public LinkedList<TaskCompletionSource> Interactive { get; } = new();

        public LinkedList<TaskCompletionSource> Batch { get; } = new();

        public int Running { get; set; }

        public int Waiting => Interactive.Count + Batch.Count;

        public LinkedList<TaskCompletionSource> Queue(RequestPriority priority) => priority == RequestPriority.Batch ? Batch : Interactive;
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
