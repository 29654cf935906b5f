using Edgewise.Models.Management;
using Microsoft.Extensions.AI;

namespace Edgewise.Hosting;

/// <summary>
/// The loader of a host's <see cref="ModelManager"/>: a local model loads on the embedded engine
/// (<see cref="LocalModelLoader"/>), a remote one as a backend pool (<see cref="RemoteModelLoader"/>), and either way its
/// chat client is put behind the same <see cref="ChatClientPipeline"/>, so telemetry and every other stage see both.
/// What the manager asks of a loaded model (the file lease of M14, locked bytes) passes through unchanged.
/// </summary>
public sealed class HostedModelLoader(IModelLoader local, IModelLoader remote, ChatClientPipeline? pipeline = null) : IModelLoader
{
    private readonly ChatClientPipeline _pipeline = pipeline ?? ChatClientPipeline.Empty;

    /// <summary>The loader of local models.</summary>
    public IModelLoader Local => local;

    /// <summary>The loader of remote models.</summary>
    public IModelLoader Remote => remote;

    /// <inheritdoc/>
    public ILoadedModel Load(ModelDescriptor descriptor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        var loaded = (descriptor.IsRemote ? remote : local).Load(descriptor, cancellationToken);
        try
        {
            return new Hosted(loaded, _pipeline.Build(loaded.ChatClient, descriptor));
        }
        catch
        {
            loaded.Dispose();
            throw;
        }
    }

    /// <summary>A loaded model behind the pipeline; disposing it disposes the model (the stages hold nothing of their own).</summary>
    private sealed class Hosted(ILoadedModel inner, IChatClient client) : ILoadedModel, IFileLeaseHolder, ILockedMemory
    {
        public IChatClient ChatClient => client;

        public bool LeaseBreaking => inner is IFileLeaseHolder { LeaseBreaking: true };

        public long LockedBytes => inner is ILockedMemory locked ? locked.LockedBytes : 0;

        public void Dispose() => inner.Dispose();
    }
}
