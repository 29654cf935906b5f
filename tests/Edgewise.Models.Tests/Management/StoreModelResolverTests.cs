using Edgewise.Models.Import;
using Edgewise.Models.Management;
using Edgewise.Models.Storage;
using Edgewise.Models.Tests.Storage;
using Edgewise.Testing;

namespace Edgewise.Models.Tests.Management;

public sealed class StoreModelResolverTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Resolve_NoParallelSetting_UsesTheManagersDefaultAndPlansMemoryForIt()
    {
        var store = Store();
        var one = new StoreModelResolver(store, new ModelManagerOptions()).Resolve("ref-phi4-q4_k_m");
        var eight = new StoreModelResolver(store, new ModelManagerOptions { DefaultParallelSequences = 8 }).Resolve("ref-phi4-q4_k_m");

        Assert.Equal(1, one.Settings.ParallelSequences);
        Assert.Equal(8, eight.Settings.ParallelSequences);
        Assert.True(eight.MemoryBytes > one.MemoryBytes, "eight KV caches need more memory than one");
    }

    [Fact]
    public void Resolve_ConfiguredSettings_KeepTheirParallelAndAreNotChangedInPlace()
    {
        var store = Store();
        var options = new ModelManagerOptions { DefaultParallelSequences = 8 };
        var unset = new ModelSettings { ContextLength = 256, Pinned = true };
        options.Models["ref-phi4-q4_k_m"] = unset;

        var resolved = new StoreModelResolver(store, options).Resolve("ref-phi4-q4_k_m");

        Assert.Equal(8, resolved.Settings.ParallelSequences);
        Assert.Equal(256, resolved.Settings.ContextLength);
        Assert.True(resolved.Settings.Pinned);
        Assert.Null(unset.ParallelSequences);

        options.Models["ref-phi4-q4_k_m"] = new ModelSettings { ParallelSequences = 2 };
        Assert.Equal(2, new StoreModelResolver(store, options).Resolve("ref-phi4-q4_k_m").Settings.ParallelSequences);
    }

    [Fact]
    public void DefaultParallelSequences_BelowOne_Rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ModelManagerOptions { DefaultParallelSequences = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new ModelSettings().WithDefaultParallelSequences(0));
    }

    private ModelStore Store()
    {
        var store = new ModelStore(_temp.Combine("models"));
        new ModelImporter(store).Import(ModelStoreTests.SmallModel);
        return store;
    }
}
