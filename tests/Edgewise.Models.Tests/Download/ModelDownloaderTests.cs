using System.Net;
using System.Security.Cryptography;
using Edgewise.Models.Download;
using Edgewise.Models.Storage;

namespace Edgewise.Models.Tests.Download;

public sealed class ModelDownloaderTests : IDisposable
{
    private static readonly byte[] s_payload = MakePayload(3 * 1024 * 1024 + 123);
    private static readonly Sha256Digest s_digest = Sha256Digest.FromHash(SHA256.HashData(s_payload));

    private readonly TempDirectory _temp = new();

    private string Partial => _temp.Combine("file.partial");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Download_FreshFile_VerifiesSizeAndHash()
    {
        await using var server = new LoopbackServer((ctx, _) => Serve(ctx, s_payload, honourRange: true));
        using var downloader = Downloader(server);
        var progress = new List<DownloadProgress>();

        var result = await downloader.DownloadAsync(new Uri(server.BaseUri, "f.gguf"), Partial, s_digest, null, progress.Add, TestContext.Current.CancellationToken);

        Assert.Equal(s_digest, result.Digest);
        Assert.Equal(s_payload.Length, result.Size);
        Assert.Equal(s_payload, await File.ReadAllBytesAsync(Partial, TestContext.Current.CancellationToken));
        Assert.Equal(s_payload.Length, progress[^1].BytesReceived);
        Assert.Equal(s_payload.Length, progress[^1].TotalBytes);
    }

    [Fact]
    public async Task Download_ConnectionDroppedMidBody_ResumesWithRange()
    {
        var half = s_payload.Length / 2;
        await using var server = new LoopbackServer((ctx, i) => i == 0 ? ServeThenDrop(ctx, s_payload, half) : Serve(ctx, s_payload, honourRange: true));
        using var downloader = Downloader(server);

        var result = await downloader.DownloadAsync(new Uri(server.BaseUri, "f.gguf"), Partial, s_digest, null, null, TestContext.Current.CancellationToken);

        Assert.Equal(2, result.Attempts);
        Assert.Equal(s_digest, result.Digest);
        var requests = server.Requests.ToArray();
        Assert.Null(requests[0].Range);
        Assert.StartsWith("bytes=", requests[1].Range, StringComparison.Ordinal);
        Assert.NotEqual("bytes=0-", requests[1].Range);
    }

    [Fact]
    public async Task Download_PartialFromEarlierRun_ResumesFromItsEnd()
    {
        await File.WriteAllBytesAsync(Partial, s_payload.AsSpan(0, 1000).ToArray(), TestContext.Current.CancellationToken);
        await using var server = new LoopbackServer((ctx, _) => Serve(ctx, s_payload, honourRange: true));
        using var downloader = Downloader(server);

        var result = await downloader.DownloadAsync(new Uri(server.BaseUri, "f.gguf"), Partial, s_digest, null, null, TestContext.Current.CancellationToken);

        Assert.Equal(1000, result.ResumedFrom);
        Assert.Equal("bytes=1000-", Assert.Single(server.Requests).Range);
        Assert.Equal(s_digest, result.Digest);
    }

    [Fact]
    public async Task Download_ServerIgnoresRange_RestartsFromZero()
    {
        // A stale partial whose bytes are wrong: the 200 answer must replace it, not be appended to it.
        await File.WriteAllBytesAsync(Partial, new byte[1000], TestContext.Current.CancellationToken);
        await using var server = new LoopbackServer((ctx, _) => Serve(ctx, s_payload, honourRange: false));
        using var downloader = Downloader(server);

        var result = await downloader.DownloadAsync(new Uri(server.BaseUri, "f.gguf"), Partial, s_digest, null, null, TestContext.Current.CancellationToken);

        Assert.Equal("bytes=1000-", Assert.Single(server.Requests).Range);
        Assert.Equal(s_digest, result.Digest);
        Assert.Equal(s_payload.Length, new FileInfo(Partial).Length);
    }

    [Fact]
    public async Task Download_WrongChecksum_ThrowsAndDeletesPartial()
    {
        var other = Sha256Digest.FromHash(SHA256.HashData("other"u8));
        await using var server = new LoopbackServer((ctx, _) => Serve(ctx, s_payload, honourRange: true));
        using var downloader = Downloader(server);

        var e = await Assert.ThrowsAsync<ModelException>(() => downloader.DownloadAsync(new Uri(server.BaseUri, "f.gguf"), Partial, other, null, null, TestContext.Current.CancellationToken));

        Assert.Equal(ModelErrorCodes.ChecksumMismatch, e.Code);
        Assert.False(File.Exists(Partial));
    }

    [Fact]
    public async Task Download_PublishedHashDiffers_ThrowsChecksumMismatch()
    {
        var published = Sha256Digest.FromHash(SHA256.HashData("published"u8)).Hex;
        await using var server = new LoopbackServer((ctx, _) =>
        {
            ctx.Response.Headers["X-Linked-Etag"] = "\"" + published + "\"";
            return Serve(ctx, s_payload, honourRange: true);
        });
        using var downloader = Downloader(server);

        var e = await Assert.ThrowsAsync<ModelException>(() => downloader.DownloadAsync(new Uri(server.BaseUri, "f.gguf"), Partial, null, null, null, TestContext.Current.CancellationToken));

        Assert.Equal(ModelErrorCodes.ChecksumMismatch, e.Code);
    }

    [Fact]
    public async Task Download_WrongSize_ThrowsSizeMismatch()
    {
        await using var server = new LoopbackServer((ctx, _) => Serve(ctx, s_payload, honourRange: true));
        using var downloader = Downloader(server);

        var e = await Assert.ThrowsAsync<ModelException>(() => downloader.DownloadAsync(new Uri(server.BaseUri, "f.gguf"), Partial, null, s_payload.Length - 1, null, TestContext.Current.CancellationToken));

        Assert.Equal(ModelErrorCodes.SizeMismatch, e.Code);
        Assert.False(File.Exists(Partial));
    }

    [Fact]
    public async Task Download_NotFound_ThrowsRemoteNotFound()
    {
        await using var server = new LoopbackServer((ctx, _) =>
        {
            ctx.Response.StatusCode = 404;
            return Task.CompletedTask;
        });
        using var downloader = Downloader(server);

        var e = await Assert.ThrowsAsync<ModelException>(() => downloader.DownloadAsync(new Uri(server.BaseUri, "missing.gguf"), Partial, null, null, null, TestContext.Current.CancellationToken));

        Assert.Equal(ModelErrorCodes.RemoteNotFound, e.Code);
        Assert.Contains("HF_ENDPOINT", e.Message, StringComparison.Ordinal);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task Download_SlowServer_TimesOutAndKeepsPartial()
    {
        using var hang = new CancellationTokenSource();
        await using var server = new LoopbackServer((ctx, _) => SendThenHang(ctx, hang.Token));
        using var downloader = Downloader(server, stall: TimeSpan.FromMilliseconds(300), attempts: 2);

        var e = await Assert.ThrowsAsync<ModelException>(() => downloader.DownloadAsync(new Uri(server.BaseUri, "f.gguf"), Partial, s_digest, null, null, TestContext.Current.CancellationToken));

        await hang.CancelAsync();
        Assert.Equal(ModelErrorCodes.Timeout, e.Code);
        Assert.Equal(4096, new FileInfo(Partial).Length);
    }

    [Fact]
    public async Task Download_Cancelled_ThrowsAndKeepsPartial()
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        using var hang = new CancellationTokenSource();
        await using var server = new LoopbackServer((ctx, _) => SendThenHang(ctx, hang.Token));
        using var downloader = Downloader(server);

        cancel.CancelAfter(TimeSpan.FromMilliseconds(500));
        var task = downloader.DownloadAsync(new Uri(server.BaseUri, "f.gguf"), Partial, s_digest, null, null, cancel.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
        await hang.CancelAsync();
        Assert.True(File.Exists(Partial));
    }

    [Fact]
    public async Task Download_RedirectToAllowedHost_FollowsWithoutForwardingToken()
    {
        await using var cdn = new LoopbackServer((ctx, _) => Serve(ctx, s_payload, honourRange: true), "127.0.0.2");
        await using var hub = new LoopbackServer((ctx, _) =>
        {
            ctx.Response.StatusCode = 302;
            ctx.Response.Headers["X-Linked-Etag"] = "\"" + s_digest.Hex + "\"";
            ctx.Response.Headers["X-Linked-Size"] = s_payload.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
            ctx.Response.RedirectLocation = new Uri(cdn.BaseUri, "blob/xyz").AbsoluteUri;
            return Task.CompletedTask;
        });
        var options = Options(hub);
        options.Token = "secret-token";
        options.AllowedRedirectHosts.Add("127.0.0.2");
        using var downloader = new ModelDownloader(options);

        var result = await downloader.DownloadAsync(new Uri(hub.BaseUri, "repo/resolve/main/f.gguf"), Partial, null, null, null, TestContext.Current.CancellationToken);

        Assert.Equal(s_digest, result.Digest);
        Assert.Equal("Bearer secret-token", Assert.Single(hub.Requests).Authorization);
        var cdnRequest = Assert.Single(cdn.Requests);
        Assert.Equal("/blob/xyz", cdnRequest.Path);
        Assert.Null(cdnRequest.Authorization);
    }

    [Fact]
    public async Task Download_H19_RedirectToUnlistedHost_Blocked()
    {
        await using var other = new LoopbackServer((ctx, _) => Serve(ctx, s_payload, honourRange: true), "127.0.0.2");
        await using var hub = new LoopbackServer((ctx, _) =>
        {
            ctx.Response.StatusCode = 302;
            ctx.Response.RedirectLocation = new Uri(other.BaseUri, "blob").AbsoluteUri;
            return Task.CompletedTask;
        });
        using var downloader = Downloader(hub);

        var e = await Assert.ThrowsAsync<ModelException>(() => downloader.DownloadAsync(new Uri(hub.BaseUri, "f.gguf"), Partial, null, null, null, TestContext.Current.CancellationToken));

        Assert.Equal(ModelErrorCodes.RedirectBlocked, e.Code);
        Assert.Empty(other.Requests);
    }

    [Fact]
    public async Task Download_RedirectLoop_StopsAtTheLimit()
    {
        await using var hub = new LoopbackServer((ctx, i) =>
        {
            ctx.Response.StatusCode = 307;
            ctx.Response.RedirectLocation = "/hop" + i;
            return Task.CompletedTask;
        });
        using var downloader = Downloader(hub);

        var e = await Assert.ThrowsAsync<ModelException>(() => downloader.DownloadAsync(new Uri(hub.BaseUri, "f.gguf"), Partial, null, null, null, TestContext.Current.CancellationToken));

        Assert.Equal(ModelErrorCodes.RedirectBlocked, e.Code);
        Assert.Equal(downloader.Options.MaxRedirects + 1, hub.Requests.Count);
    }

    [Fact]
    public async Task Download_NothingListening_ThrowsOfflineNamingHostAndVariable()
    {
        var port = LoopbackServer.FreePort();
        var options = new DownloadOptions { Endpoint = new Uri($"http://127.0.0.1:{port}/"), RetryDelay = TimeSpan.Zero };
        using var downloader = new ModelDownloader(options);

        var e = await Assert.ThrowsAsync<ModelException>(() => downloader.DownloadAsync(downloader.ResolveUrl("o/r", "f.gguf"), Partial, null, null, null, TestContext.Current.CancellationToken));

        Assert.Equal(ModelErrorCodes.Offline, e.Code);
        Assert.Contains("127.0.0.1", e.Message, StringComparison.Ordinal);
        Assert.Contains("HF_ENDPOINT", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ResolveUrl_Endpoint_UsesHuggingFaceLayout()
    {
        using var downloader = new ModelDownloader(new DownloadOptions { Endpoint = new Uri("https://mirror.example/hf/") });

        Assert.Equal("https://mirror.example/hf/bartowski/X-GGUF/resolve/main/X-Q4_K_M.gguf", downloader.ResolveUrl("bartowski/X-GGUF", "X-Q4_K_M.gguf").AbsoluteUri);
    }

    internal static async Task Serve(HttpListenerContext ctx, byte[] payload, bool honourRange)
    {
        var start = 0L;
        var range = ctx.Request.Headers["Range"];
        if (honourRange && range is not null && range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-'))
        {
            start = long.Parse(range.AsSpan(6, range.Length - 7), System.Globalization.CultureInfo.InvariantCulture);
            if (start >= payload.Length)
            {
                ctx.Response.StatusCode = 416;
                ctx.Response.Headers["Content-Range"] = "bytes */" + payload.Length;
                return;
            }

            ctx.Response.StatusCode = 206;
            ctx.Response.Headers["Content-Range"] = $"bytes {start}-{payload.Length - 1}/{payload.Length}";
        }

        ctx.Response.ContentLength64 = payload.Length - start;
        await ctx.Response.OutputStream.WriteAsync(payload.AsMemory((int)start));
    }

    private static async Task SendThenHang(HttpListenerContext ctx, CancellationToken hang)
    {
        ctx.Response.ContentLength64 = s_payload.Length;
        await ctx.Response.OutputStream.WriteAsync(s_payload.AsMemory(0, 4096), hang);
        await ctx.Response.OutputStream.FlushAsync(hang);
        await Task.Delay(Timeout.Infinite, hang);
    }

    private static async Task ServeThenDrop(HttpListenerContext ctx, byte[] payload, int sendBytes)
    {
        ctx.Response.ContentLength64 = payload.Length;
        await ctx.Response.OutputStream.WriteAsync(payload.AsMemory(0, sendBytes));
        await ctx.Response.OutputStream.FlushAsync();
        ctx.Response.Abort();
    }

    private static DownloadOptions Options(LoopbackServer server, TimeSpan? stall = null, int attempts = 3) => new()
    {
        Endpoint = server.BaseUri,
        RetryDelay = TimeSpan.FromMilliseconds(10),
        StallTimeout = stall ?? TimeSpan.FromSeconds(20),
        MaxAttempts = attempts,
    };

    private static ModelDownloader Downloader(LoopbackServer server, TimeSpan? stall = null, int attempts = 3) => new(Options(server, stall, attempts));

    private static byte[] MakePayload(int length)
    {
        var bytes = new byte[length];
        new Random(42).NextBytes(bytes);
        return bytes;
    }
}
