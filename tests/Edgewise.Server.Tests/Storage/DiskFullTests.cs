using Edgewise.Agents;
using Edgewise.Server.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.AI;

namespace Edgewise.Server.Tests.Storage;

/// <summary>
/// P02 at the SQLite level: <c>PRAGMA max_page_count</c> on the single writer makes SQLite answer SQLITE_FULL exactly
/// as a full disk does (the tmpfs variant of the row needs mount rights the test machines lack).
/// </summary>
public sealed class DiskFullTests : IDisposable
{
    private readonly TempDatabase _temp = new();

    [Fact]
    public async Task Save_P02_DiskFull_RolledBackThenRecoversWhenSpaceFrees()
    {
        await using var database = await _temp.OpenAsync();
        var store = new SqliteSessionStore(database);
        var session = new AgentSession("full") { AgentName = "kiosk" };
        session.Messages.Add(new ChatMessage(ChatRole.User, "first"));
        await store.SaveAsync(session, TestContext.Current.CancellationToken);
        await database.WriteAsync((c, t) => SqliteDatabase.Scalar(c, "PRAGMA max_page_count = " + ((long)SqliteDatabase.Scalar(c, "PRAGMA page_count", t)! + 2), t), TestContext.Current.CancellationToken);

        session.Messages.Add(new ChatMessage(ChatRole.User, new string('x', 200_000)));
        var error = await Assert.ThrowsAsync<StorageException>(() => store.SaveAsync(session, TestContext.Current.CancellationToken));

        Assert.Equal(StorageException.Unavailable, error.Code);
        Assert.Equal(13, Assert.IsType<SqliteException>(error.InnerException).SqliteErrorCode);
        Assert.Equal(1, session.Version);
        var stored = (await store.GetAsync("full", TestContext.Current.CancellationToken))!;
        Assert.Single(stored.Messages);
        Assert.Equal(1, stored.Version);

        await database.WriteAsync((c, t) => SqliteDatabase.Scalar(c, "PRAGMA max_page_count = 1073741823", t), TestContext.Current.CancellationToken);
        await store.SaveAsync(session, TestContext.Current.CancellationToken);

        Assert.Equal(2, (await store.GetAsync("full", TestContext.Current.CancellationToken))!.Messages.Count);
        await using var connection = await database.OpenReadConnectionAsync(TestContext.Current.CancellationToken);
        Assert.Equal("ok", TempDatabase.Scalar(connection, "PRAGMA integrity_check"));
    }

    public void Dispose() => _temp.Dispose();
}
