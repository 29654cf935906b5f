using Edgewise.Models.Management;
using Microsoft.Extensions.AI;

namespace Edgewise.Server.Telemetry;

/// <summary>Wraps every loaded model's chat client in a <see cref="TelemetryChatClient"/> and counts failed loads.</summary>
internal sealed class TelemetryModelLoader(IModelLoader inner, ModelCallRecorder recorder) : IModelLoader
{
    public IModelLoader Inner => inner;

    public ILoadedModel Load(ModelDescriptor descriptor, CancellationToken cancellationToken)
    {
        ILoadedModel loaded;
        try
        {
            loaded = inner.Load(descriptor, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            recorder.RecordLoadFailure(descriptor.Name);
            throw;
        }

        return new Loaded(loaded, new TelemetryChatClient(loaded.ChatClient, descriptor.Name, recorder));
    }

    private sealed class Loaded(ILoadedModel inner, IChatClient client) : ILoadedModel
    {
        public IChatClient ChatClient => client;

        public void Dispose() => inner.Dispose();
    }
}
