namespace Edgewise.Models.Management;

/// <summary>
/// The one owner of model lifecycle. <see cref="AcquireAsync"/> hands out leases (reference counts): a leased model is
/// never unloaded. Loads are serialized; before a load the memory check runs (a model larger than the budget is refused
/// at once with <see cref="ModelErrorCodes.InsufficientMemory"/>, before anything is mapped — M12), idle models
/// (lease count 0, not pinned) are evicted least recently used first, and when only busy models hold the memory the
/// load waits for a lease to end, up to <see cref="ModelManagerOptions.LoadWaitTimeout"/>. An idle model stays loaded
/// for its keep-alive (the request's, else its settings', else the default 5 min; zero unloads at once; negative
/// never). A local model whose file is truncated or replaced while loaded is retired (M14, see ModelManager.FileChecks.cs).
/// Clock, memory probe, resolver and loader are injected.
/// </summary>
public sealed partial class ModelManager : IDisposable
{
    private readonly IModelResolver _resolver;
    private readonly IModelLoader _loader;
    private readonly Hardware.IMemoryProbe _memory;
    private readonly ModelManagerOptions _options;
    private readonly TimeProvider _clock;
    private readonly SemaphoreSlim _loadGate = new(1, 1);
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly object _sync = new();
    private TaskCompletionSource _released = NewSignal();
    private bool _disposed;

    /// <summary>Creates a manager.</summary>
    public ModelManager(IModelResolver resolver, IModelLoader loader, Hardware.IMemoryProbe memory, ModelManagerOptions? options = null, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        ArgumentNullException.ThrowIfNull(loader);
        ArgumentNullException.ThrowIfNull(memory);
        _resolver = resolver;
        _loader = loader;
        _memory = memory;
        _options = options ?? new ModelManagerOptions();
        _clock = clock ?? TimeProvider.System;
        MemoryBudgetBytes = _options.MemoryBudgetBytes ?? Hardware.VariantSelector.DefaultBudget(memory.TotalBytes);
        _fileCheckTimer = _options.FileCheckInterval > TimeSpan.Zero
            ? _clock.CreateTimer(static s => ((ModelManager)s!).CheckFiles(), this, _options.FileCheckInterval, _options.FileCheckInterval)
            : null;
        _onLeaseBreak = () => CheckLeases();
        Gguf.FileLeases.BreakSignalled += _onLeaseBreak;
    }

    private readonly Action _onLeaseBreak;

    /// <summary>What an acquire waits for when it cannot load at once.</summary>
    internal enum AcquireWait
    {
        /// <summary>Another acquire holds the load slot.</summary>
        LoadSlot,

        /// <summary>Leased or still-unloading models hold the memory the model needs.</summary>
        Memory,
    }

    /// <summary>
    /// Called with the model's name each time an acquire starts to wait, just before it waits: lets tests observe the
    /// wait instead of sleeping and hoping it was reached.
    /// </summary>
    internal Action<string, AcquireWait>? WaitStarted { get; set; }

    /// <summary>The memory budget for all loaded models.</summary>
    public long MemoryBudgetBytes { get; }

    /// <summary>Memory the loaded models are planned to use.</summary>
    public long UsedBytes
    {
        get
        {
            lock (_sync)
            {
                return _entries.Values.Sum(e => e.Descriptor.MemoryBytes);
            }
        }
    }

    /// <summary>The loaded models now (what <c>edgewise ps</c> shows).</summary>
    public IReadOnlyList<LoadedModelInfo> Loaded
    {
        get
        {
            lock (_sync)
            {
                return _entries.Values
                    .Select(e => new LoadedModelInfo(e.Descriptor.Name, e.Descriptor.MemoryBytes, e.Leases, e.Descriptor.Settings.Pinned, e.LoadedAt, e.ExpiresAt))
                    .OrderBy(i => i.Name, StringComparer.Ordinal)
                    .ToList();
            }
        }
    }

    /// <summary>
    /// Leases <paramref name="name"/>, loading it when needed. Dispose the lease when the request ends;
    /// <paramref name="keepAlive"/> overrides how long the model stays loaded once idle.
    /// </summary>
    /// <exception cref="ModelException"><see cref="ModelErrorCodes.InsufficientMemory"/>, <see cref="ModelErrorCodes.Timeout"/> (load slot), or the resolver's errors.</exception>
    public async Task<ModelLease> AcquireAsync(string name, TimeSpan? keepAlive = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var descriptor = _resolver.Resolve(name);
        if (descriptor.MemoryBytes > MemoryBudgetBytes)
        {
            throw InsufficientMemory();
        }

        CheckFile(descriptor.Name);
        if (TryLease(descriptor.Name, keepAlive) is { } fast)
        {
            return fast;
        }

        using var wait = new CancellationTokenSource(_options.LoadWaitTimeout, _clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(wait.Token, cancellationToken);
        try
        {
            var slot = _loadGate.WaitAsync(linked.Token);
            if (!slot.IsCompleted)
            {
                WaitStarted?.Invoke(descriptor.Name, AcquireWait.LoadSlot);
            }

            await slot.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ModelException(ModelErrorCodes.Timeout, "Another model is still loading; retry shortly.");
        }

        try
        {
            if (TryLease(descriptor.Name, keepAlive) is { } loaded)
            {
                return loaded;
            }

            await MakeRoomAsync(descriptor, linked.Token, cancellationToken).ConfigureAwait(false);
            var stamp = descriptor.IsRemote ? null : FileStamp.Read(descriptor.Path);
            await VerifyChangedFileAsync(descriptor, cancellationToken).ConfigureAwait(false);
            var model = await Task.Run(() => _loader.Load(descriptor, cancellationToken), cancellationToken).ConfigureAwait(false);
            lock (_sync)
            {
                var entry = new Entry(descriptor, model, _clock.GetUtcNow()) { KeepAlive = KeepAliveFor(descriptor, keepAlive), Leases = 1, Stamp = stamp };
                _entries.Add(descriptor.Name, entry);
                return new ModelLease(this, entry);
            }
        }
        finally
        {
            _loadGate.Release();
        }
    }

    /// <summary>Unloads <paramref name="name"/> now when idle, or as soon as its last lease ends; false when it is not loaded.</summary>
    public bool Unload(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        Entry? evicted = null;
        lock (_sync)
        {
            var entry = _entries.Values.FirstOrDefault(e => string.Equals(e.Descriptor.Name, name, StringComparison.OrdinalIgnoreCase));
            if (entry is null)
            {
                return false;
            }

            entry.KeepAlive = TimeSpan.Zero;
            if (entry.Leases == 0)
            {
                evicted = UnloadingLocked(RemoveLocked(entry));
            }
        }

        Finish(evicted);
        return true;
    }

    /// <summary>Unloads every model (leases still held become invalid).</summary>
    public void Dispose()
    {
        List<Entry> all;
        lock (_sync)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _fileCheckTimer?.Dispose();
            Gguf.FileLeases.BreakSignalled -= _onLeaseBreak;
            all = [.. _entries.Values];
            foreach (var e in all)
            {
                RemoveLocked(e);
            }
        }

        foreach (var e in all)
        {
            e.Model.Dispose();
        }

        _loadGate.Dispose();
    }

    internal void Release(Entry entry)
    {
        Entry? evicted = null;
        lock (_sync)
        {
            entry.Leases--;
            entry.LastReleased = _clock.GetUtcNow();
            if (entry.Leases == 0 && entry.Retired)
            {
                _retired.Remove(entry);
                evicted = UnloadingLocked(entry);
            }
            else if (entry.Leases == 0 && _entries.ContainsKey(entry.Descriptor.Name))
            {
                if (entry.KeepAlive == TimeSpan.Zero && !entry.Descriptor.Settings.Pinned)
                {
                    evicted = UnloadingLocked(RemoveLocked(entry));
                }
                else if (entry.KeepAlive > TimeSpan.Zero && !entry.Descriptor.Settings.Pinned)
                {
                    entry.ExpiresAt = _clock.GetUtcNow() + entry.KeepAlive;
                    entry.Timer = _clock.CreateTimer(static s => ((ExpiryState)s!).Fire(), new ExpiryState(this, entry), entry.KeepAlive, Timeout.InfiniteTimeSpan);
                }
            }

            var signal = _released;
            _released = NewSignal();
            signal.TrySetResult();
        }

        Finish(evicted);
    }

    private void Expire(Entry entry)
    {
        Entry? evicted = null;
        lock (_sync)
        {
            if (entry.Leases == 0 && entry.ExpiresAt is { } at && _entries.TryGetValue(entry.Descriptor.Name, out var current) && current == entry)
            {
                var left = at - _clock.GetUtcNow();
                if (left <= TimeSpan.Zero)
                {
                    evicted = UnloadingLocked(RemoveLocked(entry));
                }
                else
                {
                    // Timers run on a coarse monotonic tick, the expiry on the wall clock: a timer that fires a little
                    // early must be re-armed, or the one-shot timer is gone and the idle model never unloads.
                    entry.Timer?.Dispose();
                    entry.Timer = _clock.CreateTimer(static s => ((ExpiryState)s!).Fire(), new ExpiryState(this, entry), left, Timeout.InfiniteTimeSpan);
                }
            }
        }

        Finish(evicted);
    }

    private ModelLease? TryLease(string name, TimeSpan? keepAlive)
    {
        lock (_sync)
        {
            if (!_entries.TryGetValue(name, out var entry))
            {
                return null;
            }

            entry.Leases++;
            entry.KeepAlive = KeepAliveFor(entry.Descriptor, keepAlive);
            entry.ExpiresAt = null;
            entry.Timer?.Dispose();
            entry.Timer = null;
            return new ModelLease(this, entry);
        }
    }

    /// <summary>Evicts idle models until <paramref name="descriptor"/> fits; waits for leases to end while only busy models are in the way.</summary>
    private async Task MakeRoomAsync(ModelDescriptor descriptor, CancellationToken wait, CancellationToken caller)
    {
        while (true)
        {
            Task released;
            var evicted = new List<Entry>();
            lock (_sync)
            {
                // A model being unloaded on another thread still holds its memory until its Dispose returns.
                var used = _entries.Values.Sum(e => e.Descriptor.MemoryBytes) + _retired.Sum(e => e.Descriptor.MemoryBytes)
                    + _unloading.Sum(e => e.Descriptor.MemoryBytes);
                foreach (var idle in _entries.Values.Where(e => e.Leases == 0 && !e.Descriptor.Settings.Pinned).OrderBy(e => e.LastReleased ?? e.LoadedAt).ToList())
                {
                    if (used + descriptor.MemoryBytes <= MemoryBudgetBytes)
                    {
                        break;
                    }

                    evicted.Add(RemoveLocked(idle));
                    used -= idle.Descriptor.MemoryBytes;
                }

                var fits = used + descriptor.MemoryBytes <= MemoryBudgetBytes;
                if (!fits && _retired.Count == 0 && _unloading.Count == 0 && !_entries.Values.Any(e => e.Leases > 0 && !e.Descriptor.Settings.Pinned))
                {
                    // Only pinned models hold the memory: waiting cannot help.
                    DisposeAll(evicted);
                    throw InsufficientMemory();
                }

                released = fits ? Task.CompletedTask : _released.Task;
            }

            DisposeAll(evicted);
            if (released.IsCompleted)
            {
                if (_memory.AvailableBytes < descriptor.MemoryBytes)
                {
                    throw InsufficientMemory();
                }

                return;
            }

            WaitStarted?.Invoke(descriptor.Name, AcquireWait.Memory);
            try
            {
                await released.WaitAsync(wait).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!caller.IsCancellationRequested)
            {
                throw InsufficientMemory();
            }
        }
    }

    private Entry RemoveLocked(Entry entry)
    {
        _entries.Remove(entry.Descriptor.Name);
        entry.Timer?.Dispose();
        entry.Timer = null;
        entry.ExpiresAt = null;
        return entry;
    }

    /// <summary>Marks <paramref name="entry"/>, already out of the loaded set, as unloading until <see cref="Finish"/> has disposed it.</summary>
    private Entry UnloadingLocked(Entry entry)
    {
        _unloading.Add(entry);
        return entry;
    }

    /// <summary>Disposes an unloading model outside the lock, then stops counting its memory and wakes loads waiting for room.</summary>
    private void Finish(Entry? entry)
    {
        if (entry is null)
        {
            return;
        }

        try
        {
            entry.Model.Dispose();
        }
        finally
        {
            lock (_sync)
            {
                _unloading.Remove(entry);
                var signal = _released;
                _released = NewSignal();
                signal.TrySetResult();
            }
        }
    }

    private TimeSpan KeepAliveFor(ModelDescriptor d, TimeSpan? requested) => requested ?? d.Settings.KeepAlive ?? _options.DefaultKeepAlive;

    private static void DisposeAll(List<Entry> entries)
    {
        foreach (var e in entries)
        {
            e.Model.Dispose();
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static ModelException InsufficientMemory() =>
        new(ModelErrorCodes.InsufficientMemory, "The model does not fit the memory budget now: unload idle models ('edgewise stop'), use a smaller quantization or context, or raise the budget.");

    internal sealed class Entry(ModelDescriptor descriptor, ILoadedModel model, DateTimeOffset loadedAt)
    {
        public ModelDescriptor Descriptor { get; } = descriptor;

        public ILoadedModel Model { get; } = model;

        public DateTimeOffset LoadedAt { get; } = loadedAt;

        public int Leases { get; set; }

        public TimeSpan KeepAlive { get; set; }

        public DateTimeOffset? ExpiresAt { get; set; }

        public DateTimeOffset? LastReleased { get; set; }

        public ITimer? Timer { get; set; }

        /// <summary>The file's size and write time when it was loaded; null for remote models.</summary>
        public FileStamp? Stamp { get; init; }

        /// <summary>Removed because its file changed (M14); disposed when its last lease ends.</summary>
        public bool Retired { get; set; }
    }

    private sealed class ExpiryState(ModelManager manager, Entry entry)
    {
        public void Fire() => manager.Expire(entry);
    }
}

/// <summary>A loaded model as <c>edgewise ps</c> shows it.</summary>
/// <param name="Name">Canonical name.</param>
/// <param name="MemoryBytes">Planned memory.</param>
/// <param name="Leases">Leases held now.</param>
/// <param name="Pinned">Never evicted.</param>
/// <param name="LoadedAt">When it was loaded.</param>
/// <param name="ExpiresAt">When it unloads if still idle; null while leased, pinned or kept forever.</param>
public sealed record LoadedModelInfo(string Name, long MemoryBytes, int Leases, bool Pinned, DateTimeOffset LoadedAt, DateTimeOffset? ExpiresAt);

/// <summary>A lease on a loaded model: the model stays loaded until every lease is disposed.</summary>
public sealed class ModelLease : IDisposable
{
    private readonly ModelManager _manager;
    private readonly ModelManager.Entry _entry;
    private int _disposed;

    internal ModelLease(ModelManager manager, ModelManager.Entry entry)
    {
        _manager = manager;
        _entry = entry;
    }

    /// <summary>Canonical model name.</summary>
    public string Name => _entry.Descriptor.Name;

    /// <summary>The chat client over the model.</summary>
    public Microsoft.Extensions.AI.IChatClient ChatClient => _entry.Model.ChatClient;

    /// <summary>The loaded model.</summary>
    public ILoadedModel Model => _entry.Model;

    /// <summary>Ends the lease.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _manager.Release(_entry);
        }
    }
}
