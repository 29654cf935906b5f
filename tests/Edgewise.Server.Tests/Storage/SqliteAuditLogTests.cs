using Edgewise.Agents.Storage;
using Edgewise.Server.Storage;

namespace Edgewise.Server.Tests.Storage;

public sealed class SqliteAuditLogTests : IDisposable
{
    private readonly TempDatabase _temp = new();

    [Fact]
    public async Task Verify_IntactChain_Valid()
    {
        await using var database = await _temp.OpenAsync();
        var log = new SqliteAuditLog(database);
        await AppendAsync(log, 20);

        var result = await log.VerifyAsync(TestContext.Current.CancellationToken);

        Assert.Equal((true, 20L, (long?)null), (result.IsValid, result.RowsChecked, result.FirstBrokenSeq));
        Assert.Equal(64, result.HeadHash.Length);
        var rows = await log.GetAsync("s3", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(("s3", "tool_call", "get_weather"), (rows.Single().SessionId, rows.Single().Kind, rows.Single().ToolName));
    }

    [Fact]
    public async Task Append_P06_UpdateAndDeleteThroughSql_Refused()
    {
        await using (var database = await _temp.OpenAsync())
        {
            await AppendAsync(new SqliteAuditLog(database), 3);
        }

        using var raw = _temp.OpenRaw();
        Assert.ThrowsAny<Microsoft.Data.Sqlite.SqliteException>(() => TempDatabase.Execute(raw, "UPDATE audit SET detail = 'x' WHERE seq = 2"));
        Assert.ThrowsAny<Microsoft.Data.Sqlite.SqliteException>(() => TempDatabase.Execute(raw, "DELETE FROM audit WHERE seq = 2"));
    }

    [Theory]
    [InlineData("UPDATE audit SET detail = 'nothing happened' WHERE seq = 7", 7)]
    [InlineData("UPDATE audit SET kind = 'tool_result' WHERE seq = 1", 1)]
    [InlineData("UPDATE audit SET tool = NULL WHERE seq = 12", 12)]
    [InlineData("DELETE FROM audit WHERE seq = 5", 6)]
    [InlineData("UPDATE audit SET seq = seq + 100 WHERE seq = 9", 10)]
    [InlineData("INSERT INTO audit SELECT 100, ts, session_id, agent, kind, detail, tool, call_id, args_hash, prev_hash, hash FROM audit WHERE seq = 3", 100)]
    public async Task Verify_P06_RowEditedOrDeletedOffline_ReportsExactRow(string tamper, long brokenSeq)
    {
        await using (var database = await _temp.OpenAsync())
        {
            await AppendAsync(new SqliteAuditLog(database), 15);
        }

        using (var raw = _temp.OpenRaw())
        {
            TempDatabase.Execute(raw, "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;");
            TempDatabase.Execute(raw, tamper);
        }

        await using var reopened = await _temp.OpenAsync();
        var result = await new SqliteAuditLog(reopened).VerifyAsync(TestContext.Current.CancellationToken);

        Assert.False(result.IsValid);
        Assert.Equal(brokenSeq, result.FirstBrokenSeq);
    }

    [Fact]
    public async Task Verify_P06_RehashedEditStillBreaksAtNextRow()
    {
        await using (var database = await _temp.OpenAsync())
        {
            await AppendAsync(new SqliteAuditLog(database), 5);
        }

        using (var raw = _temp.OpenRaw())
        {
            TempDatabase.Execute(raw, "DROP TRIGGER audit_no_update; UPDATE audit SET hash = 'ffff' WHERE seq = 3;");
        }

        await using var reopened = await _temp.OpenAsync();
        Assert.Equal(3, (await new SqliteAuditLog(reopened).VerifyAsync(TestContext.Current.CancellationToken)).FirstBrokenSeq);
    }

    [Fact]
    public async Task Append_ConcurrentWriters_ChainStaysLinear()
    {
        await using var database = await _temp.OpenAsync();
        var log = new SqliteAuditLog(database);

        await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(() => AppendAsync(log, 25, "w" + w))));

        var result = await log.VerifyAsync(TestContext.Current.CancellationToken);
        Assert.True(result.IsValid);
        Assert.Equal(200, result.RowsChecked);
    }

    [Theory]
    [InlineData("DELETE FROM audit WHERE seq = 15", 15L)]
    [InlineData("DELETE FROM audit WHERE seq > 5", 6L)]
    [InlineData("DELETE FROM audit", 1L)]
    public async Task AuditTruncation_IsDetectedAgainstTheHeadFile(string tamper, long firstMissing)
    {
        await using (var database = await _temp.OpenAsync())
        {
            await AppendAsync(new SqliteAuditLog(database), 15);
        }

        using (var raw = _temp.OpenRaw())
        {
            TempDatabase.Execute(raw, "DROP TRIGGER audit_no_delete;");
            TempDatabase.Execute(raw, tamper);
        }

        await using var reopened = await _temp.OpenAsync();
        var result = await new SqliteAuditLog(reopened).VerifyAsync(TestContext.Current.CancellationToken);

        Assert.False(result.IsValid);
        Assert.Equal(firstMissing, result.FirstBrokenSeq);
        Assert.Contains("vouches for 15 rows", result.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuditTruncation_AppendsAfterTheCut_HeadKeepsTheEvidence()
    {
        await using (var database = await _temp.OpenAsync())
        {
            await AppendAsync(new SqliteAuditLog(database), 10);
        }

        using (var raw = _temp.OpenRaw())
        {
            TempDatabase.Execute(raw, "DROP TRIGGER audit_no_delete; DELETE FROM audit;");
        }

        await using var reopened = await _temp.OpenAsync();
        var log = new SqliteAuditLog(reopened);
        await AppendAsync(log, 12, "after");

        var result = await log.VerifyAsync(TestContext.Current.CancellationToken);
        Assert.False(log.HeadMatches);
        Assert.False(result.IsValid);
        Assert.Equal(10, result.FirstBrokenSeq);
        Assert.Equal(10, AuditHead.Read(AuditHead.PathFor(_temp.Path))!.Seq);
    }

    [Fact]
    public async Task AuditRollback_OlderCopyOfTheDatabase_IsDetected()
    {
        var copy = _temp.Path + ".old";
        await using (var database = await _temp.OpenAsync())
        {
            await AppendAsync(new SqliteAuditLog(database), 5);
        }

        File.Copy(_temp.Path, copy);
        await using (var database = await _temp.OpenAsync())
        {
            await AppendAsync(new SqliteAuditLog(database), 5, "later");
        }

        File.Copy(copy, _temp.Path, overwrite: true);
        await using var rolledBack = await _temp.OpenAsync();
        var result = await new SqliteAuditLog(rolledBack).VerifyAsync(TestContext.Current.CancellationToken);

        Assert.False(result.IsValid);
        Assert.Equal(6, result.FirstBrokenSeq);
    }

    [Fact]
    public async Task AuditRollback_OlderCopyGrownPastTheHead_IsDetectedAtTheHeadRow()
    {
        var copy = _temp.Path + ".old";
        await using (var database = await _temp.OpenAsync())
        {
            await AppendAsync(new SqliteAuditLog(database), 3);
        }

        File.Copy(_temp.Path, copy);
        await using (var database = await _temp.OpenAsync())
        {
            await AppendAsync(new SqliteAuditLog(database), 3, "genuine");
        }

        // The old copy is put back and written on until it is longer than the real log was.
        File.Copy(copy, _temp.Path, overwrite: true);
        await using var rolledBack = await _temp.OpenAsync();
        var log = new SqliteAuditLog(rolledBack);
        await AppendAsync(log, 6, "forged");
        var result = await log.VerifyAsync(TestContext.Current.CancellationToken);

        Assert.False(result.IsValid);
        Assert.Equal(6, result.FirstBrokenSeq);
        Assert.Contains("replaced or rolled back", result.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuditHead_MissingWhileRowsExist_NotVerified()
    {
        await using var database = await _temp.OpenAsync();
        var log = new SqliteAuditLog(database);
        await AppendAsync(log, 4);
        File.Delete(AuditHead.PathFor(_temp.Path));

        var result = await log.VerifyAsync(TestContext.Current.CancellationToken);

        Assert.False(result.IsValid);
        Assert.Contains("head file is missing", result.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuditHead_BehindTheTable_AsAfterACrashBetweenCommitAndHeadWrite_Verifies()
    {
        await using var database = await _temp.OpenAsync();
        var log = new SqliteAuditLog(database);
        await AppendAsync(log, 3);
        var atThree = AuditHead.Read(AuditHead.PathFor(_temp.Path))!;
        await AppendAsync(log, 2, "late");
        atThree.Write(AuditHead.PathFor(_temp.Path));

        var result = await log.VerifyAsync(TestContext.Current.CancellationToken);

        Assert.True(result.IsValid);
        Assert.Equal((5L, 2L), (result.RowsChecked, result.RowsPastHead));
    }

    [Fact]
    public async Task AuditHead_FollowsEveryAppend()
    {
        await using var database = await _temp.OpenAsync();
        var log = new SqliteAuditLog(database);
        Assert.Null(AuditHead.Read(AuditHead.PathFor(_temp.Path)));

        await AppendAsync(log, 7);

        var result = await log.VerifyAsync(TestContext.Current.CancellationToken);
        Assert.Equal(new AuditHead(7, result.HeadHash), AuditHead.Read(AuditHead.PathFor(_temp.Path)));
        Assert.Equal(0, result.RowsPastHead);
    }

    private static async Task AppendAsync(SqliteAuditLog log, int count, string prefix = "s")
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

    public void Dispose() => _temp.Dispose();
}
