using Edgewise.Models.Remote;
using Microsoft.Extensions.AI;

namespace Edgewise.Models.Management;

/// <summary>
/// "Loads" a remote model: creates a <see cref="FailoverChatClient"/> over <see cref="ModelSettings.RemoteBackends"/> (the
/// model's endpoint, then its failover endpoints in order), so remote models are leased, kept alive and unloaded through
/// the same <see cref="ModelManager"/> path as local ones. They take no memory from the budget.
/// </summary>
public sealed class RemoteModelLoader(FailoverOptions? options = null, TimeProvider? timeProvider = null) : IModelLoader
{
    /// <inheritdoc/>
    public ILoadedModel Load(ModelDescriptor descriptor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        if (!descriptor.IsRemote)
        {
            throw new ArgumentException("The model has no remote endpoint.", nameof(descriptor));
        }

        return new Loaded(new FailoverChatClient(descriptor.Settings.RemoteBackends, options, timeProvider));
    }

    private sealed class Loaded(FailoverChatClient client) : ILoadedModel
    {
        public IChatClient ChatClient => client;

        public void Dispose() => client.Dispose();
    }
}
