using Edgewise.Gguf;
using Edgewise.Models.Management;
using Edgewise.Models.Remote;
using Edgewise.Testing;

namespace Edgewise.Models.Tests.Management;

public sealed class ModelLoaderTests
{
    private static string Reference => SharedPaths.ReferenceFile("models", "ref-phi4-Q4_K_M.gguf");

    [Fact]
    public void TryLock_MappedWeights_LocksOrExplainsWhyNot()
    {
        using var file = GgufFile.Open(Reference);
        var (address, length) = LocalModelLoader.WeightRange(file);

        Assert.True(length > 0 && length <= new FileInfo(Reference).Length);
        var problem = MemoryLock.TryLock(address, length);
        if (problem is null)
        {
            MemoryLock.Unlock(address, length);
        }
        else
        {
            Assert.Contains("lock", problem, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void TryLock_RangeBeyondAnyLimit_FailsCleanlyWithAReason()
    {
        Assert.SkipUnless(MemoryLock.IsSupported, "mlock exists on Linux and macOS only");

        var problem = MemoryLock.TryLock(4096, 1L << 46);

        Assert.NotNull(problem);
        Assert.DoesNotContain("could not be found", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MemoryLockRequested_LocksWeightsOrWarnsAndStillServes()
    {
        var warnings = new List<string>();
        var loader = new LocalModelLoader { Warning = warnings.Add };
        var settings = new ModelSettings { MemoryLock = true, ContextLength = 64 };

        using var loaded = loader.Load(new ModelDescriptor("phi4", Reference, 1, settings), TestContext.Current.CancellationToken);

        var locked = ((ILockedMemory)loaded).LockedBytes;
        Assert.True(locked > 0 ^ warnings.Count == 1, $"locked {locked} bytes, warnings: {string.Join(" | ", warnings)}");
        Assert.All(warnings, w => Assert.Contains("phi4", w, StringComparison.Ordinal));
        Assert.NotNull(loaded.ChatClient);
    }

    [Fact]
    public void Load_NoMemoryLock_LocksNothing()
    {
        using var loaded = new LocalModelLoader().Load(new ModelDescriptor("phi4", Reference, 1, new ModelSettings { ContextLength = 64 }), TestContext.Current.CancellationToken);

        Assert.Equal(0, ((ILockedMemory)loaded).LockedBytes);
    }

    [Fact]
    public void RemoteLoader_RemoteDescriptor_CreatesFailoverClientInOrder()
    {
        var settings = new ModelSettings();
        settings.RemoteBackends.Add(new RemoteBackendOptions { Name = "lab", Endpoint = new Uri("http://127.0.0.1:9/v1"), Model = "m1" });
        settings.RemoteBackends.Add(new RemoteBackendOptions { Name = "cloud", Endpoint = new Uri("http://127.0.0.1:10/v1"), Model = "m2" });

        using var loaded = new RemoteModelLoader().Load(new ModelDescriptor("lab", string.Empty, 0, settings), TestContext.Current.CancellationToken);

        var client = Assert.IsType<BackendPoolChatClient>(loaded.ChatClient);
        Assert.Equal(["lab", "cloud"], client.Backends.Select(b => b.Name));
    }

    [Fact]
    public void Loaders_WrongKindOfDescriptor_AreRefused()
    {
        var remote = new ModelSettings();
        remote.RemoteBackends.Add(new RemoteBackendOptions { Name = "lab", Endpoint = new Uri("http://127.0.0.1:9/v1"), Model = "m1" });

        Assert.Throws<ArgumentException>(() => new RemoteModelLoader().Load(new ModelDescriptor("x", Reference, 1, new ModelSettings()), TestContext.Current.CancellationToken));
        Assert.Throws<ArgumentException>(() => new LocalModelLoader().Load(new ModelDescriptor("x", string.Empty, 0, remote), TestContext.Current.CancellationToken));
    }
}
