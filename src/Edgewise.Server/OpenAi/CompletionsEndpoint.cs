using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Edgewise.Inference;
using Edgewise.Server.Errors;
using Edgewise.Server.Hosting;
using Edgewise.Server.Http;
using Edgewise.Server.Metrics;
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
    private static readonly byte[] DataPrefix = "data: "u8.ToArray();
    private static readonly byte[] EventEnd = "\n\n"u8.ToArray();
    private static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();
    private static readonly byte[] KeepAlive = ": keep-alive\n\n"u8.ToArray();

    public static IEndpointRouteBuilder MapCompletions(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/completions", CompletionsAsync);
        return app;
    }

    private static async Task CompletionsAsync(HttpContext context, ModelHost host, ServerOptions options, ServerMetrics metrics)
    {
        var request = await JsonBody.ReadAsync<CompletionRequestDto>(context, options.MaxRequestBodyBytes).ConfigureAwait(false);
        var call = CompletionRequestMapper.Map(request);
        using var session = await host.StartAsync(call.Model, RequestGuard.KeyOf(context), context.RequestAborted, options: call.Options).ConfigureAwait(false);
        var run = new Run(context, session, call, "cmpl-" + Guid.NewGuid().ToString("N"), DateTimeOffset.UtcNow.ToUnixTimeSeconds(), options.StreamKeepAlive);
        var choices = new List<CompletionChoiceDto>(call.Prompts.Count);
        for (var i = 0; i < call.Prompts.Count; i++)
        {
            var choice = await GenerateAsync(run, i, metrics).ConfigureAwait(false);
            if (choice is null)
            {
                return;
            }

            choices.Add(choice);
        }

        var usage = new UsageDto(run.PromptTokens, run.CompletionTokens, run.PromptTokens + run.CompletionTokens);
        if (!call.Stream)
        {
            await OpenAiEndpoints.WriteJsonAsync(context, new CompletionDto(run.Id, run.Created, session.Model, choices, usage)).ConfigureAwait(false);
            return;
        }

        if (call.IncludeUsage)
        {
            await run.WriteEventAsync(new CompletionDto(run.Id, run.Created, session.Model, [], usage)).ConfigureAwait(false);
        }

        await run.WriteRawAsync(Done).ConfigureAwait(false);
    }

    /// <summary>Generates the choice for prompt <paramref name="index"/>; null when a streamed response ended with an error event.</summary>
    private static async Task<CompletionChoiceDto?> GenerateAsync(Run run, int index, ServerMetrics metrics)
    {
        var call = run.Call;
        var text = new StringBuilder();
        var tokens = new List<TokenLogprob>();
        ChatFinishReason? finish = null;
        ChatMessage[] messages = [new ChatMessage(ChatRole.User, call.Prompts[index])];
        using var generation = ServerState.GenerationToken(run.Context);
        var updates = run.Session.Client.GetStreamingResponseAsync(messages, call.Options, generation.Token).GetAsyncEnumerator(generation.Token);
        Task<bool>? pending = null;
        try
        {
            while (true)
            {
                pending = updates.MoveNextAsync().AsTask();
                var more = await NextAsync(run, pending).ConfigureAwait(false);
                pending = null;
                if (!more)
                {
                    break;
                }

                var update = updates.Current;
                if (update.Contents.OfType<UsageContent>().FirstOrDefault()?.Details is { } usage)
                {
                    run.PromptTokens += usage.InputTokenCount ?? 0;
                    run.CompletionTokens += usage.OutputTokenCount ?? 0;
                }

                finish = update.FinishReason ?? finish;
                var logprobs = Logprobs.Of(update.AdditionalProperties);
                var piece = update.Text;
                if (piece.Length == 0 && logprobs.Count == 0)
                {
                    continue;
                }

                if (call.Stream)
                {
                    var lp = call.Logprobs is { } top ? Logprobs.ToCompletion(logprobs, top, text.Length) : null;
                    await run.WriteEventAsync(Chunk(run, new CompletionChoiceDto(piece, index, lp, null))).ConfigureAwait(false);
                }
                else
                {
                    tokens.AddRange(logprobs);
                }

                text.Append(piece);
            }
        }
        catch (OperationCanceledException) when (ServerState.CutByShutdown(run.Context))
        {
            // The drain deadline passed: as a chat stream, the stream ends with a finish reason, an error event saying
            // why and [DONE]; a request not yet answering gets 503.
            var error = ChatStreamWriter.ShuttingDown();
            if (!call.Stream || !run.Started)
            {
                throw error;
            }

            var payload = StreamErrorDto.Utf8(error);
            await run.WriteEventAsync(Chunk(run, new CompletionChoiceDto(string.Empty, index, null, "length"))).ConfigureAwait(false);
            await run.WriteRawAsync([.. DataPrefix, .. payload, .. EventEnd]).ConfigureAwait(false);
            await run.WriteRawAsync(Done).ConfigureAwait(false);
            return null;
        }
        catch (Exception e) when (ModelHost.TranslateGeneration(e) is { } error)
        {
            if (!run.Started)
            {
                throw error;
            }

            var payload = StreamErrorDto.Utf8(error);
            await run.WriteRawAsync([.. DataPrefix, .. payload, .. EventEnd]).ConfigureAwait(false);
            return null;
        }
        finally
        {
            if (pending is not null)
            {
                await ((Task)pending).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            await updates.DisposeAsync().ConfigureAwait(false);
        }

        var reason = ChatResponses.FinishReason(finish);
        if (call.Stream)
        {
            await run.WriteEventAsync(Chunk(run, new CompletionChoiceDto(string.Empty, index, null, reason))).ConfigureAwait(false);
        }

        var logprobsDto = call.Logprobs is { } count ? Logprobs.ToCompletion(tokens, count, 0) : null;
        return new CompletionChoiceDto(call.Stream ? string.Empty : text.ToString(), index, logprobsDto, reason);
    }

    /// <summary>
    /// Awaits the generation's next update; while streaming, writes a keep-alive comment each time
    /// <see cref="Run.KeepAlive"/> passes without one.
    /// </summary>
    private static async Task<bool> NextAsync(Run run, Task<bool> next)
    {
        if (!run.Call.Stream)
        {
            return await next.ConfigureAwait(false);
        }

        while (true)
        {
            try
            {
                return await next.WaitAsync(run.KeepAlive, run.Context.RequestAborted).ConfigureAwait(false);
            }
            catch (TimeoutException) when (!next.IsCompleted)
            {
                await run.WriteRawAsync(KeepAlive).ConfigureAwait(false);
            }
        }
    }

    private static CompletionDto Chunk(Run run, CompletionChoiceDto choice) => new(run.Id, run.Created, run.Session.Model, [choice], null);

    /// <summary>One request's state: the session, the SSE response once started, token counts.</summary>
    private sealed class Run(HttpContext context, ModelSession session, CompletionCall call, string id, long created, TimeSpan keepAlive)
    {
        public TimeSpan KeepAlive => keepAlive;

        public HttpContext Context => context;

        public ModelSession Session => session;

        public CompletionCall Call => call;

        public string Id => id;

        public long Created => created;

        public bool Started { get; private set; }

        public long PromptTokens { get; set; }

        public long CompletionTokens { get; set; }

        public long FirstToken { get; set; }

        public Task WriteEventAsync(CompletionDto chunk) =>
            WriteRawAsync([.. DataPrefix, .. ServerJsonContext.BodyBytes(chunk), .. EventEnd]);

        public async Task WriteRawAsync(byte[] bytes)
        {
            var response = context.Response;
            if (!Started)
            {
                Started = true;
                await SseResponse.StartAsync(context).ConfigureAwait(false);
            }

            await response.Body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
            await response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
        }
    }
}
