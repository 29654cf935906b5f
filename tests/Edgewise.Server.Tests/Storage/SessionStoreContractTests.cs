using Edgewise.Agents;
using Edgewise.Server.Storage;
using Microsoft.Extensions.AI;

namespace Edgewise.Server.Tests.Storage;

/// <summary>
/// The session store contract, run against every backend: <see cref="SqliteSessionStoreTests"/> and
/// <see cref="PostgresSessionStoreTests"/>.
/// </summary>
public abstract class SessionStoreContractTests
{
    /// <summary>A fresh, empty backend.</summary>
    protected abstract Task<StoreBackend> OpenAsync();

    [Fact]
    public async Task SaveGet_RoundTripsEverythingAndAppendsMessages()
    {
        await using var backend = await OpenAsync();
        var store = backend.Sessions;
        var session = Sample();

        await store.SaveAsync(session, TestContext.Current.CancellationToken);
        session.Messages.Add(new ChatMessage(ChatRole.User, "and pears?"));
        await store.SaveAsync(session, TestContext.Current.CancellationToken);
        var loaded = await store.GetAsync(session.Id, TestContext.Current.CancellationToken);

        Assert.NotNull(loaded);
        Assert.Equal(2, loaded.Version);
        Assert.Equal(session.ToJson(), loaded.ToJson());
        Assert.Null(await store.GetAsync("missing", TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Save_ShorterHistory_Rewritten()
    {
        await using var backend = await OpenAsync();
        var store = backend.Sessions;
        var session = Sample();
        await store.SaveAsync(session, TestContext.Current.CancellationToken);

        session.Messages.RemoveAt(0);
        await store.SaveAsync(session, TestContext.Current.CancellationToken);

        Assert.Equal(session.ToJson(), (await store.GetAsync(session.Id, TestContext.Current.CancellationToken))!.ToJson());
    }

    [Fact]
    public async Task Save_C01_StaleCopy_RefusedWithSessionBusy()
    {
        await using var backend = await OpenAsync();
        var store = backend.Sessions;
        await store.SaveAsync(Sample("s1"), TestContext.Current.CancellationToken);
        var first = (await store.GetAsync("s1", TestContext.Current.CancellationToken))!;
        var second = (await store.GetAsync("s1", TestContext.Current.CancellationToken))!;

        first.Messages.Add(new ChatMessage(ChatRole.User, "first"));
        second.Messages.Add(new ChatMessage(ChatRole.User, "second"));
        await store.SaveAsync(first, TestContext.Current.CancellationToken);

        await Assert.ThrowsAsync<SessionBusyException>(() => store.SaveAsync(second, TestContext.Current.CancellationToken));
        var stored = (await store.GetAsync("s1", TestContext.Current.CancellationToken))!;
        Assert.Equal("first", stored.Messages[^1].Text);
        Assert.DoesNotContain(stored.Messages, m => m.Text == "second");
    }

    [Fact]
    public async Task Save_C01_ConcurrentCopies_ExactlyOneWinsAndTurnsNeverInterleave()
    {
        await using var backend = await OpenAsync();
        var store = backend.Sessions;
        await store.SaveAsync(Sample("s1"), TestContext.Current.CancellationToken);
        var copies = new List<AgentSession>();
        for (var i = 0; i < 6; i++)
        {
            var copy = (await store.GetAsync("s1", TestContext.Current.CancellationToken))!;
            copy.Messages.Add(new ChatMessage(ChatRole.User, "turn " + i));
            copy.Messages.Add(new ChatMessage(ChatRole.Assistant, "answer " + i));
            copies.Add(copy);
        }

        var outcomes = await Task.WhenAll(copies.Select(c => Task.Run(async () =>
        {
            try
            {
                await store.SaveAsync(c);
                return true;
            }
            catch (SessionBusyException)
            {
                return false;
            }
        })));

        Assert.Equal(1, outcomes.Count(o => o));
        var stored = (await store.GetAsync("s1", TestContext.Current.CancellationToken))!;
        var winner = outcomes.ToList().IndexOf(true);
        Assert.Equal(["turn " + winner, "answer " + winner], stored.Messages.TakeLast(2).Select(m => m.Text));
    }

    [Fact]
    public async Task Save_C01_SameNewSessionCreatedTwice_SecondRefused()
    {
        await using var backend = await OpenAsync();
        var first = Sample("new");
        var second = Sample("new");
        second.Messages.Add(new ChatMessage(ChatRole.User, "second"));

        await backend.Sessions.SaveAsync(first, TestContext.Current.CancellationToken);

        await Assert.ThrowsAsync<SessionBusyException>(() => backend.Sessions.SaveAsync(second, TestContext.Current.CancellationToken));
        Assert.Equal(first.ToJson(), (await backend.Sessions.GetAsync("new", TestContext.Current.CancellationToken))!.ToJson());
    }

    [Fact]
    public async Task Delete_RemovesSessionAndItsMessages()
    {
        await using var backend = await OpenAsync();
        var store = backend.Sessions;
        await store.SaveAsync(Sample("gone"), TestContext.Current.CancellationToken);

        Assert.True(await store.DeleteAsync("gone", TestContext.Current.CancellationToken));
        Assert.False(await store.DeleteAsync("gone", TestContext.Current.CancellationToken));

        Assert.Null(await store.GetAsync("gone", TestContext.Current.CancellationToken));
        Assert.Equal(0L, await backend.CountAsync("messages"));
    }

    [Fact]
    public async Task ListAndRetention_ByOwnerNewestFirst_OldSessionsDeleted()
    {
        await using var backend = await OpenAsync();
        var store = backend.Sessions;
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < 5; i++)
        {
            var session = Sample("s" + i);
            session.Owner = i % 2 == 0 ? "alice" : "bob";
            session.UpdatedAt = now.AddDays(-i * 10);
            await store.SaveAsync(session, TestContext.Current.CancellationToken);
        }

        var alice = await store.ListAsync("alice", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(["s0", "s2", "s4"], alice.Select(s => s.Id));
        Assert.All(alice, s => Assert.Equal(2, s.MessageCount));
        Assert.Equal(2, (await store.ListAsync(limit: 2, cancellationToken: TestContext.Current.CancellationToken)).Count);

        Assert.Equal(2, await store.DeleteOlderThanAsync(now.AddDays(-25), TestContext.Current.CancellationToken));

        Assert.Equal(["s0", "s1", "s2"], (await store.ListAsync(cancellationToken: TestContext.Current.CancellationToken)).Select(s => s.Id));
        Assert.Equal(6L, await backend.CountAsync("messages"));
    }

    [Fact]
    public async Task List_LocalOwner_IncludesSessionsSavedWithoutAnOwner()
    {
        await using var backend = await OpenAsync();
        var store = backend.Sessions;
        var owned = Sample("owned");
        owned.Owner = AgentSession.LocalOwner;
        var ownerless = Sample("ownerless");
        var other = Sample("other");
        other.Owner = "key-hash";
        foreach (var session in new[] { owned, ownerless, other })
        {
            await store.SaveAsync(session, TestContext.Current.CancellationToken);
        }

        // A session saved before owners were recorded belongs to the local owner (AgentSession.Owner), on every backend.
        var local = await store.ListAsync(AgentSession.LocalOwner, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(["owned", "ownerless"], local.Select(s => s.Id).Order(StringComparer.Ordinal));
        Assert.Equal(["other"], (await store.ListAsync("key-hash", cancellationToken: TestContext.Current.CancellationToken)).Select(s => s.Id));
    }

    [Fact]
    public async Task Save_P04_HundredConcurrentSessions_AllStored()
    {
        await using var backend = await OpenAsync();
        var store = backend.Sessions;

        await Task.WhenAll(Enumerable.Range(0, 100).Select(i => Task.Run(async () =>
        {
            var session = Sample("p" + i);
            for (var turn = 0; turn < 3; turn++)
            {
                session.Messages.Add(new ChatMessage(ChatRole.User, "turn " + turn));
                await store.SaveAsync(session);
            }
        })));

        var sessions = await store.ListAsync(limit: 1000, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(100, sessions.Count);
        Assert.All(sessions, s => Assert.Equal(5, s.MessageCount));
    }

    internal static AgentSession Sample(string? id = null)
    {
        var session = id is null ? new AgentSession() : new AgentSession(id);
        session.AgentName = "kiosk";
        session.Messages.Add(new ChatMessage(ChatRole.User, "apples?"));
        session.Messages.Add(new ChatMessage(ChatRole.Assistant, [new FunctionCallContent("c1", "lookup", new Dictionary<string, object?> { ["sku"] = "A-1" })]));
        session.State["cart"] = "empty";
        var now = DateTimeOffset.UtcNow;
        session.PendingApprovals.Add(new ApprovalRequest("c1", "lookup", "{\"sku\":\"A-1\"}", new string('b', 64), now, now.AddMinutes(15)));
        return session;
    }
}

public sealed class SqliteSessionStoreTests : SessionStoreContractTests
{
    protected override async Task<StoreBackend> OpenAsync() => await SqliteBackend.OpenAsync();
}

/// <summary>The contract on PostgreSQL, plus stale saves from another gateway (its own connection pool).</summary>
public sealed class PostgresSessionStoreTests : SessionStoreContractTests
{
    protected override async Task<StoreBackend> OpenAsync() => await PostgresBackend.OpenAsync();

    [Fact]
    public async Task Save_C01_TwoGatewaysSaveSameVersion_ExactlyOneWins()
    {
        await using var backend = await PostgresBackend.OpenAsync();
        var gateways = new[] { backend.Sessions, new PostgresSessionStore(await backend.OpenDatabaseAsync()), new PostgresSessionStore(await backend.OpenDatabaseAsync()) };
        await backend.Sessions.SaveAsync(Sample("s1"), TestContext.Current.CancellationToken);
        var copies = new List<AgentSession>();
        for (var i = 0; i < 9; i++)
        {
            var copy = (await gateways[i % 3].GetAsync("s1", TestContext.Current.CancellationToken))!;
            copy.Messages.Add(new ChatMessage(ChatRole.User, "turn " + i));
            copies.Add(copy);
        }

        var outcomes = await Task.WhenAll(copies.Select((c, i) => Task.Run(async () =>
        {
            try
            {
                await gateways[i % 3].SaveAsync(c);
                return true;
            }
            catch (SessionBusyException)
            {
                return false;
            }
        })));

        Assert.Equal(1, outcomes.Count(o => o));
        var winner = outcomes.ToList().IndexOf(true);
        var stored = (await gateways[(winner + 1) % 3].GetAsync("s1", TestContext.Current.CancellationToken))!;
        Assert.Equal((2L, "turn " + winner), (stored.Version, stored.Messages[^1].Text));
        Assert.Equal(3L, await backend.CountAsync("messages"));
    }
}
