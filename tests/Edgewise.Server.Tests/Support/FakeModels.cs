using Edgewise.Models.Hardware;
using Edgewise.Models.Management;
using Microsoft.Extensions.AI;

namespace Edgewise.Server.Tests.Support;

/// <summary>Loads scripted clients by model name; a load can be held open with <see cref="LoadGate"/>.</summary>
internal sealed class FakeLoader(IReadOnlyDictionary<string, IChatClient> clients) : IModelLoader
{
    public Task? LoadGate { get; set; }

    public TaskCompletionSource LoadStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ILoadedModel Load(ModelDescriptor descriptor, CancellationToken cancellationToken)
    {
        LoadStarted.TrySetResult();
        LoadGate?.Wait(cancellationToken);
        return new Loaded(clients[descriptor.Name]);
    }

    private sealed class Loaded(IChatClient client) : ILoadedModel
    {
        public IChatClient ChatClient => client;

        public void Dispose()
        {
        }
    }
}

/// <summary>A machine with plenty of memory.</summary>
internal sealed class BigMemory : IMemoryProbe
{
    public long TotalBytes => 64L << 30;

    public long AvailableBytes => 48L << 30;
}
