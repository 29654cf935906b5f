using Edgewise.Models.Management;

namespace Edgewise.Models.Tests.Management;

public sealed class ModelManagerTests
{
    private const long Mb = 1 << 20;

    private readonly ManualClock _clock = new();
    private readonly TableResolver _resolver = new();
    private readonly RecordingLoader _loader = new();

    private ModelManager Create(long budget, TimeSpan? keepAlive = null) => new(
        _resolver, _loader, new FixedMemory(1L << 40, 1L << 40),
        new ModelManagerOptions { MemoryBudgetBytes = budget, DefaultKeepAlive = keepAlive ?? TimeSpan.FromMinutes(5), LoadWaitTimeout = TimeSpan.FromSeconds(30) },
        _clock);

    private void Add(string name, long mb, bool pinned = false, TimeSpan? keepAlive = null) =>
        _resolver.Models[name] = (mb * Mb, new ModelSettings { Pinned = pinned, KeepAlive = keepAlive });

    [Fact]
    public async Task Acquire_SameModelTwice_LoadsOnceAndCountsLeases()
    {
        Add("a", 10);
        using var manager = Create(100 * Mb);

        using var l1 = await manager.AcquireAsync("a", cancellationToken: TestContext.Current.CancellationToken);
        using var l2 = await manager.AcquireAsync("a", cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(["a"], _loader.Loads);
        var info = Assert.Single(manager.Loaded);
        Assert.Equal(2, info.Leases);
        Assert.Null(info.ExpiresAt);
        Assert.Same(l1.Model, l2.Model);
    }

    [Fact]
    public async Task Release_DefaultKeepAlive_UnloadsAfterFiveMinutes()
    {
        Add("a", 10);
        using var manager = Create(100 * Mb);
        (await manager.AcquireAsync("a", cancellationToken: TestContext.Current.CancellationToken)).Dispose();

        Assert.Equal(_clock.GetUtcNow() + TimeSpan.FromMinutes(5), Assert.Single(manager.Loaded).ExpiresAt);
        _clock.Advance(TimeSpan.FromMinutes(4));
        Assert.Single(manager.Loaded);
        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Empty(manager.Loaded);
        Assert.Equal(["a"], _loader.Disposed);
    }

    [Fact]
    public async Task Release_ExpiryTimerFiresEarly_RearmsAndStillUnloads()
    {
        Add("a", 10);
        using var manager = Create(100 * Mb, TimeSpan.FromSeconds(1));
        (await manager.AcquireAsync("a", cancellationToken: TestContext.Current.CancellationToken)).Dispose();

        _clock.Advance(TimeSpan.FromMilliseconds(999));
        _clock.FireEarly();
        Assert.Single(manager.Loaded);

        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Empty(manager.Loaded);
        Assert.Equal(["a"], _loader.Disposed);
    }

    [Fact]
    public async Task Release_KeepAliveZero_UnloadsAtOnce()
    {
        Add("a", 10);
        using var manager = Create(100 * Mb);

        (await manager.AcquireAsync("a", TimeSpan.Zero, TestContext.Current.CancellationToken)).Dispose();

        Assert.Empty(manager.Loaded);
        Assert.Equal(["a"], _loader.Disposed);
    }

    [Fact]
    public async Task Acquire_PerRequestKeepAlive_OverridesSettings()
    {
        Add("a", 10, keepAlive: TimeSpan.FromHours(1));
        using var manager = Create(100 * Mb);

        (await manager.AcquireAsync("a", TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken)).Dispose();
        _clock.Advance(TimeSpan.FromSeconds(1));

        Assert.Empty(manager.Loaded);
    }

    [Fact]
    public async Task Acquire_WhileIdleTimerRuns_CancelsExpiry()
    {
        Add("a", 10);
        using var manager = Create(100 * Mb);
        (await manager.AcquireAsync("a", TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken)).Dispose();

        using var lease = await manager.AcquireAsync("a", cancellationToken: TestContext.Current.CancellationToken);
        _clock.Advance(TimeSpan.FromMinutes(10));

        Assert.Single(manager.Loaded);
        Assert.Empty(_loader.Disposed);
    }

    [Fact]
    public async Task Acquire_M12_ModelLargerThanBudget_RefusedBeforeLoading()
    {
        Add("big", 100);
        using var manager = Create(64 * Mb);

        var e = await Assert.ThrowsAsync<ModelException>(() => manager.AcquireAsync("big", cancellationToken: TestContext.Current.CancellationToken));

        Assert.Equal(ModelErrorCodes.InsufficientMemory, e.Code);
        Assert.Empty(_loader.Loads);
    }

    [Fact]
    public async Task Acquire_OtherModelIdle_EvictsIdleOne()
    {
        Add("a", 60);
        Add("b", 60);
        using var manager = Create(100 * Mb);
        (await manager.AcquireAsync("a", cancellationToken: TestContext.Current.CancellationToken)).Dispose();

        using var b = await manager.AcquireAsync("b", cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(["a"], _loader.Disposed);
        Assert.Equal("b", Assert.Single(manager.Loaded).Name);
    }

    [Fact]
    public async Task Acquire_EvictsLeastRecentlyUsedIdleFirst()
    {
        Add("a", 40);
        Add("b", 40);
        Add("c", 40);
        using var manager = Create(100 * Mb);
        var a = await manager.AcquireAsync("a", cancellationToken: TestContext.Current.CancellationToken);
        (await manager.AcquireAsync("b", cancellationToken: TestContext.Current.CancellationToken)).Dispose();
        _clock.Advance(TimeSpan.FromSeconds(1));
        a.Dispose();

        using var c = await manager.AcquireAsync("c", cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(["b"], _loader.Disposed);
        Assert.Equal(["a", "c"], manager.Loaded.Select(i => i.Name));
    }

    [Fact]
    public async Task Acquire_C02_OtherModelBusy_WaitsForItsLeaseThenEvicts()
    {
        Add("a", 60);
        Add("b", 60);
        using var manager = Create(100 * Mb);
        var a = await manager.AcquireAsync("a", cancellationToken: TestContext.Current.CancellationToken);
        var model = (RecordingLoader.FakeModel)a.Model;

        var waiting = Waiting(manager, "b", ModelManager.AcquireWait.Memory);

        var pending = manager.AcquireAsync("b", cancellationToken: TestContext.Current.CancellationToken);
        await WaitedAsync(waiting, pending);

        Assert.False(pending.IsCompleted);
        Assert.False(model.IsDisposed);
        using (var queuedOnA = await manager.AcquireAsync("a", cancellationToken: TestContext.Current.CancellationToken))
        {
            Assert.Same(model, queuedOnA.Model);
        }

        Assert.False(pending.IsCompleted);
        a.Dispose();
        using var b = await pending;
        Assert.True(model.IsDisposed);
        Assert.Equal(["a", "b"], _loader.Loads);
    }

    [Fact]
    public async Task Acquire_C02_OtherModelStillDisposing_LoadsOnlyAfterItsDisposeReturns()
    {
        // Keep-alive zero: releasing "a" unloads it at once, on the releasing thread. Until that Dispose returns its
        // memory is still in use, so "b" (which fits only without "a") must not start loading.
        Add("a", 60);
        Add("b", 60);
        using var manager = Create(100 * Mb, TimeSpan.Zero);
        var a = await manager.AcquireAsync("a", cancellationToken: TestContext.Current.CancellationToken);
        using var hold = new ManualResetEventSlim(false);
        _loader.DisposeGate = hold;
        var release = Task.Run(a.Dispose, TestContext.Current.CancellationToken);
        await _loader.DisposeStarted.WaitAsync(TestContext.Current.CancellationToken);
        var waiting = Waiting(manager, "b", ModelManager.AcquireWait.Memory);

        var pending = manager.AcquireAsync("b", cancellationToken: TestContext.Current.CancellationToken);
        await WaitedAsync(waiting, pending, _loader.LoadsStarted(2));

        Assert.False(pending.IsCompleted);
        Assert.Equal(["a"], _loader.Loads);

        hold.Set();
        await release;
        using var b = await pending;
        Assert.Equal(["a", "b"], _loader.Loads);
        Assert.Equal(["a"], _loader.Disposed);
    }

    [Fact]
    public async Task Acquire_C02_BusyModelNeverReleased_TimesOutWithInsufficientMemory()
    {
        Add("a", 60);
        Add("b", 60);
        using var manager = Create(100 * Mb);
        using var a = await manager.AcquireAsync("a", cancellationToken: TestContext.Current.CancellationToken);

        var waiting = Waiting(manager, "b", ModelManager.AcquireWait.Memory);

        var pending = manager.AcquireAsync("b", cancellationToken: TestContext.Current.CancellationToken);
        await WaitedAsync(waiting, pending);
        _clock.Advance(TimeSpan.FromSeconds(31));

        Assert.Equal(ModelErrorCodes.InsufficientMemory, (await Assert.ThrowsAsync<ModelException>(() => pending)).Code);
        Assert.Equal(["a"], _loader.Loads);
        Assert.Empty(_loader.Disposed);
    }

    [Fact]
    public async Task Acquire_PinnedModelHoldsMemory_RefusedNotEvicted()
    {
        Add("router", 60, pinned: true);
        Add("b", 60);
        using var manager = Create(100 * Mb);
        (await manager.AcquireAsync("router", cancellationToken: TestContext.Current.CancellationToken)).Dispose();
        _clock.Advance(TimeSpan.FromHours(1));

        var e = await Assert.ThrowsAsync<ModelException>(() => manager.AcquireAsync("b", cancellationToken: TestContext.Current.CancellationToken));

        Assert.Equal(ModelErrorCodes.InsufficientMemory, e.Code);
        Assert.Equal("router", Assert.Single(manager.Loaded).Name);
        Assert.Empty(_loader.Disposed);
    }

    [Fact]
    public async Task Acquire_C02_TwoModelsAtOnce_LoadsSerialized()
    {
        Add("a", 10);
        Add("b", 10);
        using var gate = new SemaphoreSlim(0);
        _loader.Gate = gate;
        using var manager = Create(100 * Mb);

        var ta = manager.AcquireAsync("a", cancellationToken: TestContext.Current.CancellationToken);
        await _loader.LoadsStarted(1).WaitAsync(TestContext.Current.CancellationToken);
        var waiting = Waiting(manager, "b", ModelManager.AcquireWait.LoadSlot);
        var tb = manager.AcquireAsync("b", cancellationToken: TestContext.Current.CancellationToken);
        await WaitedAsync(waiting, tb, _loader.LoadsStarted(2));

        Assert.Equal(["a"], _loader.Loads);
        gate.Release(2);
        using var la = await ta;
        using var lb = await tb;

        Assert.Equal(1, _loader.MaxConcurrentLoads);
        Assert.Equal(2, manager.Loaded.Count);
    }

    [Fact]
    public async Task Unload_Busy_UnloadsWhenLastLeaseEnds()
    {
        Add("a", 10);
        using var manager = Create(100 * Mb);
        var lease = await manager.AcquireAsync("a", cancellationToken: TestContext.Current.CancellationToken);

        Assert.True(manager.Unload("a"));
        Assert.Single(manager.Loaded);
        lease.Dispose();
        lease.Dispose();

        Assert.Empty(manager.Loaded);
        Assert.Equal(["a"], _loader.Disposed);
        Assert.False(manager.Unload("a"));
    }

    /// <summary>Completes when <paramref name="manager"/> makes <paramref name="name"/>'s acquire wait for <paramref name="what"/>.</summary>
    private static Task Waiting(ModelManager manager, string name, ModelManager.AcquireWait what)
    {
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        manager.WaitStarted = (n, w) =>
        {
            if (n == name && w == what)
            {
                signal.TrySetResult();
            }
        };
        return signal.Task;
    }

    /// <summary>
    /// Returns once the acquire has started its wait; fails when it finished, or did what it must not (<paramref name="wrong"/>),
    /// first.
    /// </summary>
    private static async Task WaitedAsync(Task waiting, Task acquire, Task? wrong = null)
    {
        var first = await Task.WhenAny(waiting, acquire, wrong ?? Task.Delay(Timeout.Infinite, TestContext.Current.CancellationToken))
            .WaitAsync(TestContext.Current.CancellationToken);
        Assert.True(first == waiting, "The acquire finished, or went on to load, instead of waiting.");
    }

    [Fact]
    public async Task Acquire_AvailableMemoryTooLow_RefusedR01()
    {
        Add("a", 10);
        using var manager = new ModelManager(_resolver, _loader, new FixedMemory(1L << 30, 5 * Mb), new ModelManagerOptions(), _clock);

        Assert.Equal((1L << 30) * 3 / 4, manager.MemoryBudgetBytes);
        Assert.Equal(ModelErrorCodes.InsufficientMemory, (await Assert.ThrowsAsync<ModelException>(() => manager.AcquireAsync("a", cancellationToken: TestContext.Current.CancellationToken))).Code);
    }
}
