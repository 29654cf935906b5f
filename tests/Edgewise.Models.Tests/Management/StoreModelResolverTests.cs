using Edgewise.Models.Catalog;
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

    [Fact]
    public void WithDefaultParallelSequences_Copy_CarriesEverySettableProperty()
    {
        var original = new ModelSettings
        {
            ContextLength = 512,
            Threads = 3,
            KvCacheType = Edgewise.Inference.Runtime.KvCacheType.F32,
            KeepAlive = TimeSpan.FromSeconds(7),
            Pinned = true,
            MemoryLock = true,
            Preload = true,
        };
        original.RemoteBackends.Add(new Edgewise.Models.Remote.RemoteBackendOptions { Name = "b", Endpoint = new Uri("http://127.0.0.1:1/v1"), Model = "m" });

        var copy = original.WithDefaultParallelSequences(4);

        Assert.NotSame(original, copy);
        Assert.Equal(4, copy.ParallelSequences);
        foreach (var property in typeof(ModelSettings).GetProperties())
        {
            if (property.CanWrite && property.Name != nameof(ModelSettings.ParallelSequences))
            {
                var value = property.GetValue(original);
                Assert.True(value is not null && !value.Equals(Activator.CreateInstance(property.PropertyType)), $"set {property.Name} in this test");
                Assert.Equal(value, property.GetValue(copy));
            }
        }

        Assert.Equal(original.RemoteBackends, copy.RemoteBackends);
        Assert.NotSame(original.RemoteBackends, copy.RemoteBackends);
    }

    [Theory]
    [InlineData("smollm2:135m", "smollm2-135m:q8_0")]
    [InlineData("smollm2:135m-instruct-q8_0", "smollm2-135m:q8_0")]
    [InlineData("smollm2-135m:q8_0", "smollm2-135m:q8_0")]
    public void Resolve_NameTheModelWasPulledBy_FindsItUnderItsAliasAndQuantization(string name, string stored)
    {
        // A catalog model is stored as ALIAS:QUANT; Ollama's clients go on naming it as they pulled it.
        var store = new ModelStore(_temp.Combine("models"));
        new ModelImporter(store).Import(ModelStoreTests.SmallModel, ModelReference.Parse("smollm2-135m:q8_0"));

        var resolved = new StoreModelResolver(store, new ModelManagerOptions()).Resolve(name);

        Assert.Equal(stored, resolved.Name);
    }

    [Theory]
    [InlineData("smollm2:135m-instruct-q4_k_m", Models.ModelErrorCodes.ModelNotFound)]
    [InlineData("llama3.2:1b", Models.ModelErrorCodes.ModelNotFound)]
    public void Resolve_PulledNameNotInTheStore_ModelNotFound(string name, string code)
    {
        var store = new ModelStore(_temp.Combine("models"));
        new ModelImporter(store).Import(ModelStoreTests.SmallModel, ModelReference.Parse("smollm2-135m:q8_0"));

        var error = Assert.Throws<Models.ModelException>(() => new StoreModelResolver(store, new ModelManagerOptions()).Resolve(name));

        Assert.Equal(code, error.Code);
    }

    private ModelStore Store()
    {
        var store = new ModelStore(_temp.Combine("models"));
        new ModelImporter(store).Import(ModelStoreTests.SmallModel);
        return store;
    }
}
