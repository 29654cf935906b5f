using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Edgewise.Models.Catalog;
using Edgewise.Models.Download;
using Edgewise.Models.Hardware;
using Edgewise.Models.Storage;
using Edgewise.Testing;

namespace Edgewise.Models.Tests.Download;

/// <summary>
/// Pulls against loopback hubs, honest and lying: a Hugging Face-style hub with a file list, a plain file server that
/// states no digest, hubs that misstate the size or the digest or redirect where they should not, and one that sends no
/// headers at all. The files are the reference GGUF models, so registration validates real models.
/// </summary>
public sealed class HubPullTests : IDisposable
{
    private const string Repo = "owner/Tiny-GGUF";
    private readonly TempDirectory _temp = new();
    private readonly List<string> _warnings = [];

    public void Dispose() => _temp.Dispose();

    private static byte[] Q4 => File.ReadAllBytes(SharedPaths.ReferenceFile("models", "ref-phi4-Q4_K_M.gguf"));

    private static byte[] Q8 => File.ReadAllBytes(SharedPaths.ReferenceFile("models", "ref-phi4-Q8_0.gguf"));

    [Fact]
    public async Task PullHub_NoQuantNamed_ChoosesTheBestThatFitsFromTheFileList()
    {
        var files = new Dictionary<string, byte[]> { ["Tiny-Q4_K_M.gguf"] = Q4, ["Tiny-Q8_0.gguf"] = Q8 };
        await using var hub = new LoopbackServer((ctx, _) => ServeHub(ctx, files, extraListed: ["mmproj-Tiny-f16.gguf", "Tiny-Q6_K-00001-of-00002.gguf", "README.md"]));
        var (store, puller, downloader) = Pull(hub);
        using var _ = downloader;
        var listed = ModelPuller.HubModel(Hub("hf.co/" + Repo), await downloader.ListFilesAsync(Repo, TestContext.Current.CancellationToken));
        var q4Needs = VariantSelector.MemoryNeeded(listed, listed.FindVariant("q4_k_m")!);

        var roomy = await puller.PullAsync(Hub("hf.co/" + Repo), ModelCatalog.BuiltIn, 1L << 40, null, TestContext.Current.CancellationToken);
        var tight = await puller.PullAsync(Hub("hf.co/" + Repo), ModelCatalog.BuiltIn, q4Needs, null, TestContext.Current.CancellationToken);

        Assert.Equal(["q4_k_m", "q8_0"], listed.Variants.Select(v => v.Quant)); // split parts, projectors and other files left out
        Assert.Equal(("owner--tiny-gguf", "q8_0", "hub", "hub"), (roomy.Name, roomy.Tag, roomy.Source.Kind, roomy.DigestSource));
        Assert.Equal(Digest(Q8).ToString(), roomy.Digest);
        Assert.Equal("q4_k_m", tight.Tag);
        Assert.Contains(hub.Requests, r => r.Path == $"/api/models/{Repo}/tree/main");
        Assert.Empty(_warnings);
        Assert.Equal(2, store.List().Count);
    }

    [Fact]
    public async Task PullHub_QuantTheRepositoryLacks_ListsWhatItHas()
    {
        var files = new Dictionary<string, byte[]> { ["Tiny-Q4_K_M.gguf"] = Q4 };
        await using var hub = new LoopbackServer((ctx, _) => ServeHub(ctx, files));
        var (_, puller, downloader) = Pull(hub);
        using var _ = downloader;

        var e = await Assert.ThrowsAsync<ModelException>(() => puller.PullAsync(Hub($"hf.co/{Repo}:q5_k_m"), ModelCatalog.BuiltIn, 1L << 40, null, TestContext.Current.CancellationToken));

        Assert.Equal(ModelErrorCodes.UnknownQuantization, e.Code);
        Assert.Contains("available: q4_k_m", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PullHub_FileListStatesAWrongDigest_ChecksumMismatch()
    {
        var files = new Dictionary<string, byte[]> { ["Tiny-Q4_K_M.gguf"] = Q4 };
        await using var hub = new LoopbackServer((ctx, _) => ServeHub(ctx, files, listedDigest: _ => Digest("something else"u8.ToArray())));
        var (store, puller, downloader) = Pull(hub);
        using var _ = downloader;

        var e = await Assert.ThrowsAsync<ModelException>(() => puller.PullAsync(Hub("hf.co/" + Repo), ModelCatalog.BuiltIn, 1L << 40, null, TestContext.Current.CancellationToken));

        Assert.Equal(ModelErrorCodes.ChecksumMismatch, e.Code);
        Assert.Empty(store.List());
    }

    [Fact]
    public async Task PullFile_PlainMirrorWithoutDigest_WarnsPinsAndLaterPullsCheckThePin()
    {
        var served = Q4;
        await using var mirror = new LoopbackServer((ctx, _) => ServePlain(ctx, served));
        var (store, puller, downloader) = Pull(mirror);
        using var _ = downloader;

        var first = await puller.PullAsync(Hub(Repo + ":Tiny-Q4_K_M.gguf"), ModelCatalog.BuiltIn, 1L << 40, null, TestContext.Current.CancellationToken);

        Assert.Equal(("owner--tiny-gguf", "q4_k_m", "first_download"), (first.Name, first.Tag, first.DigestSource));
        Assert.Equal(Digest(Q4).ToString(), first.Digest);
        var warning = Assert.Single(_warnings);
        Assert.Contains("published no sha256", warning, StringComparison.Ordinal);
        Assert.Contains(first.Digest, warning, StringComparison.Ordinal);

        // The stored file is damaged and the mirror now serves other bytes: the pull must refuse them.
        DamageBlob(store, first);
        served = Q8;
        var e = await Assert.ThrowsAsync<ModelException>(() => puller.PullAsync(Hub(Repo + ":Tiny-Q4_K_M.gguf"), ModelCatalog.BuiltIn, 1L << 40, null, TestContext.Current.CancellationToken));

        Assert.Equal(ModelErrorCodes.ChecksumMismatch, e.Code);

        // With the pinned bytes back the same pull repairs the file.
        served = Q4;
        var repaired = await puller.PullAsync(Hub(Repo + ":Tiny-Q4_K_M.gguf"), ModelCatalog.BuiltIn, 1L << 40, null, TestContext.Current.CancellationToken);
        Assert.True(store.Verify(repaired));
    }

    [Fact]
    public async Task PullFile_HubStatesALargerSize_SizeMismatchNamesBoth()
    {
        var bytes = Q4;
        await using var hub = new LoopbackServer((ctx, _) =>
        {
            ctx.Response.Headers["X-Linked-Size"] = (bytes.Length + 1000).ToString(CultureInfo.InvariantCulture);
            return ModelDownloaderTests.Serve(ctx, bytes, honourRange: true);
        });
        using var downloader = new ModelDownloader(Options(hub));

        var e = await Assert.ThrowsAsync<ModelException>(() => downloader.DownloadAsync(downloader.ResolveUrl(Repo, "x.gguf"), _temp.Combine("x.partial"), null, null, null, TestContext.Current.CancellationToken));

        Assert.Equal(ModelErrorCodes.SizeMismatch, e.Code);
        Assert.StartsWith($"size mismatch: the hub says {bytes.Length + 1000} bytes, {bytes.Length} arrived", e.Message, StringComparison.Ordinal);
        Assert.Single(hub.Requests); // not retried as a dropped connection
    }

    [Fact]
    public async Task PullFile_HubStatesASmallerSize_SizeMismatchWithoutReadingTheRest()
    {
        var bytes = Q4;
        await using var hub = new LoopbackServer((ctx, _) =>
        {
            ctx.Response.Headers["X-Linked-Size"] = "1000";
            return ModelDownloaderTests.Serve(ctx, bytes, honourRange: true);
        });
        using var downloader = new ModelDownloader(Options(hub));

        var e = await Assert.ThrowsAsync<ModelException>(() => downloader.DownloadAsync(downloader.ResolveUrl(Repo, "x.gguf"), _temp.Combine("x.partial"), null, null, null, TestContext.Current.CancellationToken));

        Assert.Equal(ModelErrorCodes.SizeMismatch, e.Code);
        Assert.StartsWith("size mismatch: the hub says 1000 bytes, ", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(_temp.Combine("x.partial")));
    }

    [Fact]
    public async Task PullCatalog_KnownSha256WinsOverTheHubs()
    {
        var bytes = Q4;
        var wrong = Digest("not the file"u8.ToArray()).Hex;
        await using var lyingHub = new LoopbackServer((ctx, _) =>
        {
            ctx.Response.Headers["X-Linked-Etag"] = "\"" + wrong + "\"";
            return ModelDownloaderTests.Serve(ctx, bytes, honourRange: true);
        });
        var (_, puller, downloader) = Pull(lyingHub);
        using var _ = downloader;

        var manifest = await puller.PullAsync(CatalogModel(Digest(bytes).Hex), CatalogModel(Digest(bytes).Hex).Variants[0], null, TestContext.Current.CancellationToken);

        Assert.Equal(("catalog", "catalog"), (manifest.Source.Kind, manifest.DigestSource));

        // And the other way round: the hub's digest matches the bytes, the catalog's does not.
        await using var honestHub = new LoopbackServer((ctx, _) =>
        {
            ctx.Response.Headers["X-Linked-Etag"] = "\"" + Digest(bytes).Hex + "\"";
            return ModelDownloaderTests.Serve(ctx, bytes, honourRange: true);
        });
        var (_, puller2, downloader2) = Pull(honestHub, "store2");
        using var __ = downloader2;
        var e = await Assert.ThrowsAsync<ModelException>(() => puller2.PullAsync(CatalogModel(wrong), CatalogModel(wrong).Variants[0], null, TestContext.Current.CancellationToken));
        Assert.Equal(ModelErrorCodes.ChecksumMismatch, e.Code);
    }

    [Fact]
    public async Task PullHub_RedirectToAnotherHost_Blocked()
    {
        await using var hub = new LoopbackServer((ctx, _) =>
        {
            ctx.Response.StatusCode = 302;
            ctx.Response.RedirectLocation = "http://files.example.invalid/tree.json";
            return Task.CompletedTask;
        });
        var (_, puller, downloader) = Pull(hub);
        using var _ = downloader;

        var e = await Assert.ThrowsAsync<ModelException>(() => puller.PullAsync(Hub("hf.co/" + Repo), ModelCatalog.BuiltIn, 1L << 40, null, TestContext.Current.CancellationToken));

        Assert.Equal(ModelErrorCodes.RedirectBlocked, e.Code);
        Assert.Contains("files.example.invalid", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PullFile_ServerSendsNoHeadersAtAll_AcceptedPinnedAndWarned()
    {
        var bytes = Q4;
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var requests = 0;
        var serve = Task.Run(async () =>
        {
            while (true)
            {
                TcpClient client;
                try
                {
                    client = await listener.AcceptTcpClientAsync(TestContext.Current.CancellationToken);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
                {
                    return;
                }

                using (client)
                {
                    Interlocked.Increment(ref requests);
                    var stream = client.GetStream();
                    var seen = new StringBuilder();
                    var buffer = new byte[4096];
                    while (!seen.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                    {
                        var n = await stream.ReadAsync(buffer, TestContext.Current.CancellationToken);
                        if (n == 0)
                        {
                            break;
                        }

                        seen.Append(Encoding.ASCII.GetString(buffer, 0, n));
                    }

                    // A status line and nothing else: no length, no digest, no type; the body ends when the connection does.
                    await stream.WriteAsync("HTTP/1.0 200 OK\r\n\r\n"u8.ToArray(), TestContext.Current.CancellationToken);
                    await stream.WriteAsync(bytes, TestContext.Current.CancellationToken);
                }
            }
        }, TestContext.Current.CancellationToken);
        var endpoint = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/");
        var store = new ModelStore(_temp.Combine("models"));
        using var downloader = new ModelDownloader(new DownloadOptions { Endpoint = endpoint, RetryDelay = TimeSpan.FromMilliseconds(10), MaxAttempts = 2 });
        var puller = new ModelPuller(store, downloader) { Warning = _warnings.Add };

        var manifest = await puller.PullAsync(Hub(Repo + ":Tiny-Q4_K_M.gguf"), ModelCatalog.BuiltIn, 1L << 40, null, TestContext.Current.CancellationToken);

        listener.Stop();
        await serve;
        Assert.Equal(("first_download", Digest(bytes).ToString(), (long)bytes.Length), (manifest.DigestSource, manifest.Digest, manifest.Size));
        Assert.Contains(_warnings, w => w.Contains("published no sha256", StringComparison.Ordinal));
        Assert.Equal(2, requests); // the file list (answered with the file itself, so not a list) and the file
    }

    [Fact]
    public void GetModelPath_FileChangedAfterItWasStored_ChecksumMismatchAndVerifyFails()
    {
        var store = new ModelStore(_temp.Combine("models"));
        var partial = Path.Combine(store.PartialDirectory, "x.partial");
        File.WriteAllBytes(partial, Q4);
        var manifest = store.Register(ModelReference.Create("x", "q4"), partial, Digest(Q4), new ModelSource("file", null, "x.gguf"), "import");
        Assert.True(store.Verify(manifest));

        DamageBlob(store, manifest);

        var e = Assert.Throws<ModelException>(() => store.GetModelPath(manifest));
        Assert.Equal(ModelErrorCodes.ChecksumMismatch, e.Code);
        Assert.Contains(manifest.Digest, e.Message, StringComparison.Ordinal);
        Assert.False(store.Verify(manifest));
    }

    private static void DamageBlob(ModelStore store, ModelManifest manifest)
    {
        var blob = store.BlobPath(Sha256Digest.Parse(manifest.Digest));
        File.SetAttributes(blob, FileAttributes.Normal);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(blob, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        using (var f = new FileStream(blob, FileMode.Open, FileAccess.Write))
        {
            f.Position = f.Length / 2;
            f.WriteByte(0x5a);
            f.WriteByte(0xa5);
        }

        File.SetLastWriteTimeUtc(blob, manifest.Created.UtcDateTime.AddMinutes(5));
    }

    private static CatalogModel CatalogModel(string sha256) => new()
    {
        Alias = "tiny",
        Family = "phi3",
        Description = "test",
        Parameters = 1,
        ContextLength = 4096,
        KvBytesPerToken = 1,
        Tags = [],
        License = "mit",
        Variants = [new CatalogVariant { Quant = "q4_k_m", Repo = Repo, File = "Tiny-Q4_K_M.gguf", Bytes = 1, Sha256 = sha256 }],
    };

    private (ModelStore Store, ModelPuller Puller, ModelDownloader Downloader) Pull(LoopbackServer server, string folder = "models")
    {
        var store = new ModelStore(_temp.Combine(folder));
        var downloader = new ModelDownloader(Options(server));
        return (store, new ModelPuller(store, downloader) { Warning = _warnings.Add }, downloader);
    }

    private static DownloadOptions Options(LoopbackServer server) => new()
    {
        Endpoint = server.BaseUri,
        RetryDelay = TimeSpan.FromMilliseconds(10),
        StallTimeout = TimeSpan.FromSeconds(20),
        MaxAttempts = 3,
    };

    private static HubReference Hub(string text) => HubReference.TryParse(text, out var hub) ? hub! : throw new ArgumentException(text);

    private static Sha256Digest Digest(byte[] bytes) => Sha256Digest.FromHash(SHA256.HashData(bytes));

    /// <summary>A Hugging Face-style hub: the tree API lists the files with size and LFS sha256, resolve serves them.</summary>
    private static async Task ServeHub(HttpListenerContext ctx, Dictionary<string, byte[]> files, string[]? extraListed = null, Func<byte[], Sha256Digest>? listedDigest = null)
    {
        var path = ctx.Request.Url!.AbsolutePath;
        if (path == $"/api/models/{Repo}/tree/main")
        {
            var entries = files.Select(f => $$$"""{"type":"file","oid":"0","size":134,"path":"{{{f.Key}}}","lfs":{"oid":"{{{(listedDigest ?? Digest)(f.Value).Hex}}}","size":{{{f.Value.Length}}},"pointerSize":134}}""")
                .Concat((extraListed ?? []).Select(n => $$"""{"type":"file","oid":"1","size":4096,"path":"{{n}}"}"""))
                .Append("""{"type":"directory","oid":"2","size":0,"path":"imatrix"}""");
            var body = Encoding.UTF8.GetBytes("[" + string.Join(",", entries) + "]");
            ctx.Response.ContentType = "application/json";
            ctx.Response.ContentLength64 = body.Length;
            await ctx.Response.OutputStream.WriteAsync(body, TestContext.Current.CancellationToken);
            return;
        }

        var prefix = $"/{Repo}/resolve/main/";
        if (path.StartsWith(prefix, StringComparison.Ordinal) && files.TryGetValue(path[prefix.Length..], out var bytes))
        {
            await ModelDownloaderTests.Serve(ctx, bytes, honourRange: true);
            return;
        }

        ctx.Response.StatusCode = 404;
    }

    /// <summary>A plain file server: any path gets the file (so the tree API gets no list), with a length and nothing else.</summary>
    private static Task ServePlain(HttpListenerContext ctx, byte[] bytes)
    {
        if (ctx.Request.Url!.AbsolutePath.StartsWith("/api/", StringComparison.Ordinal))
        {
            ctx.Response.StatusCode = 404;
            return Task.CompletedTask;
        }

        return ModelDownloaderTests.Serve(ctx, bytes, honourRange: true);
    }
}
