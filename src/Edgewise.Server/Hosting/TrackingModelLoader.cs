using Edgewise.Models.Management;

namespace Edgewise.Server.Hosting;

/// <summary>Marks the server as loading while a load runs, so readiness reports 503 meanwhile (H09).</summary>
internal sealed class TrackingModelLoader(IModelLoader inner, ServerState state) : IModelLoader
{
    public ILoadedModel Load(ModelDescriptor descriptor, CancellationToken cancellationToken)
    {
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
