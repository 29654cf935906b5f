using Edgewise.Server.Errors;
using Edgewise.Server.Generation;
using Edgewise.Server.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;

namespace Edgewise.Server.OpenAi;

/// <summary>
/// A chat completion as server-sent events: one <c>chat.completion.chunk</c> per update, the finish reason in the last
/// choice chunk, a usage chunk when <c>stream_options.include_usage</c>, then <c>data: [DONE]</c>; <c>: keep-alive</c>
/// comments while nothing arrives (H16). A generation that fails after the first byte ends with an error event; one
/// cut by the drain deadline ends as a stream ends (finish reason <c>length</c>), then the error event and [DONE] (S01).
/// </summary>
internal sealed class ChatStreamWriter(HttpContext context, ChatCall call) : ModelGenerationSink
{
    private readonly SseStream _sse = new(context);
    private readonly string _id = ChatResponses.NewId();
    private readonly long _created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    /// <summary>Logprobs received but not yet sent (tokens that produced no text yet); null when not asked for.</summary>
    private readonly List<Edgewise.Inference.TokenLogprob>? _pendingLogprobs = Logprobs.Requested(call.Options) ? [] : null;

    private UsageDetails? _usage;
    private string? _finish;
    private bool _sawToolCall;
    private bool _roleSent;
    private int _nextToolIndex;

    public override bool Started => _sse.Started;

    public override async ValueTask UpdateAsync(ChatResponseUpdate update)
    {
        if (update.FinishReason is { } reason)
        {
            _finish = ChatResponses.FinishReason(reason);
        }

        // By index: enumerating the IList would allocate an enumerator per token.
        List<ToolCallDto>? calls = null;
        var contents = update.Contents;
        for (var i = 0; i < contents.Count; i++)
        {
            switch (contents[i])
            {
                case UsageContent usage:
                    _usage = usage.Details;
                    break;
                case FunctionCallContent call:
                    (calls ??= []).Add(ChatResponses.ToolCall(call, _nextToolIndex++));
                    break;
            }
        }

        _sawToolCall |= calls is not null;
        _pendingLogprobs?.AddRange(Logprobs.Of(update.AdditionalProperties));
        var text = update.Text;
        if (text.Length == 0 && calls is null)
        {
            return;
        }

        await WriteChunkAsync(new DeltaDto(Role(), text.Length == 0 ? null : text, calls), null, null).ConfigureAwait(false);
    }

    public override ValueTask QuietAsync() => new(_sse.KeepAliveAsync());

    public override async ValueTask FailedAsync(ApiException error, bool shutdown)
    {
        if (shutdown)
        {
            // The text so far is all there is: the stream still ends as a stream does (finish reason "length": the
            // output is incomplete), then an error event saying why, then [DONE].
            await WriteChunkAsync(new DeltaDto(Role(), null, null), "length", null).ConfigureAwait(false);
            await _sse.WriteErrorAsync(null, error).ConfigureAwait(false);
            await _sse.DoneAsync().ConfigureAwait(false);
            return;
        }

        await _sse.WriteErrorAsync(null, error).ConfigureAwait(false);
    }

    /// <summary>The end of a generation that ended normally: the finish chunk, usage when asked for, [DONE].</summary>
    public async Task CompleteAsync()
    {
        var finish = _sawToolCall ? "tool_calls" : _finish ?? "stop";
        await WriteChunkAsync(new DeltaDto(Role(), null, null), finish, null).ConfigureAwait(false);
        if (call.IncludeUsage)
        {
            await WriteChunkAsync(null, null, ChatResponses.Usage(_usage) ?? new UsageDto(0, 0, 0)).ConfigureAwait(false);
        }

        await _sse.DoneAsync().ConfigureAwait(false);
    }

    /// <summary>"assistant" in the first delta, nothing after.</summary>
    private string? Role()
    {
        var role = _roleSent ? null : "assistant";
        _roleSent = true;
        return role;
    }

    private Task WriteChunkAsync(DeltaDto? delta, string? finish, UsageDto? usage)
    {
        ChatLogprobsDto? logprobs = null;
        if (delta is not null && _pendingLogprobs is { } pending)
        {
            logprobs = Logprobs.ToChat([.. pending]);
            pending.Clear();
        }

        IReadOnlyList<ChunkChoiceDto> choices = delta is null ? [] : [new ChunkChoiceDto(0, delta, finish) { Logprobs = logprobs }];
        return _sse.WriteAsync(null, new ChatCompletionChunkDto(_id, _created, Model, choices, usage));
    }
}
