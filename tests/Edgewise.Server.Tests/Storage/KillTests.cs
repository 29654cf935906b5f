using System.Diagnostics;
using Edgewise.Server.Storage;

namespace Edgewise.Server.Tests.Storage;

/// <summary>
/// docs/security.md P01: a session writer killed with SIGKILL at random moments loses no acknowledged turn. CI runs 50 kills;
/// a longer run is the same test with more: <c>EDGEWISE_P01_KILLS=1000 dotnet test tests/Edgewise.Server.Tests -c Release --filter P01</c>.
/// </summary>
public sealed class KillTests : IDisposable
{
    private static readonly int Kills = int.TryParse(Environment.GetEnvironmentVariable("EDGEWISE_P01_KILLS"), out var kills) && kills > 0 ? kills : 50;
    private readonly TempDatabase _temp = new();

    [Fact]
    public async Task Kill9_P01_AcknowledgedTurnsSurviveAndChainVerifies()
    {
        var random = new Random(2026);
        var acknowledged = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var kill = 0; kill < Kills; kill++)
        {
            var duringStartup = kill % 10 == 9;
            foreach (var (session, count) in await RunAndKillAsync(TimeSpan.FromMilliseconds(random.Next(0, duringStartup ? 400 : 250)), duringStartup))
            {
                acknowledged[session] = Math.Max(acknowledged.GetValueOrDefault(session), count);
            }
        }

        Assert.NotEmpty(acknowledged);
        using (var raw = _temp.OpenRaw())
        {
            Assert.Equal("ok", TempDatabase.Scalar(raw, "PRAGMA integrity_check"));
            Assert.Equal(0L, TempDatabase.Scalar(raw, "SELECT count(*) FROM sessions s WHERE s.message_count <> (SELECT count(*) FROM messages m WHERE m.session_id = s.id)"));
        }

        await using var database = await _temp.OpenAsync();
        var store = new SqliteSessionStore(database);
        foreach (var (id, count) in acknowledged)
        {
            var session = await store.GetAsync(id, TestContext.Current.CancellationToken);
            Assert.NotNull(session);
            Assert.True(session.Messages.Count >= count, $"{id}: {session.Messages.Count} < acknowledged {count}");
            Assert.True(session.Messages.Count % 2 == 0, $"{id}: partial turn");
            for (var i = 0; i < session.Messages.Count; i += 2)
            {
                Assert.StartsWith($"question {i / 2} ", session.Messages[i].Text);
                Assert.StartsWith($"answer {i / 2} ", session.Messages[i + 1].Text);
            }
        }

        var verification = await new SqliteAuditLog(database).VerifyAsync(TestContext.Current.CancellationToken);
        Assert.True(verification.IsValid, $"audit chain broken at {verification.FirstBrokenSeq}");
        Assert.True(verification.RowsChecked > 0);
    }

    /// <summary>Starts the writer and kills it <paramref name="after"/> its first acknowledged turn, or after it starts when <paramref name="duringStartup"/>.</summary>
    private async Task<List<(string Session, int Count)>> RunAndKillAsync(TimeSpan after, bool duringStartup)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(typeof(KillTests).Assembly.Location);
        start.Environment[CrashWriter.DatabaseVariable] = _temp.Path;
        using var process = Process.Start(start)!;
        var lines = new List<string>();
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        if (!duringStartup)
        {
            var ready = await process.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken);
            if (ready != "READY;")
            {
                await process.WaitForExitAsync(TestContext.Current.CancellationToken);
                Assert.Fail("The writer process did not start: " + await stderr);
            }
        }

        var firstAck = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reader = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                lines.Add(line);
                firstAck.TrySetResult();
            }

            firstAck.TrySetResult();
        });
        if (!duringStartup)
        {
            await firstAck.Task.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        }

        await Task.Delay(after, TestContext.Current.CancellationToken);
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        await reader;
        await stderr;
        Assert.NotEqual(3, process.ExitCode);
        var acknowledged = new List<(string, int)>();
        foreach (var line in lines)
        {
            var parts = line.Split(' ');
            if (parts is ["ACK", var id, var count] && count.EndsWith(';'))
            {
                acknowledged.Add((id, int.Parse(count[..^1], System.Globalization.CultureInfo.InvariantCulture)));
            }
        }

        return acknowledged;
    }

    public void Dispose() => _temp.Dispose();
}
