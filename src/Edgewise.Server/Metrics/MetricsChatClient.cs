using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace Edgewise.Server.Metrics;

/// <summary>
/// The one place model calls are measured for <see cref="ServerMetrics"/>, a stage of every hosted model's pipeline
/// (local and remote alike, whichever route made the call). Per model call: tokens in and out from its usage; time to
/// first token from the start of the call to the first generated text or tool call (streamed calls only: a call that
/// does not stream shows no first token); generation time from that first token to the end of the call, or for a call
/// that does not stream from its start to its end. A call that fails or is cancelled records nothing.
/// </summary>
internal sealed class MetricsChatClient(IChatClient inner, ServerMetrics metrics) : DelegatingChatClient(inner)
{
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        var response = await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        metrics.RecordGeneration(response.Usage?.InputTokenCount ?? 0, response.Usage?.OutputTokenCount ?? 0, Stopwatch.GetElapsedTime(started));
        return response;
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        var first = 0L;
        UsageDetails? usage = null;
        await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
        {
            // By index: enumerating the IList would allocate an enumerator per token.
            var contents = update.Contents;
            for (var i = 0; i < contents.Count; i++)
            {
                var content = contents[i];
                if (content is UsageContent u)
                {
                    usage = u.Details;
                }
                else if (first == 0 && content is TextContent { Text.Length: > 0 } or FunctionCallContent)
                {
                    first = Stopwatch.GetTimestamp();
                    metrics.RecordTimeToFirstToken(Stopwatch.GetElapsedTime(started, first));
                }
            }

            yield return update;
        }

        metrics.RecordGeneration(usage?.InputTokenCount ?? 0, usage?.OutputTokenCount ?? 0, first == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(first));
    }
}
