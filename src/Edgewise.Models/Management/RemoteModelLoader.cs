using System.Collections.Concurrent;
using Edgewise.Models.Remote;
using Microsoft.Extensions.AI;

namespace Edgewise.Models.Management;

/// <summary>
/// "Loads" a remote model: creates a <see cref="BackendPoolChatClient"/> over <see cref="ModelSettings.RemoteBackends"/>
/// (the model's own backends, then those of its failover entries), so remote models are leased, kept alive and unloaded
/// through the same <see cref="ModelManager"/> path as local ones. They take no memory from the budget. The pools of the
/// models loaded now are listed by <see cref="Pools"/>, for metrics.
/// </summary>
public sealed class RemoteModelLoader(BackendPoolOptions? options = null, TimeProvider? timeProvider = null) : IModelLoader
{
    private readonly ConcurrentDictionary<Loaded, string> _live = new();

    /// <summary>The backend pool of each remote model loaded now, with the model's name.</summary>
    public IReadOnlyList<(string Model, BackendPoolChatClient Pool)> Pools =>
        [.. _live.Select(p => (p.Value, p.Key.Pool)).OrderBy(p => p.Value, StringComparer.Ordinal)];

    /// <inheritdoc/>
    public ILoadedModel Load(ModelDescriptor descriptor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        if (!descriptor.IsRemote)
        {
            throw new ArgumentException("The model has no remote endpoint.", nameof(descriptor));
        }

        var loaded = new Loaded(new BackendPoolChatClient(descriptor.Settings.RemoteBackends, options, timeProvider), this);
        _live[loaded] = descriptor.Name;
        return loaded;
    }

    private sealed class Loaded(BackendPoolChatClient pool, RemoteModelLoader owner) : ILoadedModel
    {
        public BackendPoolChatClient Pool => pool;

        public IChatClient ChatClient => pool;

        public void Dispose()
        {
            owner._live.TryRemove(this, out _);
            pool.Dispose();
        }
    }
}
