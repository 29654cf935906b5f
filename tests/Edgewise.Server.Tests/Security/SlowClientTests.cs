using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using Edgewise.Server.Admission;
using Edgewise.Server.Tests.Support;
using Microsoft.Extensions.AI;

namespace Edgewise.Server.Tests.Security;

/// <summary>docs/security.md H10 (slowloris headers and bodies, idle connections, connection cap) and H15 (a stream reader that never reads).</summary>
public sealed class SlowClientTests
{
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
    /// H10 at a chosen scale: <c>EDGEWISE_H10_CONNECTIONS</c> idle connections (default 200; the full proof is 10,000,
    /// with <c>ulimit -n</c> above twice that) held open below the connection cap while normal requests on other
    /// connections still answer. The latency of those requests is printed.
    /// </summary>
    [Fact]
    public async Task Kestrel_H10_ManyIdleConnections_NormalRequestsStillAnswer()
    {
        var count = int.TryParse(Environment.GetEnvironmentVariable("EDGEWISE_H10_CONNECTIONS"), out var n) && n > 0 ? n : 200;
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("ok"), o =>
        {
            o.Connections.MaxConnections = count + 64;
            o.Connections.HeadersTimeout = TimeSpan.FromMinutes(10);
        });
        var idle = new List<TcpClient>(count);
        using (var warm = await server.Client.GetAsync("/health/live", TestContext.Current.CancellationToken))
        {
            // The client's connection and the route are warm before the measured requests.
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        try
        {
            for (var i = 0; i < count; i++)
            {
                idle.Add(await ConnectAsync(server));
            }

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
            Assert.All(idle, socket => Assert.False(socket.Client.Poll(0, SelectMode.SelectRead) && socket.Available == 0, "an idle connection was closed"));
            latencies.Sort();
            TestContext.Current.TestOutputHelper?.WriteLine(System.FormattableString.Invariant(
                $"{count} idle connections: /health/live p50 {latencies[latencies.Count / 2]:F2} ms, p99 {latencies[(int)(latencies.Count * 0.99)]:F2} ms, max {latencies[^1]:F2} ms"));
        }
        finally
        {
            idle.ForEach(s => s.Dispose());
        }
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
