using Edgewise.Models.Hardware;
using Edgewise.Models.Management;
using Microsoft.Extensions.AI;

namespace Edgewise.Models.Tests.Management;

/// <summary>A clock that moves only when told; timers fire inside <see cref="Advance"/>.</summary>
internal sealed class ManualClock : TimeProvider
{
    private readonly List<ManualTimer> _timers = [];
    private DateTimeOffset _now = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => _now;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    public void Advance(TimeSpan by)
    {
        _now += by;
        List<ManualTimer> due;
        lock (_timers)
        {
            due = _timers.Where(t => t.Due is { } d && d <= _now).ToList();
        }

        foreach (var t in due)
        {
            t.Due = null;
            t.Fire();
        }
    }

    /// <summary>Fires every armed timer now, before its due time (as a real timer on a coarse tick may).</summary>
    public void FireEarly()
    {
        List<ManualTimer> armed;
        lock (_timers)
        {
            armed = _timers.Where(t => t.Due is not null).ToList();
        }

        foreach (var t in armed)
        {
            t.Due = null;
            t.Fire();
        }
    }

    private sealed class ManualTimer(ManualClock clock, TimerCallback callback, object? state) : ITimer
    {
        public DateTimeOffset? Due { get; set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (clock._timers)
            {
                Due = dueTime == Timeout.InfiniteTimeSpan ? null : clock._now + dueTime;
                if (!clock._timers.Contains(this))
                {
                    clock._timers.Add(this);
                }
            }

            return true;
        }

        public void Fire() => callback(state);

        public void Dispose()
        {
            lock (clock._timers)
            {
                clock._timers.Remove(this);
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}

internal sealed class FixedMemory(long total, long available) : IMemoryProbe
{
    public long TotalBytes => total;

    public long AvailableBytes => available;
}

/// <summary>Resolves names to fixed sizes.</summary>
internal sealed class TableResolver : IModelResolver
{
    public Dictionary<string, (long Bytes, ModelSettings Settings)> Models { get; } = new(StringComparer.Ordinal);

    public ModelDescriptor Resolve(string name) =>
        Models.TryGetValue(name, out var m) ? new ModelDescriptor(name, "/nonexistent/" + name, m.Bytes, m.Settings) : throw new ModelException(ModelErrorCodes.ModelNotFound, "unknown");
}

/// <summary>Records loads and disposals; an optional gate holds loads to observe serialization.</summary>
internal sealed class RecordingLoader : IModelLoader
{
    private int _inFlight;

    public List<string> Loads { get; } = [];

    public List<string> Disposed { get; } = [];

    public int MaxConcurrentLoads { get; private set; }

    public SemaphoreSlim? Gate { get; set; }

    /// <summary>When set, a model's Dispose waits for it (after completing <see cref="DisposeStarted"/>).</summary>
    public ManualResetEventSlim? DisposeGate { get; set; }

    /// <summary>Completes when the first model's Dispose starts.</summary>
    public Task DisposeStarted => _disposeStarted.Task;

    /// <summary>Completes when the loads have started <paramref name="count"/> times in all.</summary>
    public Task LoadsStarted(int count)
    {
        lock (Loads)
        {
            if (Loads.Count >= count)
            {
                return Task.CompletedTask;
            }

            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _loadWaiters.Add((count, signal));
            return signal.Task;
        }
    }

    private readonly TaskCompletionSource _disposeStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<(int Count, TaskCompletionSource Signal)> _loadWaiters = [];

    public ILoadedModel Load(ModelDescriptor descriptor, CancellationToken cancellationToken)
    {
        var now = Interlocked.Increment(ref _inFlight);
        lock (Loads)
        {
            MaxConcurrentLoads = Math.Max(MaxConcurrentLoads, now);
            Loads.Add(descriptor.Name);
            foreach (var waiter in _loadWaiters.Where(w => w.Count <= Loads.Count))
            {
                waiter.Signal.TrySetResult();
            }
        }

        Gate?.Wait(cancellationToken);
        Interlocked.Decrement(ref _inFlight);
        return new FakeModel(this, descriptor.Name);
    }

    internal sealed class FakeModel(RecordingLoader loader, string name) : ILoadedModel
    {
        public bool IsDisposed { get; private set; }

        public IChatClient ChatClient => throw new InvalidOperationException("not a chat model");

        public void Dispose()
        {
            loader._disposeStarted.TrySetResult();
            loader.DisposeGate?.Wait();
            IsDisposed = true;
            lock (loader.Loads)
            {
                loader.Disposed.Add(name);
            }
        }
    }
}
