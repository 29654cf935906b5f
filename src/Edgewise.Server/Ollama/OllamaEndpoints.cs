using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Edgewise.Server.Errors;
using Edgewise.Server.Hosting;
using Edgewise.Server.Http;
using Edgewise.Server.Generation;
using Edgewise.Server.OpenAi;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.AI;

namespace Edgewise.Server.Ollama;

/// <summary>
/// The Ollama-compatible routes: <c>/api/chat</c> and <c>/api/generate</c> (NDJSON streaming by default, as Ollama
/// does, with <c>keep_alive</c> per request), <c>/api/tags</c>, <c>/api/ps</c>, <c>/api/show</c>, <c>/api/pull</c> and
/// <c>/api/version</c>; tags and ps list store models too (<see cref="OllamaListing"/>). They share validation caps, admission and model
/// leases with the OpenAI routes; errors are Ollama's <c>{"error":"..."}</c>.
/// </summary>
internal static class OllamaEndpoints
{
    /// <summary>The Ollama API version clients see.</summary>
    public const string Version = "0.6.0";

    public static IEndpointRouteBuilder MapOllama(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api");
        group.MapGet("/version", (HttpContext context) => OpenAiEndpoints.WriteJsonAsync(context, new OllamaVersionDto(Version)));
        group.MapGet("/tags", Tags);
        group.MapGet("/ps", Running);
        group.MapPost("/chat", ChatAsync);
        group.MapPost("/generate", GenerateAsync);
        group.MapPost("/show", ShowAsync);
        group.MapPost("/pull", (HttpContext context, OllamaPull pull) => pull.RunAsync(context));
        return app;
    }

    private static async Task ShowAsync(HttpContext context, ModelHost host, ServerOptions options)
    {
        var request = await JsonBody.ReadAsync<OllamaShowRequest>(context, options.MaxRequestBodyBytes, contentTypeOptional: true).ConfigureAwait(false);
        var descriptor = host.Resolve(ChatRequestMapper.ModelName(OllamaShow.NameOf(request)));
        if (descriptor.IsRemote)
        {
            throw ApiException.Invalid("The model is served by a remote backend; its details are not available here.", "model");
        }

        await OpenAiEndpoints.WriteJsonAsync(context, OllamaShow.Describe(descriptor.Name, descriptor.Path)).ConfigureAwait(false);
    }

    private static Task Tags(HttpContext context, OllamaListing listing) =>
        OpenAiEndpoints.WriteJsonAsync(context, new OllamaModelListDto(listing.Available()));

    private static Task Running(HttpContext context, OllamaListing listing) =>
        OpenAiEndpoints.WriteJsonAsync(context, new OllamaModelListDto(listing.Running()));

    private static async Task ChatAsync(HttpContext context, ModelHost host, GenerationHandler generation, ServerOptions options)
    {
        var request = await JsonBody.ReadAsync<OllamaChatRequest>(context, options.MaxRequestBodyBytes, contentTypeOptional: true).ConfigureAwait(false);
        var model = ChatRequestMapper.ModelName(request.Model);
        var keepAlive = OllamaKeepAlive.Parse(request.KeepAlive);
        if (request.Messages is not { Count: > 0 } dtos)
        {
            await LoadOrUnloadAsync(context, host, model, keepAlive, chat: true).ConfigureAwait(false);
            return;
        }

        for (var i = 0; i < dtos.Count; i++)
        {
            CheckImages(dtos[i]?.Images, $"messages[{i}].images");
        }

        var messages = dtos.Select((m, i) => new ChatMessage(Role(m?.Role, i), m?.Content ?? string.Empty)).ToList();
        var chatOptions = ChatOptionsFrom(request.Options, request.Format, model);
        await RunAsync(context, generation, new Generation(model, messages, chatOptions, keepAlive, request.Stream ?? true, Chat: true)).ConfigureAwait(false);
    }

    private static async Task GenerateAsync(HttpContext context, ModelHost host, GenerationHandler generation, ServerOptions options)
    {
        var request = await JsonBody.ReadAsync<OllamaGenerateRequest>(context, options.MaxRequestBodyBytes, contentTypeOptional: true).ConfigureAwait(false);
        var model = ChatRequestMapper.ModelName(request.Model);
        var keepAlive = OllamaKeepAlive.Parse(request.KeepAlive);
        if (string.IsNullOrEmpty(request.Prompt))
        {
            await LoadOrUnloadAsync(context, host, model, keepAlive, chat: false).ConfigureAwait(false);
            return;
        }

        CheckImages(request.Images, "images");
        List<ChatMessage> messages = string.IsNullOrEmpty(request.System)
            ? [new ChatMessage(ChatRole.User, request.Prompt)]
            : [new ChatMessage(ChatRole.System, request.System), new ChatMessage(ChatRole.User, request.Prompt)];
        var chatOptions = ChatOptionsFrom(request.Options, request.Format, model);
        await RunAsync(context, generation, new Generation(model, messages, chatOptions, keepAlive, request.Stream ?? true, Chat: false)).ConfigureAwait(false);
    }

    /// <summary>
    /// A request without prompt or messages, as <c>ollama run</c> preloading and <c>ollama stop</c> send it: keep_alive 0
    /// unloads the model (404 when the name is unknown; idle models go at once, busy ones when their last request ends),
    /// anything else loads it and sets how long it stays. One JSON object with done_reason "unload" or "load".
    /// </summary>
    private static async Task LoadOrUnloadAsync(HttpContext context, ModelHost host, string model, TimeSpan? keepAlive, bool chat)
    {
        string name;
        string reason;
        if (keepAlive == TimeSpan.Zero)
        {
            name = host.Resolve(model).Name;
            host.Manager.Unload(name);
            reason = "unload";
        }
        else
        {
            using var session = await host.StartAsync(model, RequestGuard.KeyOf(context), context.RequestAborted, keepAlive).ConfigureAwait(false);
            name = session.Model;
            reason = "load";
        }

        await OpenAiEndpoints.WriteJsonAsync(context, Chunk(name, string.Empty, chat, done: true) with { DoneReason = reason }).ConfigureAwait(false);
    }

    private static async Task RunAsync(HttpContext context, GenerationHandler handler, Generation generation)
    {
        var (model, messages, options, keepAlive, stream, chat) = generation;
        var writer = new OllamaWriter(context, stream, chat);
        if (await handler.StreamAsync(context, new GenerationRequest(model, messages, options, keepAlive, keepAliveComments: false), writer).ConfigureAwait(false))
        {
            // The lease has ended: a keep_alive of 0 has unloaded the model by the time the client sees done (and
            // /api/ps no longer lists it).
            await writer.CompleteAsync().ConfigureAwait(false);
        }
    }

    private static OllamaChunkDto Chunk(string model, string text, bool chat, bool done) => new(
        model,
        DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
        chat ? new OllamaMessageDto { Role = "assistant", Content = text } : null,
        chat ? null : text,
        done);

    /// <summary>
    /// Ollama's wire format: NDJSON lines as the text arrives, then a last line with <c>done</c> and the counts and
    /// durations, or all of it in one JSON object when not streaming. A stream that breaks after it began ends with one
    /// line holding the error object Ollama's clients raise on.
    /// </summary>
    private sealed class OllamaWriter(HttpContext context, bool stream, bool chat) : ModelGenerationSink
    {
        private readonly long _started = Stopwatch.GetTimestamp();
        private readonly System.Text.StringBuilder _text = new();
        private UsageDetails? _usage;
        private ChatFinishReason? _finish;
        private long _first;

        public override bool Started => context.Response.HasStarted;

        public override async ValueTask UpdateAsync(ChatResponseUpdate update)
        {
            for (var i = 0; i < update.Contents.Count; i++)
            {
                if (update.Contents[i] is UsageContent usage)
                {
                    _usage = usage.Details;
                    break;
                }
            }

            _finish = update.FinishReason ?? _finish;
            if (update.Text.Length == 0)
            {
                return;
            }

            if (_first == 0)
            {
                _first = Stopwatch.GetTimestamp();
            }

            if (stream)
            {
                await WriteLineAsync(context, Chunk(Model, update.Text, chat, done: false)).ConfigureAwait(false);
            }
            else
            {
                _text.Append(update.Text);
            }
        }

        public override async ValueTask FailedAsync(ApiException error, bool shutdown)
        {
            var bytes = ServerJsonContext.BodyBytes(new OllamaErrorDto(error.Message));
            await context.Response.Body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
            await context.Response.Body.WriteAsync("\n"u8.ToArray(), context.RequestAborted).ConfigureAwait(false);
            await context.Response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
        }

        public async Task CompleteAsync()
        {
            var elapsed = Stopwatch.GetElapsedTime(_started);
            var final = Chunk(Model, stream ? string.Empty : _text.ToString(), chat, done: true) with
            {
                DoneReason = _finish == ChatFinishReason.Length ? "length" : "stop",
                TotalDuration = (long)(elapsed.TotalMilliseconds * 1_000_000),
                PromptEvalCount = _usage?.InputTokenCount,
                EvalCount = _usage?.OutputTokenCount,
                EvalDuration = _first == 0 ? 0 : (long)(Stopwatch.GetElapsedTime(_first).TotalMilliseconds * 1_000_000),
            };
            if (stream)
            {
                await WriteLineAsync(context, final).ConfigureAwait(false);
            }
            else
            {
                await OpenAiEndpoints.WriteJsonAsync(context, final).ConfigureAwait(false);
            }
        }
    }

    private static async Task WriteLineAsync(HttpContext context, OllamaChunkDto chunk)
    {
        if (!context.Response.HasStarted)
        {
            context.Response.ContentType = "application/x-ndjson";
        }

        var bytes = ServerJsonContext.BodyBytes(chunk);
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
        await context.Response.Body.WriteAsync("\n"u8.ToArray(), context.RequestAborted).ConfigureAwait(false);
        await context.Response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>A parsed chat or generate request.</summary>
    private sealed record Generation(string Model, List<ChatMessage> Messages, ChatOptions Options, TimeSpan? KeepAlive, bool Stream, bool Chat);

    private static ChatRole Role(string? role, int i) => role switch
    {
        "system" => ChatRole.System,
        "user" => ChatRole.User,
        "assistant" => ChatRole.Assistant,
        "tool" => ChatRole.Tool,
        _ => throw ApiException.Invalid("The role must be system, user, assistant or tool.", $"messages[{i}].role"),
    };

    /// <summary>Ollama's <c>num_predict</c> for "fill the context".</summary>
    private const int FillContext = -2;

    /// <summary>
    /// Ollama's <c>images</c> are base64 strings. The engine reads text only, so well-formed images are not used, but a
    /// string that is not base64 (or is empty or null) is a client error and gets 400 naming it, never silence.
    /// </summary>
    private static void CheckImages(List<string?>? images, string param)
    {
        if (images is null)
        {
            return;
        }

        for (var j = 0; j < images.Count; j++)
        {
            if (images[j] is not { Length: > 0 } image || !System.Buffers.Text.Base64.IsValid(image))
            {
                throw ApiException.Invalid($"{param}[{j}] must be a non-empty base64 string.", $"{param}[{j}]");
            }
        }
    }

    private static ChatOptions ChatOptionsFrom(OllamaOptionsDto? o, JsonElement? format, string model)
    {
        var limit = ChatRequestMapper.MaxOutputTokens;
        if (o?.Temperature is { } t && (!double.IsFinite(t) || t is < 0 or > 2))
        {
            throw ApiException.Invalid("temperature must be between 0 and 2.", "options.temperature");
        }

        if (o?.TopP is { } p && (!double.IsFinite(p) || p is < 0 or > 1))
        {
            throw ApiException.Invalid("top_p must be between 0 and 1.", "options.top_p");
        }

        // Ollama's num_predict: -1 means "until the model stops" and -2 "until the context is full". Both get the same
        // bound here: the 4096-token cap, clamped to what the context leaves after the prompt (finish reason "length").
        if (o?.NumPredict is { } n && (n == 0 || n < FillContext || n > limit))
        {
            throw ApiException.Invalid("num_predict must be -1, -2 or between 1 and 4096.", "options.num_predict");
        }

        if (o?.TopK is { } k && k is < 0 or > 1000)
        {
            throw ApiException.Invalid("top_k must be between 0 and 1000.", "options.top_k");
        }

        if (o?.Stop is { } stop && (stop.Count > ChatRequestMapper.MaxStopSequences || stop.Exists(s => s is null || s.Length is 0 or > 256)))
        {
            throw ApiException.Invalid("stop must hold up to 4 strings of 1 to 256 characters.", "options.stop");
        }

        return new ChatOptions
        {
            ModelId = model,
            Temperature = (float?)o?.Temperature,
            TopP = (float?)o?.TopP,
            TopK = o?.TopK,
            Seed = o?.Seed,
            MaxOutputTokens = o?.NumPredict is > 0 and var max ? max : limit,
            StopSequences = o?.Stop is { Count: > 0 } s ? s : null,
            ResponseFormat = Format(format),
        };
    }

    private static ChatResponseFormat? Format(JsonElement? format) => format switch
    {
        null => null,
        { ValueKind: JsonValueKind.Null } => null,
        { ValueKind: JsonValueKind.String } f when f.GetString() == "json" => ChatResponseFormat.Json,
        { ValueKind: JsonValueKind.Object } schema => ChatResponseFormat.ForJsonSchema(schema),
        _ => throw ApiException.Invalid("format must be \"json\" or a JSON schema object.", "format"),
    };
}
