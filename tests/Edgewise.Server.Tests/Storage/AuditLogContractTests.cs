using Edgewise.Agents.Storage;
using Edgewise.Server.Storage;

namespace Edgewise.Server.Tests.Storage;

/// <summary>
/// The audit log contract, run against every backend: one verifiable hash chain, rows readable per session,
/// no UPDATE or DELETE through SQL, concurrent writers kept linear, and the same row hashing alike everywhere.
/// Backend-specific tampering lives in <see cref="SqliteAuditLogTests"/> and <see cref="PostgresAuditLogTests"/>.
/// </summary>
public abstract class AuditLogContractTests
{
    /// <summary>A fresh, empty backend.</summary>
    protected abstract Task<StoreBackend> OpenAsync();

    [Fact]
    public async Task Verify_IntactChain_Valid()
    {
        await using var backend = await OpenAsync();
        await AppendAsync(backend.Audit, 20);

        var result = await backend.VerifyAuditAsync();

        Assert.Equal((true, 20L, (long?)null), (result.IsValid, result.RowsChecked, result.FirstBrokenSeq));
        Assert.Equal(64, result.HeadHash.Length);
        var rows = await backend.GetAuditAsync("s3");
        Assert.Equal(("s3", "tool_call", "get_weather"), (rows.Single().SessionId, rows.Single().Kind, rows.Single().ToolName));
    }

    [Fact]
    public async Task Verify_EmptyLog_ValidWithGenesisHead()
    {
        await using var backend = await OpenAsync();

        var result = await backend.VerifyAuditAsync();

        Assert.Equal((true, 0L, AuditChain.GenesisHash), (result.IsValid, result.RowsChecked, result.HeadHash));
    }

    [Fact]
    public async Task Append_RoundTripsFieldsIncludingNullsAndTimestamp()
    {
        await using var backend = await OpenAsync();
        var record = new AuditRecord(new DateTimeOffset(2026, 3, 4, 5, 6, 7, TimeSpan.FromHours(2)).AddTicks(1234567), "s-1", "kiosk", "denied", "approval denied");

        await backend.Audit.AppendAsync(record, TestContext.Current.CancellationToken);

        var stored = Assert.Single(await backend.GetAuditAsync("s-1"));
        Assert.Equal(record.Timestamp.UtcTicks, stored.Timestamp.UtcTicks);
        Assert.Equal((record.AgentName, record.Kind, record.Detail), (stored.AgentName, stored.Kind, stored.Detail));
        Assert.Equal(((string?)null, (string?)null, (string?)null), (stored.ToolName, stored.CallId, stored.ArgumentsHash));
    }

    [Fact]
    public async Task Append_P06_UpdateAndDeleteThroughSql_Refused()
    {
        await using var backend = await OpenAsync();
        await AppendAsync(backend.Audit, 3);

        await Assert.ThrowsAnyAsync<Exception>(() => backend.ExecuteRawAsync("UPDATE audit SET detail = 'x' WHERE seq = 2"));
        await Assert.ThrowsAnyAsync<Exception>(() => backend.ExecuteRawAsync("DELETE FROM audit WHERE seq = 2"));

        Assert.Equal(3L, await backend.CountAsync("audit"));
        Assert.True((await backend.VerifyAuditAsync()).IsValid);
    }

    [Fact]
    public async Task Append_ConcurrentWriters_ChainStaysLinear()
    {
        await using var backend = await OpenAsync();

        await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(() => AppendAsync(backend.Audit, 25, "w" + w))));

        var result = await backend.VerifyAuditAsync();
        Assert.True(result.IsValid);
        Assert.Equal(200, result.RowsChecked);
    }

    [Fact]
    public async Task Verify_SameRowsOnEveryBackend_SameHeadHash()
    {
        await using var backend = await OpenAsync();
        var at = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
        await backend.Audit.AppendAsync(new AuditRecord(at, "s", "kiosk", "tool_call", "tool invoked") { ToolName = "t", CallId = "c", ArgumentsHash = "h" }, TestContext.Current.CancellationToken);
        await backend.Audit.AppendAsync(new AuditRecord(at.AddSeconds(1), "s", "kiosk", "denied", "approval denied"), TestContext.Current.CancellationToken);

        // The chain's head, recomputed here from the documented row format: every backend stores and hashes alike.
        var first = AuditChain.ComputeHash(AuditChain.GenesisHash, 1, "2026-01-02T03:04:05.0000000Z", "s", "kiosk", "tool_call", "tool invoked", "t", "c", "h");
        var second = AuditChain.ComputeHash(first, 2, "2026-01-02T03:04:06.0000000Z", "s", "kiosk", "denied", "approval denied", null, null, null);
        Assert.Equal(second, (await backend.VerifyAuditAsync()).HeadHash);
    }

    internal static async Task AppendAsync(IAuditLog log, int count, string prefix = "s")
    {
        for (var i = 0; i < count; i++)
        {
            await log.AppendAsync(new AuditRecord(DateTimeOffset.UtcNow, prefix + i, "kiosk", "tool_call", "tool invoked")
            {
                ToolName = "get_weather",
                CallId = "c" + i,
                ArgumentsHash = new string('a', 64),
            });
        }
    }
}
