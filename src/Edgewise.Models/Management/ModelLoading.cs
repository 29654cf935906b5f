using Edgewise.Inference;
using Edgewise.Inference.Model;
using Edgewise.Inference.Runtime;
using Edgewise.Models.Catalog;
using Edgewise.Models.Hardware;
using Edgewise.Models.Storage;
using Microsoft.Extensions.AI;

namespace Edgewise.Models.Management;

/// <summary>What the manager needs to know about a model before loading it.</summary>
/// <param name="Name">Canonical name (<c>NAME:TAG</c>); leases are counted per name.</param>
/// <param name="Path">The GGUF file.</param>
/// <param name="MemoryBytes">Memory it will take: weights, KV cache at the configured context and sequences, overhead.</param>
/// <param name="Settings">Its settings.</param>
public sealed record ModelDescriptor(string Name, string Path, long MemoryBytes, ModelSettings Settings);

/// <summary>Turns a requested name into a descriptor; replaceable in tests.</summary>
public interface IModelResolver
{
    /// <summary>Resolves <paramref name="name"/>.</summary>
    /// <exception cref="ModelException"><see cref="ModelErrorCodes.InvalidModelName"/> or <see cref="ModelErrorCodes.ModelNotFound"/>.</exception>
    ModelDescriptor Resolve(string name);
}

/// <summary>A loaded model, disposed by the manager when it is unloaded.</summary>
public interface ILoadedModel : IDisposable
{
    /// <summary>The chat client over the model.</summary>
    IChatClient ChatClient { get; }
}

/// <summary>Loads models; replaceable in tests.</summary>
public interface IModelLoader
{
    /// <summary>Loads the model <paramref name="descriptor"/> describes.</summary>
    ILoadedModel Load(ModelDescriptor descriptor, CancellationToken cancellationToken);
}

/// <summary>Resolves names against the <see cref="ModelStore"/>, with per-model settings.</summary>
public sealed class StoreModelResolver(ModelStore store, ModelManagerOptions options) : IModelResolver
{
    /// <inheritdoc/>
    public ModelDescriptor Resolve(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var reference = ModelReference.Parse(name);
        var manifest = store.Find(reference)
            ?? throw new ModelException(ModelErrorCodes.ModelNotFound, "The model is not installed: run 'edgewise pull NAME' or 'edgewise import PATH'.");
        var settings = options.Models.TryGetValue(manifest.FullName, out var s) || options.Models.TryGetValue(manifest.Name, out s) ? s : new ModelSettings();
        var context = Math.Min(settings.ContextLength ?? ContextOptions.DefaultMaxContextLength, manifest.ContextLength);
        var kvFactor = settings.KvCacheType == KvCacheType.F32 ? 2 : 1;
        var memory = VariantSelector.MemoryNeeded(manifest.Size, manifest.KvBytesPerToken * kvFactor, context, settings.ParallelSequences ?? 1);
        return new ModelDescriptor(manifest.FullName, store.GetModelPath(manifest), memory, settings);
    }
}

/// <summary>Loads models into the embedded engine: a memory-mapped <see cref="LocalModel"/> and a <see cref="LocalChatClient"/>.</summary>
public sealed class LocalModelLoader : IModelLoader
{
    /// <inheritdoc/>
    public ILoadedModel Load(ModelDescriptor descriptor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        var model = LocalModel.Load(descriptor.Path);
        try
        {
            var s = descriptor.Settings;
            var context = new ContextOptions
            {
                ContextLength = s.ContextLength ?? Math.Min(model.Hyperparameters.ContextLength, ContextOptions.DefaultMaxContextLength),
                Threads = s.Threads,
                KvCacheType = s.KvCacheType,
            };
            var client = new LocalChatClient(model, new LocalChatClientOptions { Context = context, ModelId = descriptor.Name, MaxConcurrentRequests = s.ParallelSequences });
            return new Loaded(model, client);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private sealed class Loaded(LocalModel model, LocalChatClient client) : ILoadedModel
    {
        public IChatClient ChatClient => client;

        public void Dispose()
        {
            client.Dispose();
            model.Dispose();
        }
    }
}
