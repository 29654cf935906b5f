using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using Edgewise.Server.Admission;
using Edgewise.Server.Tests.Support;
using Microsoft.Extensions.AI;

namespace Edgewise.Server.Tests.Security;

/// <summary>
/// docs/security.md H10 (slowloris headers and bodies, idle connections, connection cap) and H15 (a stream reader that
/// never reads). These tests run alone, after the parallel ones: H15 reads this process's resident memory, which tests
/// running beside it would move, and the connection tests need the loopback ports and threads to themselves.
/// </summary>
[Collection(SlowClientTests.Alone)]
public sealed class SlowClientTests
{
    /// <summary>The collection of tests that measure the whole process and so must not share it with other tests.</summary>
    public const string Alone = "Process-wide measurements";

    [Fact]
    public async Task Kestrel_H10_SlowlorisHeaders_ClosedByHeaderTimeoutWhileLiveAnswers()
    {
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("x"), o => o.Connections.HeadersTimeout = TimeSpan.FromSeconds(1));
        var sockets = new List<TcpClient>();
        try
        {
            for (var i = 0; i < 20; i++)
            {
                var socket = await ConnectAsync(server);
                await socket.GetStream().WriteAsync("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "u8.ToArray(), TestContext.Current.CancellationToken);
                sockets.Add(socket);
            }

            using var live = await server.Client.GetAsync("/health/live", TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);

            foreach (var socket in sockets)
            {
                var answer = await ReadUntilClosedAsync(socket);
                Assert.DoesNotContain("200 OK", answer, StringComparison.Ordinal);
            }
        }
        finally
        {
            sockets.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public async Task Kestrel_H10_SlowBody_ClosedByMinDataRateAndNothingReachesModel()
    {
        var model = ScriptedChatClient.Text("x");
        await using var server = await LiveServer.StartAsync(model, o => o.Connections.MinDataRateGracePeriod = TimeSpan.FromSeconds(2));
        using var socket = await ConnectAsync(server);
        var head = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"model\":";
        await socket.GetStream().WriteAsync(Encoding.ASCII.GetBytes(head), TestContext.Current.CancellationToken);

        var answer = await ReadUntilClosedAsync(socket);

        Assert.DoesNotContain("200 OK", answer, StringComparison.Ordinal);
        Assert.Equal(0, model.Calls);
        using var live = await server.Client.GetAsync("/health/live", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    [Fact]
    public async Task Kestrel_H10_IdleConnectionsAtTheCap_NextRefusedThenIdleOnesClosedByKeepAliveTimeout()
    {
        const int Cap = 6;
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("x"), o =>
        {
            o.Connections.MaxConnections = Cap;
            o.Connections.KeepAliveTimeout = TimeSpan.FromSeconds(4);
        });
        var idle = new List<TcpClient>();
        try
        {
            for (var i = 0; i < Cap; i++)
            {
                var socket = await ConnectAsync(server);
                Assert.Contains("200 OK", await RequestLiveAsync(socket), StringComparison.Ordinal);
                idle.Add(socket);
            }

            using (var refused = await ConnectAsync(server))
            {
                await refused.GetStream().WriteAsync("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"u8.ToArray(), TestContext.Current.CancellationToken);
                Assert.DoesNotContain("200 OK", await ReadUntilClosedAsync(refused), StringComparison.Ordinal);
            }

            foreach (var socket in idle)
            {
                await ReadUntilClosedAsync(socket);
            }

            using var live = await server.Client.GetAsync("/health/live", TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        }
        finally
        {
            idle.ForEach(s => s.Dispose());
        }
    }

    /// <summary>
    /// H10 at a chosen scale: <c>EDGEWISE_H10_CONNECTIONS</c> idle connections (default 200; the full proof is 10,000)
    /// held open below the connection cap by a separate process (<see cref="IdleConnectionHolder"/>, so each process
    /// holds one end of each connection and stays under <c>ulimit -n</c>) while normal requests on other connections
    /// still answer, and none of the idle ones is dropped to make room. The latency of those requests, the time to
    /// open the connections and the server's resident memory before and after are printed.
    /// </summary>
    [Fact]
    public async Task Kestrel_H10_ManyIdleConnections_NormalRequestsStillAnswer()
    {
        var count = int.TryParse(Environment.GetEnvironmentVariable("EDGEWISE_H10_CONNECTIONS"), out var n) && n > 0 ? n : 200;
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("ok"), o =>
        {
            o.Connections.MaxConnections = count + 64;
            o.Connections.HeadersTimeout = TimeSpan.FromMinutes(10);
            o.Connections.KeepAliveTimeout = TimeSpan.FromMinutes(10);
        });
        using (var warm = await server.Client.GetAsync("/health/live", TestContext.Current.CancellationToken))
        {
            // The client's connection and the route are warm before the measured requests.
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        var rssBefore = ResidentBytes();
        var opening = System.Diagnostics.Stopwatch.StartNew();
        using var holder = IdleConnectionHolder.Start(server.BaseAddress.Port, count);
        try
        {
            var held = await holder.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(TimeSpan.FromMinutes(3), TestContext.Current.CancellationToken);
            if (held != "HELD " + count)
            {
                Assert.Fail("the holder did not open its connections: " + held + " " + await ErrorsAsync(holder));
            }

            opening.Stop();

            var latencies = new List<double>();
            for (var i = 0; i < 200; i++)
            {
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                using var live = await server.Client.GetAsync("/health/live", TestContext.Current.CancellationToken);
                latencies.Add(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                Assert.Equal(HttpStatusCode.OK, live.StatusCode);
            }

            using (var chat = await server.PostChatAsync(LiveServer.Chat()))
            {
                Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
            }

            // Every idle connection is still open: none was dropped to make room for the requests.
            await holder.StandardInput.WriteLineAsync("CHECK");
            await holder.StandardInput.FlushAsync(TestContext.Current.CancellationToken);
            var open = await holder.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(TimeSpan.FromMinutes(1), TestContext.Current.CancellationToken);
            Assert.Equal("OPEN " + count, open);
            var rssAfter = ResidentBytes();
            latencies.Sort();
            TestContext.Current.TestOutputHelper?.WriteLine(System.FormattableString.Invariant(
                $"{count} idle connections (opened in {opening.Elapsed.TotalSeconds:F1} s by a second process): /health/live p50 {latencies[latencies.Count / 2]:F2} ms, p99 {latencies[(int)(latencies.Count * 0.99)]:F2} ms, max {latencies[^1]:F2} ms; test-host RSS {rssBefore / 1048576.0:F0} MiB before, {rssAfter / 1048576.0:F0} MiB with the connections open"));
        }
        finally
        {
            holder.StandardInput.Close();
            if (!holder.WaitForExit(30_000))
            {
                holder.Kill();
            }
        }
    }

    private static async Task<string> ErrorsAsync(System.Diagnostics.Process process)
    {
        if (!process.HasExited)
        {
            process.Kill();
        }

        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return "exit " + process.ExitCode + ": " + await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>This process's resident set size from /proc/self/status (VmRSS), in bytes.</summary>
    private static long ResidentBytes()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }

    [Fact]
    public async Task Stream_H15_ReaderNeverReads_StreamCancelledConnectionClosedAndSlotFreed()
    {
        var model = new ScriptedChatClient((_, _, ct) => BigPieces(ct));
        await using var server = await LiveServer.StartAsync(model, o =>
        {
            o.Connections.MaxResponseBufferBytes = 16 * 1024;
            o.Connections.MinDataRateBytesPerSecond = 1024 * 1024;
            o.Connections.MinDataRateGracePeriod = TimeSpan.FromSeconds(2);
            o.Admission.ParallelSequences = 1;
        });
        var queue = server.Service<AdmissionQueue>();
        using var socket = new TcpClient(AddressFamily.InterNetwork) { ReceiveBufferSize = 1024 };
        await socket.ConnectAsync(IPAddress.Loopback, server.BaseAddress.Port, TestContext.Current.CancellationToken);
        var body = LiveServer.Chat(extra: ",\"stream\":true");
        var request = $"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n{body}";
        await socket.GetStream().WriteAsync(Encoding.ASCII.GetBytes(request), TestContext.Current.CancellationToken);

        await model.Cancelled.Task.WaitAsync(TimeSpan.FromMinutes(1), TestContext.Current.CancellationToken);
        await LiveServer.WaitUntilAsync(() => queue.Snapshot() is [{ Running: 0, Queued: 0 }]);

        await ReadUntilClosedAsync(socket);
        using var next = await server.PostChatAsync(LiveServer.Chat());
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }

    /// <summary>
    /// H15 at a chosen scale: <c>EDGEWISE_H15_CLIENTS</c> streaming clients at once (default 20; the scale run is 500
    /// to 1,000), in a second process, each sending a streamed chat request and never reading, in three waves. Every
    /// one is cut off (its connection closed by the server, its generation cancelled before the end, its slot freed),
    /// and memory is bounded: the server's resident memory, sampled from /proc every 50 ms, grows in the first wave
    /// (buffers and pools sized by the streams in flight) and not again in the later ones, so nothing is kept per
    /// stream. Without the cut each stream would produce 128 MiB. The figures are printed.
    /// </summary>
    [Fact]
    public async Task Stream_H15_ManyReadersNeverRead_AllCutOffMemoryBounded()
    {
        const int Waves = 3;
        var count = int.TryParse(Environment.GetEnvironmentVariable("EDGEWISE_H15_CLIENTS"), out var n) && n > 0 ? n : 20;
        var ended = 0;
        var completed = 0;
        var model = new ScriptedChatClient((_, _, ct) => Counted(ct));
        await using var server = await LiveServer.StartAsync(model, o =>
        {
            o.Connections.MaxResponseBufferBytes = 16 * 1024;
            o.Connections.MinDataRateBytesPerSecond = 1024 * 1024;
            o.Connections.MinDataRateGracePeriod = TimeSpan.FromSeconds(2);
            o.Connections.MaxConnections = count + 64;
            o.Admission.ParallelSequences = Math.Min(count, AdmissionOptions.MaxParallelSequences);
            o.Admission.QueueLength = count;
            o.Admission.PerKeyConcurrency = count;
            o.Admission.QueueTimeout = TimeSpan.FromMinutes(5);
        });
        var queue = server.Service<AdmissionQueue>();
        var body = LiveServer.Chat(extra: ",\"stream\":true");
        var request = Encoding.ASCII.GetBytes($"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n{body}");
        using (var warm = await server.Client.GetAsync("/health/live", TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        var before = ResidentBytes();
        var peak = before;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                Volatile.Write(ref peak, Math.Max(Volatile.Read(ref peak), ResidentBytes()));
                await Task.Delay(50, CancellationToken.None);
            }
        }, CancellationToken.None);
        var peaks = new List<long>();
        var seconds = new List<double>();
        try
        {
            for (var wave = 1; wave <= Waves; wave++)
            {
                var elapsed = System.Diagnostics.Stopwatch.StartNew();
                await CutOffWaveAsync(wave);
                seconds.Add(elapsed.Elapsed.TotalSeconds);
                peaks.Add(Volatile.Read(ref peak));
            }
        }
        finally
        {
            await sampling.CancelAsync();
            await sampler;
        }

        var after = ResidentBytes();
        Assert.Equal(0, Volatile.Read(ref completed));
        using (var next = await server.Client.GetAsync("/health/live", TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        }

        var first = peaks[0] - before;
        var later = peaks[^1] - peaks[0];
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        TestContext.Current.TestOutputHelper?.WriteLine(string.Create(inv,
            $"{count} non-reading streaming clients x {Waves} waves: all cut off and cancelled ({string.Join(", ", seconds.Select(t => t.ToString("F1", inv) + " s"))}); "
            + $"server RSS {before / 1048576.0:F0} MiB before, peak after each wave {string.Join(", ", peaks.Select(p => (p / 1048576.0).ToString("F0", inv) + " MiB"))}, {after / 1048576.0:F0} MiB at the end; "
            + $"first wave +{first / 1048576.0:F0} MiB ({first / count / 1024.0:F0} KiB per stream), later waves +{later / 1048576.0:F0} MiB"));

        // Bounded: the later waves reuse what the first one grew; a per-stream leak would add the first wave's growth again each time.
        Assert.True(later < (first / 4) + (32L * 1024 * 1024), System.FormattableString.Invariant($"resident memory kept growing: +{first / 1048576.0:F0} MiB in the first wave, +{later / 1048576.0:F0} MiB more in the next {Waves - 1}"));

        async Task CutOffWaveAsync(int wave)
        {
            using var holder = IdleConnectionHolder.Start(server.BaseAddress.Port, count, request);
            try
            {
                var held = await holder.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(TimeSpan.FromMinutes(3), TestContext.Current.CancellationToken);
                if (held != "HELD " + count)
                {
                    Assert.Fail("the holder did not open its connections: " + held + " " + await ErrorsAsync(holder));
                }

                var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
                while (!(Volatile.Read(ref ended) == count * wave && queue.Snapshot() is [{ Running: 0, Queued: 0 }]))
                {
                    Assert.True(DateTime.UtcNow < deadline, $"wave {wave}: {Volatile.Read(ref ended) - (count * (wave - 1))} of {count} streams ended");
                    await Task.Delay(100, TestContext.Current.CancellationToken);
                }

                string? open = null;
                for (var i = 0; i < 100 && open != "OPEN 0"; i++)
                {
                    await holder.StandardInput.WriteLineAsync("CHECK");
                    await holder.StandardInput.FlushAsync(TestContext.Current.CancellationToken);
                    open = await holder.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(TimeSpan.FromMinutes(1), TestContext.Current.CancellationToken);
                    await Task.Delay(open == "OPEN 0" ? 0 : 200, TestContext.Current.CancellationToken);
                }

                Assert.Equal("OPEN 0", open);
            }
            finally
            {
                holder.StandardInput.Close();
                if (!holder.WaitForExit(30_000))
                {
                    holder.Kill();
                }
            }
        }

        async IAsyncEnumerable<ChatResponseUpdate> Counted([EnumeratorCancellation] CancellationToken ct)
        {
            try
            {
                await foreach (var update in BigPieces(ct))
                {
                    yield return update;
                }

                Interlocked.Increment(ref completed);
            }
            finally
            {
                Interlocked.Increment(ref ended);
            }
        }
    }

    private static async IAsyncEnumerable<ChatResponseUpdate> BigPieces([EnumeratorCancellation] CancellationToken ct)
    {
        var piece = new string('x', 32 * 1024);
        for (var i = 0; i < 4096; i++)
        {
            ct.ThrowIfCancellationRequested();
            await Task.Yield();
            yield return new ChatResponseUpdate(ChatRole.Assistant, piece);
        }

        yield return ScriptedChatClient.Final(ChatFinishReason.Length);
    }

    private static async Task<TcpClient> ConnectAsync(LiveServer server)
    {
        var socket = new TcpClient(AddressFamily.InterNetwork);
        await socket.ConnectAsync(IPAddress.Loopback, server.BaseAddress.Port, TestContext.Current.CancellationToken);
        return socket;
    }

    private static async Task<string> RequestLiveAsync(TcpClient socket)
    {
        var stream = socket.GetStream();
        await stream.WriteAsync("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"u8.ToArray(), TestContext.Current.CancellationToken);
        var buffer = new byte[4096];
        var text = new StringBuilder();
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        guard.CancelAfter(TimeSpan.FromSeconds(30));
        while (!text.ToString().EndsWith("ok\n", StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer, guard.Token);
            if (read == 0)
            {
                break;
            }

            text.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        return text.ToString();
    }

    /// <summary>Reads until the server closes the connection (bounded by a generous hang guard) and returns what came.</summary>
    private static async Task<string> ReadUntilClosedAsync(TcpClient socket)
    {
        var buffer = new byte[16 * 1024];
        var text = new StringBuilder();
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        guard.CancelAfter(TimeSpan.FromSeconds(60));
        try
        {
            while (true)
            {
                var read = await socket.GetStream().ReadAsync(buffer, guard.Token);
                if (read == 0)
                {
                    return text.ToString();
                }

                if (text.Length < 4096)
                {
                    text.Append(Encoding.ASCII.GetString(buffer, 0, read));
                }
            }
        }
        catch (IOException)
        {
            return text.ToString();
        }
    }
}

/// <summary>Tests in this collection run one at a time, with no other collection running beside them.</summary>
[CollectionDefinition(SlowClientTests.Alone, DisableParallelization = true)]
public sealed class ProcessWideMeasurementCollection;
