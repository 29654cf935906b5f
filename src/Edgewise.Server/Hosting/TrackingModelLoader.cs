using Edgewise.Models.Management;

namespace Edgewise.Server.Hosting;

/// <summary>
/// Marks the server as loading while a local load runs, so readiness reports 503 meanwhile (H09). Remote models
/// (<see cref="ModelDescriptor.IsRemote"/>) are "loaded" by <see cref="RemoteModelLoader"/>: creating their backend pool
/// takes no time and maps nothing, so readiness is not affected.
/// </summary>
internal sealed class TrackingModelLoader(IModelLoader inner, RemoteModelLoader remote, ServerState state) : IModelLoader
{

    public ILoadedModel Load(ModelDescriptor descriptor, CancellationToken cancellationToken)
    {
        if (descriptor.IsRemote)
        {
            return remote.Load(descriptor, cancellationToken);
        }

        state.LoadStarted();
        try
        {
            return inner.Load(descriptor, cancellationToken);
        }
        finally
        {
            state.LoadEnded();
        }
    }
}
