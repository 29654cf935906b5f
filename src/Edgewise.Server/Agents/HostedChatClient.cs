using System.Diagnostics;
using System.Runtime.CompilerServices;
using Edgewise.Server.Hosting;
using Edgewise.Server.Metrics;
using Microsoft.Extensions.AI;

namespace Edgewise.Server.Agents;

/// <summary>
/// An agent's view of a server model: every model call waits for admission and leases the model from the
/// <see cref="ModelHost"/>, so agents share the queue, the per-key limits and the memory budget with plain chat,
/// and hold a slot only while the model generates (not while tools run or approvals wait). Token counts go to the
/// server's metrics like plain chat's (the model's pipeline measures every call, <see cref="Metrics.MetricsChatClient"/>).
/// </summary>
internal sealed class HostedChatClient(ModelHost host, string model, int? key) : IChatClient
{
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        using var session = await host.StartAsync(model, key, cancellationToken).ConfigureAwait(false);
        return await session.Client.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var session = await host.StartAsync(model, key, cancellationToken).ConfigureAwait(false);
        await foreach (var update in session.Client.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
        {
            yield return update;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
