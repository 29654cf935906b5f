using Edgewise.Server.Storage;

namespace Edgewise.Server.Tests.Storage;

/// <summary>The audit contract on SQLite (its offline tampering tests are in <see cref="SqliteAuditLogTests"/>).</summary>
public sealed class SqliteAuditLogContractTests : AuditLogContractTests
{
    protected override async Task<StoreBackend> OpenAsync() => await SqliteBackend.OpenAsync();
}

/// <summary>
/// The audit contract on PostgreSQL, plus what only a shared server adds: writers in different processes (separate
/// connection pools) still build one chain, truncation is refused, and rows removed behind the triggers' back are
/// reported at the first missing row because the head row still names the old end.
/// </summary>
public sealed class PostgresAuditLogTests : AuditLogContractTests
{
    protected override async Task<StoreBackend> OpenAsync() => await PostgresBackend.OpenAsync();

    [Fact]
    public async Task Append_TwoGateways_OneChain()
    {
        await using var backend = await PostgresBackend.OpenAsync();
        var second = new PostgresAuditLog(await backend.OpenDatabaseAsync());

        await Task.WhenAll(
            Task.Run(() => AuditLogContractTests.AppendAsync(backend.Audit, 40, "a"), TestContext.Current.CancellationToken),
            Task.Run(() => AuditLogContractTests.AppendAsync(second, 40, "b"), TestContext.Current.CancellationToken),
            Task.Run(() => AuditLogContractTests.AppendAsync(second, 40, "c"), TestContext.Current.CancellationToken));

        var result = await backend.VerifyAuditAsync();
        Assert.Equal((true, 120L), (result.IsValid, result.RowsChecked));
        Assert.Equal(result.HeadHash, (await second.VerifyAsync(TestContext.Current.CancellationToken)).HeadHash);
    }

    [Fact]
    public async Task Truncate_Refused()
    {
        await using var backend = await OpenAsync();
        await AuditLogContractTests.AppendAsync(backend.Audit, 3);

        await Assert.ThrowsAnyAsync<Exception>(() => backend.ExecuteRawAsync("TRUNCATE audit"));
        await Assert.ThrowsAnyAsync<Exception>(() => backend.ExecuteRawAsync("DELETE FROM audit_head"));
        await Assert.ThrowsAnyAsync<Exception>(() => backend.ExecuteRawAsync("UPDATE audit_head SET seq = 1"));

        Assert.True((await backend.VerifyAuditAsync()).IsValid);
    }

    [Theory]
    [InlineData("UPDATE audit SET detail = 'nothing happened' WHERE seq = 7", 7)]
    [InlineData("UPDATE audit SET tool = NULL WHERE seq = 12", 12)]
    [InlineData("DELETE FROM audit WHERE seq = 5", 6)]
    [InlineData("DELETE FROM audit WHERE seq >= 13", 13)]
    [InlineData("TRUNCATE audit", 1)]
    public async Task Verify_P06_TamperedBehindTheTriggers_ReportsExactRow(string tamper, long brokenSeq)
    {
        await using var backend = await PostgresBackend.OpenAsync();
        await AuditLogContractTests.AppendAsync(backend.Audit, 15);

        await backend.ExecuteRawAsync("ALTER TABLE audit DISABLE TRIGGER USER; " + tamper);

        var result = await backend.VerifyAuditAsync();
        Assert.False(result.IsValid);
        Assert.Equal(brokenSeq, result.FirstBrokenSeq);
    }

    [Fact]
    public async Task Open_ManyGatewaysAtOnce_MigrateOnceAndAgree()
    {
        await using var backend = await PostgresBackend.OpenAsync();

        var opened = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => backend.OpenDatabaseAsync())));

        Assert.Equal(6, opened.Length);
        Assert.Equal(1L, await backend.CountAsync("edgewise_schema"));
        Assert.Equal(1L, await backend.CountAsync("audit_head"));
    }

    [Fact]
    public async Task Open_NewerSchema_Refused()
    {
        await using var backend = await PostgresBackend.OpenAsync();
        await backend.ExecuteRawAsync("UPDATE edgewise_schema SET version = version + 1");

        var error = await Assert.ThrowsAsync<StorageException>(() => backend.OpenDatabaseAsync());
        Assert.Equal(StorageException.NewerSchema, error.Code);
    }

    [Fact]
    public async Task Open_UnreachableServer_StorageUnavailableWithoutPassword()
    {
        var options = new PostgresStorageOptions { ConnectionString = "Host=127.0.0.1;Port=1;Username=x;Password=s3cret-word;Timeout=2" };

        var error = await Assert.ThrowsAsync<StorageException>(() => PostgresDatabase.OpenAsync(options, TestContext.Current.CancellationToken));

        Assert.Equal(StorageException.Unavailable, error.Code);
        Assert.DoesNotContain("s3cret-word", error.ToString(), StringComparison.Ordinal);
    }
}
