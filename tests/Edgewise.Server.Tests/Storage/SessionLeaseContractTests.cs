using Edgewise.Server.Storage;

namespace Edgewise.Server.Tests.Storage;

/// <summary>The session lease contract (one run per session, C01), run against every backend.</summary>
public abstract class SessionLeaseContractTests
{
    /// <summary>A fresh, empty backend.</summary>
    protected abstract Task<StoreBackend> OpenAsync();

    [Fact]
    public async Task Acquire_HeldSession_SecondClaimRefusedUntilReleased()
    {
        await using var backend = await OpenAsync();
        var cancel = TestContext.Current.CancellationToken;

        var first = await backend.Leases.TryAcquireAsync("s1", cancel);
        Assert.NotNull(first);
        Assert.Null(await backend.Leases.TryAcquireAsync("s1", cancel));
        var other = await backend.Leases.TryAcquireAsync("s2", cancel);
        Assert.NotNull(other);

        await first.DisposeAsync();
        await first.DisposeAsync();
        var again = await backend.Leases.TryAcquireAsync("s1", cancel);
        Assert.NotNull(again);
        await again.DisposeAsync();
        await other.DisposeAsync();
    }

    [Fact]
    public async Task Acquire_ManyConcurrentClaims_ExactlyOneWins()
    {
        await using var backend = await OpenAsync();

        var leases = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => backend.Leases.TryAcquireAsync("hot"))));

        Assert.Single(leases, l => l is not null);
        await leases.Single(l => l is not null)!.DisposeAsync();
    }
}

public sealed class SqliteSessionLeaseTests : SessionLeaseContractTests
{
    protected override async Task<StoreBackend> OpenAsync() => await SqliteBackend.OpenAsync();
}

/// <summary>The lease contract on PostgreSQL, plus what crosses processes: another gateway's claim, renewal, expiry.</summary>
public sealed class PostgresSessionLeaseTests : SessionLeaseContractTests
{
    protected override async Task<StoreBackend> OpenAsync() => await PostgresBackend.OpenAsync();

    [Fact]
    public async Task Acquire_TwoGateways_OneRunPerSession()
    {
        await using var backend = await PostgresBackend.OpenAsync();
        var other = new PostgresSessionLeases(await backend.OpenDatabaseAsync());
        var cancel = TestContext.Current.CancellationToken;

        var held = await backend.Leases.TryAcquireAsync("s1", cancel);
        Assert.NotNull(held);
        Assert.Null(await other.TryAcquireAsync("s1", cancel));

        await held.DisposeAsync();
        var taken = await other.TryAcquireAsync("s1", cancel);
        Assert.NotNull(taken);
        Assert.Null(await backend.Leases.TryAcquireAsync("s1", cancel));
        await taken.DisposeAsync();
    }

    [Fact]
    public async Task Acquire_HolderRenewsPastItsDuration_StillHeld()
    {
        await using var backend = await PostgresBackend.OpenAsync(TimeSpan.FromSeconds(3));
        var cancel = TestContext.Current.CancellationToken;
        var held = await backend.Leases.TryAcquireAsync("s1", cancel);
        Assert.NotNull(held);

        await Task.Delay(TimeSpan.FromSeconds(4.5), cancel);

        Assert.True(await backend.PostgresLeases.IsHeldAsync("s1", cancel));
        Assert.Null(await backend.Leases.TryAcquireAsync("s1", cancel));
        await held.DisposeAsync();
        Assert.False(await backend.PostgresLeases.IsHeldAsync("s1", cancel));
    }

    [Fact]
    public async Task Acquire_CrashedHolder_LeaseExpiresAndAnotherGatewayTakesOver()
    {
        await using var backend = await PostgresBackend.OpenAsync(TimeSpan.FromSeconds(3));
        var cancel = TestContext.Current.CancellationToken;

        // A holder that crashed: its row stays, nobody renews it.
        await backend.ExecuteRawAsync("INSERT INTO session_leases VALUES ('s1', 'dead-gateway', clock_timestamp() + interval '1 second')");
        Assert.Null(await backend.Leases.TryAcquireAsync("s1", cancel));

        await Task.Delay(TimeSpan.FromSeconds(1.5), cancel);

        var taken = await backend.Leases.TryAcquireAsync("s1", cancel);
        Assert.NotNull(taken);
        await taken.DisposeAsync();
    }

    [Fact]
    public async Task Retention_DropsLeasesExpiredLongAgo_KeepsLiveOnes()
    {
        await using var backend = await PostgresBackend.OpenAsync();
        var cancel = TestContext.Current.CancellationToken;
        await backend.ExecuteRawAsync("INSERT INTO session_leases VALUES ('old', 'dead-gateway', clock_timestamp() - interval '2 minutes')");
        var live = await backend.Leases.TryAcquireAsync("live", cancel);

        await backend.Sessions.DeleteOlderThanAsync(DateTimeOffset.UtcNow.AddDays(-1), cancel);

        Assert.Equal(1L, await backend.CountAsync("session_leases"));
        Assert.True(await backend.PostgresLeases.IsHeldAsync("live", cancel));
        await live!.DisposeAsync();
    }
}
