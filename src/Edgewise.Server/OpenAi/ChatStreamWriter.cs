using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Edgewise.Server.Errors;
using Edgewise.Server.Hosting;
using Edgewise.Server.Http;
using Edgewise.Server.Metrics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;

namespace Edgewise.Server.OpenAi;

/// <summary>
/// Streams a chat completion as server-sent events: one <c>chat.completion.chunk</c> per update, the finish reason in
/// the last choice chunk, a usage chunk when <c>stream_options.include_usage</c>, then <c>data: [DONE]</c>. Generation
/// runs on the request's cancellation token, so a client that leaves cancels it (H13). While nothing arrives, a
/// <c>: keep-alive</c> comment goes out every interval (H16). Errors before the first byte become a normal JSON error;
/// after it, an error event and the end of the stream.
/// </summary>
internal static class ChatStreamWriter
{
    private static readonly byte[] Done = Encoding.ASCII.GetBytes("data: [DONE]\n\n");
    private static readonly byte[] KeepAlive = Encoding.ASCII.GetBytes(": keep-alive\n\n");
    private static readonly byte[] DataPrefix = Encoding.ASCII.GetBytes("data: ");
    private static readonly byte[] EventEnd = Encoding.ASCII.GetBytes("\n\n");

    public static async Task WriteAsync(HttpContext context, ModelSession session, ChatCall call, TimeSpan keepAlive, ServerMetrics metrics)
    {
        using var stop = ServerState.GenerationToken(context);
        var channel = Channel.CreateBounded<ChatResponseUpdate>(new BoundedChannelOptions(64) { SingleReader = true, SingleWriter = true });
        var producer = ProduceAsync(session.Client, call, channel.Writer, stop.Token);
        var state = new StreamState(context, session.Model, ChatResponses.NewId(), DateTimeOffset.UtcNow.ToUnixTimeSeconds())
        {
            PendingLogprobs = Logprobs.Requested(call.Options) ? [] : null,
        };
        try
        {
            await ConsumeAsync(state, channel.Reader, call, keepAlive, stop.Token).ConfigureAwait(false);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await producer.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private static async Task ProduceAsync(IChatClient client, ChatCall call, ChannelWriter<ChatResponseUpdate> writer, CancellationToken cancellationToken)
    {
        await Task.Yield();
        try
        {
            await foreach (var update in client.GetStreamingResponseAsync(call.Messages, call.Options, cancellationToken).ConfigureAwait(false))
            {
                await writer.WriteAsync(update, cancellationToken).ConfigureAwait(false);
            }

            writer.TryComplete();
        }
        catch (Exception e)
        {
            writer.TryComplete(e);
        }
    }

    private static async Task ConsumeAsync(StreamState s, ChannelReader<ChatResponseUpdate> reader, ChatCall call, TimeSpan keepAlive, CancellationToken cancellationToken)
    {
        UsageDetails? usage = null;
        string? finish = null;
        var sawToolCall = false;
        var pending = reader.WaitToReadAsync(cancellationToken).AsTask();
        while (true)
        {
            bool more;
            try
            {
                more = await pending.WaitAsync(keepAlive, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                await s.StartAsync().ConfigureAwait(false);
                await s.WriteRawAsync(KeepAlive).ConfigureAwait(false);
                continue;
            }
            catch (OperationCanceledException) when (ServerState.CutByShutdown(s.Context))
            {
                // The drain deadline passed: the text so far is all there is. The stream still ends as a stream
                // does (finish reason "length": the output is incomplete), then an error event saying why, then [DONE].
                if (!s.Started)
                {
                    throw ShuttingDown();
                }

                await s.WriteChunkAsync(new DeltaDto(s.RoleSent ? null : "assistant", null, null), "length", null).ConfigureAwait(false);
                await s.WriteErrorAsync(ShuttingDown()).ConfigureAwait(false);
                await s.WriteRawAsync(Done).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (ModelHost.TranslateGeneration(e) is { } error)
            {
                if (!s.Started)
                {
                    throw error;
                }

                await s.WriteErrorAsync(error).ConfigureAwait(false);
                return;
            }

            if (!more)
            {
                break;
            }

            while (reader.TryRead(out var update))
            {
                usage = update.Contents.OfType<UsageContent>().FirstOrDefault()?.Details ?? usage;
                if (update.FinishReason is { } reason)
                {
                    finish = ChatResponses.FinishReason(reason);
                }

                var calls = update.Contents.OfType<FunctionCallContent>().Select(c => ChatResponses.ToolCall(c, s.NextToolIndex++)).ToList();
                sawToolCall |= calls.Count > 0;
                s.PendingLogprobs?.AddRange(Logprobs.Of(update.AdditionalProperties));
                var text = update.Text;
                if (text.Length == 0 && calls.Count == 0)
                {
                    continue;
                }

                await s.WriteChunkAsync(new DeltaDto(s.RoleSent ? null : "assistant", text.Length == 0 ? null : text, calls.Count == 0 ? null : calls), null, null).ConfigureAwait(false);
                s.RoleSent = true;
            }

            pending = reader.WaitToReadAsync(cancellationToken).AsTask();
        }

        finish = sawToolCall ? "tool_calls" : finish ?? "stop";
        await s.WriteChunkAsync(new DeltaDto(s.RoleSent ? null : "assistant", null, null), finish, null).ConfigureAwait(false);
        if (call.IncludeUsage)
        {
            await s.WriteChunkAsync(null, null, ChatResponses.Usage(usage) ?? new UsageDto(0, 0, 0)).ConfigureAwait(false);
        }

        await s.WriteRawAsync(Done).ConfigureAwait(false);
    }

    /// <summary>The error a response cut by the drain deadline ends with (S01).</summary>
    internal static ApiException ShuttingDown() =>
        new(503, ErrorTypes.Server, ErrorCodes.ShuttingDown, "The server is shutting down; this response was cut short.");

    private sealed class StreamState(HttpContext context, string model, string id, long created)
    {
        public HttpContext Context => context;

        public bool Started { get; private set; }

        public bool RoleSent { get; set; }

        public int NextToolIndex { get; set; }

        /// <summary>Logprobs received but not yet sent (tokens that produced no text yet); null when not asked for.</summary>
        public List<Edgewise.Inference.TokenLogprob>? PendingLogprobs { get; init; }

        public async Task StartAsync()
        {
            if (Started)
            {
                return;
            }

            Started = true;
            await SseResponse.StartAsync(context).ConfigureAwait(false);
        }

        public async Task WriteChunkAsync(DeltaDto? delta, string? finish, UsageDto? usage)
        {
            ChatLogprobsDto? logprobs = null;
            if (delta is not null && PendingLogprobs is { } pending)
            {
                logprobs = Logprobs.ToChat([.. pending]);
                pending.Clear();
            }

            IReadOnlyList<ChunkChoiceDto> choices = delta is null ? [] : [new ChunkChoiceDto(0, delta, finish) { Logprobs = logprobs }];
            var chunk = new ChatCompletionChunkDto(id, created, model, choices, usage);
            var bytes = ServerJsonContext.BodyBytes(chunk);
            await StartAsync().ConfigureAwait(false);
            var body = context.Response.Body;
            await body.WriteAsync(DataPrefix, context.RequestAborted).ConfigureAwait(false);
            await body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
            await body.WriteAsync(EventEnd, context.RequestAborted).ConfigureAwait(false);
            await body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
        }

        public async Task WriteRawAsync(byte[] bytes)
        {
            await StartAsync().ConfigureAwait(false);
            await context.Response.Body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
            await context.Response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
        }

        public async Task WriteErrorAsync(ApiException error)
        {
            var payload = StreamErrorDto.Utf8(error);
            await WriteRawAsync([.. "data: "u8, .. payload, .. "\n\n"u8]).ConfigureAwait(false);
        }
    }
}
