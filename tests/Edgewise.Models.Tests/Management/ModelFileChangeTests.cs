using Edgewise.Models.Management;
using Edgewise.Models.Storage;

namespace Edgewise.Models.Tests.Management;

/// <summary>M14 at the manager: a loaded model's file truncated, replaced or removed (fake loader, real files).</summary>
public sealed class ModelFileChangeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgewise-m14-").FullName;
    private readonly ManualClock _clock = new();
    private readonly RecordingLoader _loader = new();
    private readonly FileResolver _resolver;

    public ModelFileChangeTests()
    {
        _resolver = new FileResolver(Path.Combine(_dir, "a.gguf"));
        File.WriteAllBytes(_resolver.Path, new byte[4096]);
    }

    private ModelManager Create(TimeSpan? interval = null) => new(
        _resolver, _loader, new FixedMemory(1L << 40, 1L << 40),
        new ModelManagerOptions { MemoryBudgetBytes = 1L << 30, FileCheckInterval = interval ?? TimeSpan.Zero },
        _clock);

    private void Rewrite(int length)
    {
        File.WriteAllBytes(_resolver.Path, new byte[length]);
        File.SetLastWriteTimeUtc(_resolver.Path, DateTime.UtcNow.AddMinutes(1));
    }

    [Fact]
    public async Task M14_FileTruncatedWhileIdle_NextLeaseReloadsFromDisk()
    {
        using var manager = Create();
        (await manager.AcquireAsync("a", cancellationToken: TestContext.Current.CancellationToken)).Dispose();

        Rewrite(100);
        using var lease = await manager.AcquireAsync("a", cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(["a", "a"], _loader.Loads);
        Assert.Equal(["a"], _loader.Disposed);
        Assert.Single(manager.Loaded);
    }

    [Fact]
    public async Task M14_FileChangedWhileLeased_OldModelKeptUntilItsLeaseEnds()
    {
        using var manager = Create();
        var first = await manager.AcquireAsync("a", cancellationToken: TestContext.Current.CancellationToken);
        var oldModel = (RecordingLoader.FakeModel)first.Model;

        Rewrite(8192);
        Assert.Equal(["a"], manager.CheckFiles());

        Assert.False(oldModel.IsDisposed);
        Assert.Empty(manager.Loaded);
        using var second = await manager.AcquireAsync("a", cancellationToken: TestContext.Current.CancellationToken);
        Assert.NotSame(first.Model, second.Model);
        first.Dispose();
        Assert.True(oldModel.IsDisposed);
        Assert.False(((RecordingLoader.FakeModel)second.Model).IsDisposed);
    }

    [Fact]
    public async Task M14_PeriodicCheck_RetiresIdleChangedModel()
    {
        using var manager = Create(TimeSpan.FromSeconds(5));
        (await manager.AcquireAsync("a", cancellationToken: TestContext.Current.CancellationToken)).Dispose();

        Rewrite(10);
        _clock.Advance(TimeSpan.FromSeconds(5));

        Assert.Empty(manager.Loaded);
        Assert.Equal(["a"], _loader.Disposed);
    }

    [Fact]
    public async Task M14_UnchangedFile_IsNotRetired()
    {
        using var manager = Create();
        (await manager.AcquireAsync("a", cancellationToken: TestContext.Current.CancellationToken)).Dispose();

        Assert.Empty(manager.CheckFiles());
        (await manager.AcquireAsync("a", cancellationToken: TestContext.Current.CancellationToken)).Dispose();

        Assert.Equal(["a"], _loader.Loads);
    }

    [Fact]
    public async Task M14_ChangedFileWithWrongSha256_RefusedUntilRestored()
    {
        var original = new byte[4096];
        _resolver.Sha256 = Sha256Digest.FromHash(System.Security.Cryptography.SHA256.HashData(original));
        using var manager = Create();
        (await manager.AcquireAsync("a", cancellationToken: TestContext.Current.CancellationToken)).Dispose();

        Rewrite(100);
        var e = await Assert.ThrowsAsync<ModelException>(() => manager.AcquireAsync("a", cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(ModelErrorCodes.ChecksumMismatch, e.Code);
        e = await Assert.ThrowsAsync<ModelException>(() => manager.AcquireAsync("a", cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(ModelErrorCodes.ChecksumMismatch, e.Code);
        Assert.Equal(["a"], _loader.Loads);

        File.WriteAllBytes(_resolver.Path, original);
        using var lease = await manager.AcquireAsync("a", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(["a", "a"], _loader.Loads);
    }

    [Fact]
    public async Task M14_FileRemoved_RefusedWithModelFileChanged()
    {
        using var manager = Create();
        (await manager.AcquireAsync("a", cancellationToken: TestContext.Current.CancellationToken)).Dispose();

        File.Delete(_resolver.Path);
        var e = await Assert.ThrowsAsync<ModelException>(() => manager.AcquireAsync("a", cancellationToken: TestContext.Current.CancellationToken));

        Assert.Equal(ModelErrorCodes.ModelFileChanged, e.Code);
        Assert.Empty(manager.Loaded);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed class FileResolver(string path) : IModelResolver
    {
        public string Path { get; } = path;

        public Sha256Digest? Sha256 { get; set; }

        public ModelDescriptor Resolve(string name) => new(name, Path, 1024, new ModelSettings()) { Sha256 = Sha256 };
    }
}
