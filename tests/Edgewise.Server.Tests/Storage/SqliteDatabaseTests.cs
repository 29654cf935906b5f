using Edgewise.Server.Storage;

namespace Edgewise.Server.Tests.Storage;

public sealed class SqliteDatabaseTests : IDisposable
{
    private readonly TempDatabase _temp = new();

    [Fact]
    public async Task Open_NewFile_CreatesSchemaAtCurrentVersionAndReopens()
    {
        await (await _temp.OpenAsync()).DisposeAsync();
        await using var database = await _temp.OpenAsync();

        await using var connection = await database.OpenReadConnectionAsync(TestContext.Current.CancellationToken);
        Assert.Equal((long)SqliteMigrations.CurrentVersion, TempDatabase.Scalar(connection, "SELECT version FROM schema_version"));
        Assert.Equal(1L, TempDatabase.Scalar(connection, "SELECT count(*) FROM schema_version"));
    }

    [Theory]
    [InlineData(new byte[] { 1, 2, 3 })]
    [InlineData(new byte[] { 0x7B, 0x22, 0x61, 0x22, 0x3A, 0x31, 0x7D, 0x0A, 0x7B, 0x22, 0x61, 0x22, 0x3A, 0x31, 0x7D, 0x0A, 0x0A })]
    public async Task Open_P03_NotADatabase_RefusedAndNeverOverwritten(byte[] content)
    {
        await File.WriteAllBytesAsync(_temp.Path, content, TestContext.Current.CancellationToken);

        var error = await Assert.ThrowsAsync<StorageException>(_temp.OpenAsync);

        Assert.Equal(StorageException.NotADatabase, error.Code);
        Assert.DoesNotContain(_temp.Directory, error.Message, StringComparison.Ordinal);
        Assert.Equal(content, await File.ReadAllBytesAsync(_temp.Path, TestContext.Current.CancellationToken));
        Assert.False(File.Exists(_temp.Path + "-wal"));
    }

    [Fact]
    public async Task Open_P03_NewerSchemaVersion_RefusedAndUntouched()
    {
        await (await _temp.OpenAsync()).DisposeAsync();
        using (var raw = _temp.OpenRaw())
        {
            TempDatabase.Execute(raw, "UPDATE schema_version SET version = 999");
        }

        var error = await Assert.ThrowsAsync<StorageException>(_temp.OpenAsync);

        Assert.Equal(StorageException.NewerSchema, error.Code);
        using var check = _temp.OpenRaw();
        Assert.Equal(999L, TempDatabase.Scalar(check, "SELECT version FROM schema_version"));
    }

    [Fact]
    public async Task Open_P03_CorruptPages_Refused()
    {
        await using (var database = await _temp.OpenAsync())
        {
            var log = new SqliteAuditLog(database);
            for (var i = 0; i < 200; i++)
            {
                await log.AppendAsync(new Edgewise.Agents.Storage.AuditRecord(DateTimeOffset.UtcNow, "s" + i, "a", "tool_call", new string('x', 200)), TestContext.Current.CancellationToken);
            }
        }

        var bytes = await File.ReadAllBytesAsync(_temp.Path, TestContext.Current.CancellationToken);
        Assert.True(bytes.Length > 8192);
        new Random(7).NextBytes(bytes.AsSpan(4096, bytes.Length - 4096));
        await File.WriteAllBytesAsync(_temp.Path, bytes, TestContext.Current.CancellationToken);

        var error = await Assert.ThrowsAsync<StorageException>(_temp.OpenAsync);

        Assert.Contains(error.Code, new[] { StorageException.Corrupt, StorageException.NotADatabase });
    }

    [Fact]
    public async Task Connections_P05_EveryPooledConnectionHasThePragmas()
    {
        await using var database = await _temp.OpenAsync();
        var connections = new List<Microsoft.Data.Sqlite.SqliteConnection>();
        for (var round = 0; round < 3; round++)
        {
            for (var i = 0; i < 8; i++)
            {
                connections.Add(await database.OpenReadConnectionAsync(TestContext.Current.CancellationToken));
            }

            foreach (var connection in connections)
            {
                Assert.Equal("wal", TempDatabase.Scalar(connection, "PRAGMA journal_mode"));
                Assert.Equal(2L, TempDatabase.Scalar(connection, "PRAGMA synchronous"));
                Assert.Equal(1L, TempDatabase.Scalar(connection, "PRAGMA foreign_keys"));
                Assert.Equal((long)SqliteDatabase.BusyTimeoutMilliseconds, TempDatabase.Scalar(connection, "PRAGMA busy_timeout"));
                TempDatabase.Execute(connection, "PRAGMA foreign_keys=0");
                await connection.DisposeAsync();
            }

            connections.Clear();
        }

        var writer = await database.WriteAsync((c, t) => (
            SqliteDatabase.Scalar(c, "PRAGMA journal_mode", t), SqliteDatabase.Scalar(c, "PRAGMA synchronous", t),
            SqliteDatabase.Scalar(c, "PRAGMA foreign_keys", t), SqliteDatabase.Scalar(c, "PRAGMA busy_timeout", t)), TestContext.Current.CancellationToken);
        Assert.Equal(("wal", 2L, 1L, 5000L), ((string)writer.Item1!, (long)writer.Item2!, (long)writer.Item3!, (long)writer.Item4!));
    }

    [Fact]
    public async Task ReadConnection_IsQueryOnly()
    {
        await using var database = await _temp.OpenAsync();
        await using var connection = await database.OpenReadConnectionAsync(TestContext.Current.CancellationToken);

        Assert.ThrowsAny<Microsoft.Data.Sqlite.SqliteException>(() => TempDatabase.Execute(connection, "DELETE FROM sessions"));
    }

    [Fact]
    public async Task Write_FailingWork_RolledBackAndWriterKeepsGoing()
    {
        await using var database = await _temp.OpenAsync();

        await Assert.ThrowsAsync<InvalidOperationException>(() => database.WriteAsync<int>((c, t) =>
        {
            using var command = c.CreateCommand();
            command.Transaction = t;
            command.CommandText = "INSERT INTO audit(seq, ts, session_id, agent, kind, detail, prev_hash, hash) VALUES (1, 't', 's', 'a', 'k', 'd', 'p', 'h')";
            command.ExecuteNonQuery();
            throw new InvalidOperationException("abort");
        }, TestContext.Current.CancellationToken));
        var count = await database.WriteAsync((c, t) => (long)SqliteDatabase.Scalar(c, "SELECT count(*) FROM audit", t)!, TestContext.Current.CancellationToken);

        Assert.Equal(0, count);
    }

    public void Dispose() => _temp.Dispose();
}
