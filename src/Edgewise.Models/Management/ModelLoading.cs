using Edgewise.Gguf;
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
public sealed record ModelDescriptor(string Name, string Path, long MemoryBytes, ModelSettings Settings)
{
    /// <summary>
    /// The file's expected sha256 when known (store models: the manifest's digest). After the file changed under a
    /// loaded model (M14) the manager re-checks it before loading again.
    /// </summary>
    public Sha256Digest? Sha256 { get; init; }

    /// <summary>True for a remote OpenAI-compatible model (<see cref="ModelSettings.RemoteBackends"/> is not empty).</summary>
    public bool IsRemote => Settings.RemoteBackends.Count > 0;
}

/// <summary>Turns a requested name into a descriptor; replaceable in tests.</summary>
public interface IModelResolver
{
    /// <summary>Resolves <paramref name="name"/>.</summary>
    /// <exception cref="ModelException"><see cref="ModelErrorCodes.InvalidModelName"/> or <see cref="ModelErrorCodes.ModelNotFound"/>.</exception>
    ModelDescriptor Resolve(string name);

    /// <summary>
    /// Resolves <paramref name="name"/> for an entry that brings its own <paramref name="entrySettings"/> (a configured alias
    /// of a store model), so that memory is planned with them. Resolvers without settings of their own ignore them.
    /// </summary>
    /// <exception cref="ModelException"><see cref="ModelErrorCodes.InvalidModelName"/> or <see cref="ModelErrorCodes.ModelNotFound"/>.</exception>
    ModelDescriptor Resolve(string name, ModelSettings? entrySettings) => Resolve(name);
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

/// <summary>
/// Resolves names against the <see cref="ModelStore"/>, with per-model settings: a store name (<c>NAME[:TAG]</c>), or a
/// name the model was pulled by — an Ollama-style catalog name (<c>llama3.2:1b</c>, stored under its alias and
/// quantization) or a Hugging Face reference (<c>hf.co/OWNER/REPO[:QUANT]</c>) — so a model answers to the name it was
/// pulled with. <paramref name="catalog"/> defaults to the built-in catalog.
/// </summary>
public sealed class StoreModelResolver(ModelStore store, ModelManagerOptions options, ModelCatalog? catalog = null) : IModelResolver
{
    /// <inheritdoc/>
    public ModelDescriptor Resolve(string name) => Resolve(name, null);

    /// <inheritdoc/>
    public ModelDescriptor Resolve(string name, ModelSettings? entrySettings)
    {
        ArgumentNullException.ThrowIfNull(name);
        var manifest = (ModelReference.TryParse(name, out var reference) ? store.Find(reference) : null) ?? FindByPulledName(name);
        if (manifest is null)
        {
            _ = ModelReference.Parse(name); // a name that is no name at all gets the parser's error, as before
            throw new ModelException(ModelErrorCodes.ModelNotFound, "The model is not installed: run 'edgewise pull NAME' or 'edgewise import PATH'.");
        }

        var configured = entrySettings ?? (options.Models.TryGetValue(manifest.FullName, out var s) || options.Models.TryGetValue(manifest.Name, out s) ? s : new ModelSettings());
        var settings = configured.WithDefaultParallelSequences(options.DefaultParallelSequences);
        var context = Math.Min(settings.ContextLength ?? ContextOptions.DefaultMaxContextLength, manifest.ContextLength);
        // The manifest records the cache's bytes per token at F16, the engine's default.
        var kvPerToken = manifest.KvBytesPerToken / KvCacheSize.BytesPerValue(KvCacheType.F16) * KvCacheSize.BytesPerValue(settings.KvCacheType ?? KvCacheType.F16);
        var memory = VariantSelector.MemoryNeeded(manifest.Size, kvPerToken, context, settings.ParallelSequences!.Value);
        return new ModelDescriptor(manifest.FullName, store.GetModelPath(manifest), memory, settings)
        {
            Sha256 = Sha256Digest.TryParse(manifest.Digest, out var digest) ? digest : null,
        };
    }

    private ModelManifest? FindByPulledName(string name)
    {
        if ((catalog ?? ModelCatalog.BuiltIn).TryResolveName(name, out var model, out var variant))
        {
            return store.Find(ModelReference.Create(model.Alias, variant?.Quant));
        }

        return HubReference.TryParse(name, out var hub) ? store.Find(ModelReference.Create(hub!.StoreName, hub.StoreTag)) : null;
    }
}

/// <summary>
/// Loads models into the embedded engine: a memory-mapped <see cref="LocalModel"/> and a <see cref="LocalChatClient"/>.
/// With <see cref="ModelSettings.MemoryLock"/> the mapped weights are locked in RAM; a refusal is reported through
/// <see cref="Warning"/> and the model is served unlocked.
/// </summary>
public sealed class LocalModelLoader : IModelLoader
{
    /// <summary>Receives warnings (e.g. mlock refused by <c>RLIMIT_MEMLOCK</c>); null drops them.</summary>
    public Action<string>? Warning { get; init; }

    /// <inheritdoc/>
    public ILoadedModel Load(ModelDescriptor descriptor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        if (descriptor.IsRemote)
        {
            throw new ArgumentException("Remote models load through RemoteModelLoader.", nameof(descriptor));
        }

        var file = GgufFile.Open(descriptor.Path);
        LocalModel? model = null;
        (nint Address, long Length) locked = default;
        try
        {
            var s = descriptor.Settings;

            // Lock first. A locked model reads every weight in place: re-laid copies would double the pinned memory of
            // the matrices they replace (mlock covers the mapped file) for a speed a locked deployment did not ask
            // for. A model whose lock is refused is served unlocked, and re-laid like any other.
            locked = s.MemoryLock ? LockWeights(file, descriptor.Name) : default;
            model = LocalModel.Load(file, ownsFile: true, repack: locked.Length == 0);
            var context = new ContextOptions
            {
                ContextLength = s.ContextLength ?? Math.Min(model.Hyperparameters.ContextLength, ContextOptions.DefaultMaxContextLength),
                Threads = s.Threads,
                KvCacheType = s.KvCacheType,
            };
            var client = new LocalChatClient(model, new LocalChatClientOptions { Context = context, ModelId = descriptor.Name, MaxConcurrentRequests = s.ParallelSequences });

            // M14: with a read lease, a truncation by another process waits until this model is unloaded.
            file.TryTakeReadLease();
            return new Loaded(model, client, locked, file);
        }
        catch
        {
            MemoryLock.Unlock(locked.Address, locked.Length);
            if (model is null)
            {
                file.Dispose();
            }
            else
            {
                model.Dispose();
            }

            throw;
        }
    }

    /// <summary>The span of a file's tensor data: from its first tensor's address to its last tensor's end.</summary>
    internal static (nint Address, long Length) WeightRange(GgufFile file)
    {
        nint start = 0;
        nint end = 0;
        foreach (var tensor in file.Tensors)
        {
            var address = file.GetTensorAddress(tensor);
            if (start == 0 || address < start)
            {
                start = address;
            }

            if (address + (nint)tensor.ByteSize > end)
            {
                end = address + (nint)tensor.ByteSize;
            }
        }

        return (start, end - start);
    }

    private (nint Address, long Length) LockWeights(GgufFile file, string name)
    {
        var range = WeightRange(file);
        if (MemoryLock.TryLock(range.Address, range.Length) is { } problem)
        {
            Warning?.Invoke($"mlock of model '{name}' ({range.Length} bytes) failed: {problem}; serving it unlocked.");
            return default;
        }

        return range;
    }

    private sealed class Loaded(LocalModel model, LocalChatClient client, (nint Address, long Length) locked, GgufFile file) : ILoadedModel, ILockedMemory, IFileLeaseHolder
    {
        public IChatClient ChatClient => client;

        public bool LeaseBreaking => file.LeaseBreaking;

        public long LockedBytes => locked.Length;

        public void Dispose()
        {
            client.Dispose();
            MemoryLock.Unlock(locked.Address, locked.Length);
            model.Dispose();
        }
    }
}

/// <summary>A loaded model whose file is held under a read lease (<see cref="GgufFile.TryTakeReadLease"/>).</summary>
public interface IFileLeaseHolder
{
    /// <summary>True when another process waits to write or truncate the file: the model must be unloaded now.</summary>
    bool LeaseBreaking { get; }
}

/// <summary>A loaded model that may hold memory locked in RAM.</summary>
public interface ILockedMemory
{
    /// <summary>Bytes locked with <c>mlock</c>; zero when nothing is locked.</summary>
    long LockedBytes { get; }
}
