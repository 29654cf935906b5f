using System.Net;
using Edgewise.Models.Catalog;
using Edgewise.Models.Download;
using Edgewise.Models.Storage;
using Edgewise.Models.Tests.Download;
using Edgewise.Testing;

namespace Edgewise.Models.Tests.Storage;

public sealed class ModelStoreTests : IDisposable
{
    internal static string SmallModel => SharedPaths.ReferenceFile("models", "ref-phi4-Q4_K_M.gguf");

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Register_ValidGguf_StoresReadOnlyBlobAndManifest()
    {
        var store = new ModelStore(_temp.Combine("models"));
        var digest = Stage(store, "stage");

        var manifest = store.Register(ModelReference.Parse("tiny:q4_k_m"), store.PartialPath("stage"), digest, new ModelSource("file", null, "x.gguf"));

        var path = store.GetModelPath(manifest);
        Assert.Equal("sha256-" + digest.Hex, Path.GetFileName(path));
        Assert.Equal("phi3", manifest.Architecture);
        Assert.True(manifest.KvBytesPerToken > 0);
        Assert.Equal(new FileInfo(SmallModel).Length, manifest.Size);
        Assert.False(File.Exists(store.PartialPath("stage")));
        Assert.True(store.Verify(manifest));
        Assert.Equal(manifest, store.Find(ModelReference.Parse("tiny")));
        Assert.Single(store.List());
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(path));
        }
    }

    [Fact]
    public void Register_InvalidGguf_NothingUnderTheName()
    {
        var store = new ModelStore(_temp.Combine("models"));
        File.WriteAllBytes(store.PartialPath("bad"), new byte[4096]);

        var e = Assert.Throws<ModelException>(() => store.Register(ModelReference.Parse("bad"), store.PartialPath("bad"), Sha256Digest.OfFile(store.PartialPath("bad")), new ModelSource("file", null, null)));

        Assert.Equal(ModelErrorCodes.InvalidModelFile, e.Code);
        Assert.Empty(store.List());
        Assert.Empty(Directory.EnumerateFiles(_temp.Combine("models", "blobs")));
        Assert.False(File.Exists(store.PartialPath("bad")));
    }

    [Fact]
    public void Remove_SharedBlob_DeletedOnlyWithItsLastName()
    {
        var store = new ModelStore(_temp.Combine("models"));
        var a = store.Register(ModelReference.Parse("a"), store.PartialPath("s1"), Stage(store, "s1"), new ModelSource("file", null, null));
        store.Register(ModelReference.Parse("b"), store.PartialPath("s2"), Stage(store, "s2"), new ModelSource("file", null, null));
        var blob = store.GetModelPath(a);

        Assert.Single(store.Remove(ModelReference.Parse("a")));
        Assert.True(File.Exists(blob));
        Assert.Single(store.Remove(ModelReference.Parse("b")));
        Assert.False(File.Exists(blob));
        Assert.Empty(store.Remove(ModelReference.Parse("b")));
    }

    [Fact]
    public void GetModelPath_M13_BlobReplacedBySymlink_Refused()
    {
        var store = new ModelStore(_temp.Combine("models"));
        var manifest = store.Register(ModelReference.Parse("a"), store.PartialPath("s"), Stage(store, "s"), new ModelSource("file", null, null));
        var blob = store.GetModelPath(manifest);
        var canary = _temp.Combine("canary.txt");
        File.WriteAllText(canary, "canary");
        File.SetAttributes(blob, FileAttributes.Normal);
        File.Delete(blob);
        File.CreateSymbolicLink(blob, canary);

        Assert.Equal(ModelErrorCodes.ModelNotFound, Assert.Throws<ModelException>(() => store.GetModelPath(manifest)).Code);
        Assert.Empty(store.Remove(ModelReference.Parse("zzz")));
        Assert.Equal("canary", File.ReadAllText(canary));
    }

    [Fact]
    public void List_M13_PlantedSymlinkedManifestFolder_Ignored()
    {
        var store = new ModelStore(_temp.Combine("models"));
        var outside = _temp.Combine("outside");
        Directory.CreateDirectory(outside);
        File.WriteAllText(Path.Combine(outside, "latest.json"), "{}");
        Directory.CreateSymbolicLink(_temp.Combine("models", "manifests", "evil"), outside);

        Assert.Empty(store.List());
        Assert.Null(store.Find(ModelReference.Parse("evil")));
    }

    [Fact]
    public void EdgewiseHome_Override_Wins()
    {
        Assert.Equal(Path.GetFullPath(_temp.Path), EdgewiseHome.Resolve(_temp.Path));
        Assert.EndsWith("edgewise", EdgewiseHome.Resolve(null), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Pull_CatalogVariantFromLoopbackHub_RegistersVerifiedModel()
    {
        var bytes = await File.ReadAllBytesAsync(SmallModel, TestContext.Current.CancellationToken);
        await using var hub = new LoopbackServer((ctx, _) => ModelDownloaderTests.Serve(ctx, bytes, honourRange: true));
        var (model, variant) = TinyCatalogEntry(null);
        var store = new ModelStore(_temp.Combine("models"));
        using var downloader = new ModelDownloader(new DownloadOptions { Endpoint = hub.BaseUri });

        var manifest = await new ModelPuller(store, downloader).PullAsync(model, variant, null, TestContext.Current.CancellationToken);
        var again = await new ModelPuller(store, downloader).PullAsync(model, variant, null, TestContext.Current.CancellationToken);

        Assert.Equal("tiny:q4_k_m", manifest.FullName);
        Assert.Equal("/o/tiny-GGUF/resolve/main/tiny-Q4_K_M.gguf", Assert.Single(hub.Requests).Path);
        Assert.Equal(manifest, again);
        Assert.True(store.Verify(manifest));
    }

    [Fact]
    public async Task Pull_ServedFileIsNotGguf_NothingRegistered()
    {
        var bytes = new byte[100_000];
        await using var hub = new LoopbackServer((ctx, _) => ModelDownloaderTests.Serve(ctx, bytes, honourRange: true));
        var (model, variant) = TinyCatalogEntry(null);
        var store = new ModelStore(_temp.Combine("models"));
        using var downloader = new ModelDownloader(new DownloadOptions { Endpoint = hub.BaseUri });

        var e = await Assert.ThrowsAsync<ModelException>(() => new ModelPuller(store, downloader).PullAsync(model, variant, null, TestContext.Current.CancellationToken));

        Assert.Equal(ModelErrorCodes.InvalidModelFile, e.Code);
        Assert.Empty(store.List());
        Assert.Empty(Directory.EnumerateFiles(_temp.Combine("models", "blobs")));
    }

    internal static (CatalogModel Model, CatalogVariant Variant) TinyCatalogEntry(string? sha256)
    {
        var variant = new CatalogVariant { Quant = "q4_k_m", Repo = "o/tiny-GGUF", File = "tiny-Q4_K_M.gguf", Bytes = 5_000_000, Sha256 = sha256 };
        var model = new CatalogModel
        {
            Alias = "tiny", Family = "phi3", Description = "t", Parameters = 1, ContextLength = 4096, KvBytesPerToken = 1,
            Tags = [CatalogTags.General], License = "mit", Variants = [variant],
        };
        return (model, variant);
    }

    private static Sha256Digest Stage(ModelStore store, string key)
    {
        File.Copy(SmallModel, store.PartialPath(key));
        return Sha256Digest.OfFile(store.PartialPath(key));
    }
}
