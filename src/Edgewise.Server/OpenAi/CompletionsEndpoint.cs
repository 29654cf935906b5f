using System.Text;
using Edgewise.Inference;
using Edgewise.Server.Errors;
using Edgewise.Server.Generation;
using Edgewise.Server.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.AI;

namespace Edgewise.Server.OpenAi;

/// <summary>
/// <c>POST /v1/completions</c>, OpenAI's legacy text completions: one choice per prompt (generated in order under one
/// admission slot and model lease), <c>logprobs</c> as the number of alternatives per token, and SSE streaming with
/// <c>text_completion</c> chunks, the finish reason in each prompt's last chunk, a usage chunk when
/// <c>stream_options.include_usage</c>, then <c>data: [DONE]</c>; while a streamed generation yields nothing, a
/// <c>: keep-alive</c> comment goes out every <see cref="ServerOptions.StreamKeepAlive"/> (H16). Prompts are raw
/// text (no chat template). A client that leaves cancels the generation.
/// </summary>
internal static class CompletionsEndpoint
{
    public static IEndpointRouteBuilder MapCompletions(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/completions", CompletionsAsync);
        return app;
    }

    private static async Task CompletionsAsync(HttpContext context, GenerationHandler generation, ServerOptions options)
    {
        var request = await JsonBody.ReadAsync<CompletionRequestDto>(context, options.MaxRequestBodyBytes).ConfigureAwait(false);
        var call = CompletionRequestMapper.Map(request);
        var inputs = call.Prompts.Select(p => (IReadOnlyList<ChatMessage>)[new ChatMessage(ChatRole.User, p)]).ToList();
        var writer = new CompletionWriter(context, call);
        if (!await generation.StreamAsync(context, new GenerationRequest(call.Model, inputs, call.Options, KeepAliveComments: call.Stream), writer).ConfigureAwait(false))
        {
            return;
        }

        await writer.CompleteAsync().ConfigureAwait(false);
    }

    /// <summary>The completions wire format: streamed chunks, or the choices gathered into one answer.</summary>
    private sealed class CompletionWriter(HttpContext context, CompletionCall call) : ModelGenerationSink
    {
        private readonly SseStream _sse = new(context);
        private readonly string _id = "cmpl-" + Guid.NewGuid().ToString("N");
        private readonly long _created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        private readonly List<CompletionChoiceDto> _choices = new(call.Prompts.Count);
        private readonly StringBuilder _text = new();
        private readonly List<TokenLogprob> _tokens = [];
        private int _index;
        private ChatFinishReason? _finish;
        private long _promptTokens;
        private long _completionTokens;

        public override bool Started => _sse.Started;

        public override ValueTask InputStartingAsync(int index)
        {
            _index = index;
            _text.Clear();
            _tokens.Clear();
            _finish = null;
            return ValueTask.CompletedTask;
        }

        public override async ValueTask UpdateAsync(ChatResponseUpdate update)
        {
            for (var i = 0; i < update.Contents.Count; i++)
            {
                if (update.Contents[i] is UsageContent { Details: var usage })
                {
                    _promptTokens += usage.InputTokenCount ?? 0;
                    _completionTokens += usage.OutputTokenCount ?? 0;
                    break;
                }
            }

            _finish = update.FinishReason ?? _finish;
            var logprobs = Logprobs.Of(update.AdditionalProperties);
            var piece = update.Text;
            if (piece.Length == 0 && logprobs.Count == 0)
            {
                return;
            }

            if (call.Stream)
            {
                var lp = call.Logprobs is { } top ? Logprobs.ToCompletion(logprobs, top, _text.Length) : null;
                await _sse.WriteAsync(null, Chunk(new CompletionChoiceDto(piece, _index, lp, null))).ConfigureAwait(false);
            }
            else
            {
                _tokens.AddRange(logprobs);
            }

            _text.Append(piece);
        }

        public override ValueTask QuietAsync() => new(_sse.KeepAliveAsync());

        public override async ValueTask FailedAsync(ApiException error, bool shutdown)
        {
            if (shutdown)
            {
                // As a chat stream: the prompt's last chunk with finish reason "length", the error event, [DONE].
                await _sse.WriteAsync(null, Chunk(new CompletionChoiceDto(string.Empty, _index, null, "length"))).ConfigureAwait(false);
                await _sse.WriteErrorAsync(null, error).ConfigureAwait(false);
                await _sse.DoneAsync().ConfigureAwait(false);
                return;
            }

            await _sse.WriteErrorAsync(null, error).ConfigureAwait(false);
        }

        public override async ValueTask InputDoneAsync(int index)
        {
            var reason = ChatResponses.FinishReason(_finish);
            if (call.Stream)
            {
                await _sse.WriteAsync(null, Chunk(new CompletionChoiceDto(string.Empty, index, null, reason))).ConfigureAwait(false);
                return;
            }

            var logprobs = call.Logprobs is { } count ? Logprobs.ToCompletion(_tokens, count, 0) : null;
            _choices.Add(new CompletionChoiceDto(_text.ToString(), index, logprobs, reason));
        }

        /// <summary>The end of the response once every prompt is answered: the whole answer, or the usage chunk and [DONE].</summary>
        public async Task CompleteAsync()
        {
            var usage = new UsageDto(_promptTokens, _completionTokens, _promptTokens + _completionTokens);
            if (!call.Stream)
            {
                await OpenAiEndpoints.WriteJsonAsync(context, new CompletionDto(_id, _created, Model, _choices, usage)).ConfigureAwait(false);
                return;
            }

            if (call.IncludeUsage)
            {
                await _sse.WriteAsync(null, new CompletionDto(_id, _created, Model, [], usage)).ConfigureAwait(false);
            }

            await _sse.DoneAsync().ConfigureAwait(false);
        }

        private CompletionDto Chunk(CompletionChoiceDto choice) => new(_id, _created, Model, [choice], null);
    }
}
