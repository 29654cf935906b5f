using System.Text;
using System.Text.Json;
using Edgewise.Agents;
using Edgewise.Server.Http;
using Microsoft.AspNetCore.Http;

namespace Edgewise.Server.Agents;

/// <summary>
/// Server-sent events for agent runs: named events (<c>event: NAME</c>) or plain <c>data:</c> lines, and
/// <c>: keep-alive</c> comments while a run is quiet (H16). Writes follow the request's cancellation token, so a
/// client that leaves makes the next write fail and the run stop (H13).
/// </summary>
internal sealed class AgentSse(HttpContext context)
{
    private static readonly byte[] KeepAliveComment = Encoding.ASCII.GetBytes(": keep-alive\n\n");
    private static readonly byte[] DataPrefix = Encoding.ASCII.GetBytes("data: ");
    private static readonly byte[] EventEnd = Encoding.ASCII.GetBytes("\n\n");

    /// <summary>True once the response headers went out.</summary>
    public bool Started { get; private set; }

    public async Task StartAsync()
    {
        if (Started)
        {
            return;
        }

        Started = true;
        await SseResponse.StartAsync(context).ConfigureAwait(false);
    }

    /// <summary>Writes <c>event: NAME</c> (when given) and <c>data: JSON</c>.</summary>
    public Task WriteAsync<T>(string? name, T value) => WriteRawAsync(name, ServerJsonContext.BodyBytes(value));

    /// <summary>Writes <c>data: [DONE]</c>, the end marker of OpenAI streams.</summary>
    public Task DoneAsync() => WriteRawAsync(null, "[DONE]"u8.ToArray());

    public async Task KeepAliveAsync()
    {
        await StartAsync().ConfigureAwait(false);
        await context.Response.Body.WriteAsync(KeepAliveComment, context.RequestAborted).ConfigureAwait(false);
        await context.Response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    private async Task WriteRawAsync(string? name, byte[] payload)
    {
        await StartAsync().ConfigureAwait(false);
        var body = context.Response.Body;
        var cancel = context.RequestAborted;
        if (name is not null)
        {
            await body.WriteAsync(Encoding.ASCII.GetBytes("event: " + name + "\n"), cancel).ConfigureAwait(false);
        }

        await body.WriteAsync(DataPrefix, cancel).ConfigureAwait(false);
        await body.WriteAsync(payload, cancel).ConfigureAwait(false);
        await body.WriteAsync(EventEnd, cancel).ConfigureAwait(false);
        await body.FlushAsync(cancel).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads a streaming run to its end, handing each update to <paramref name="onUpdate"/> and writing a keep-alive
    /// comment after each quiet <paramref name="keepAlive"/>; returns the result. The enumeration is always finished
    /// before this returns, so the run has stopped and released its session whatever happened.
    /// </summary>
    public async Task<AgentRunResult?> PumpAsync(IAsyncEnumerable<AgentRunUpdate> updates, TimeSpan keepAlive, Func<AgentRunUpdate, Task> onUpdate)
    {
        AgentRunResult? result = null;
        var enumerator = updates.GetAsyncEnumerator(CancellationToken.None);
        Task<bool>? next = null;
        try
        {
            next = enumerator.MoveNextAsync().AsTask();
            while (true)
            {
                bool more;
                try
                {
                    more = await next.WaitAsync(keepAlive).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    await KeepAliveAsync().ConfigureAwait(false);
                    continue;
                }

                if (!more)
                {
                    return result;
                }

                var update = enumerator.Current;
                next = null;
                if (update.Result is { } r)
                {
                    result = r;
                }
                else
                {
                    await onUpdate(update).ConfigureAwait(false);
                }

                next = enumerator.MoveNextAsync().AsTask();
            }
        }
        finally
        {
            if (next is not null)
            {
                await ((Task)next).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            await enumerator.DisposeAsync().ConfigureAwait(false);
        }
    }
}
