using Edgewise.Server.Errors;
using Edgewise.Server.Hosting;
using Edgewise.Server.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;

namespace Edgewise.Server.Generation;

/// <summary>What a model route asks for, once its wire format is read.</summary>
/// <param name="Model">The model name as requested.</param>
/// <param name="Inputs">The conversations to answer, one after the other on one lease (the legacy completions route takes several prompts; the others one).</param>
/// <param name="Options">The generation options, the capabilities they need included.</param>
/// <param name="KeepLoaded">How long the model stays loaded once idle, when the request says (Ollama's <c>keep_alive</c>).</param>
/// <param name="KeepAliveComments">Whether the wire format has keep-alive comments (server-sent events) to send while the generation is quiet.</param>
internal sealed record GenerationRequest(string Model, IReadOnlyList<IReadOnlyList<ChatMessage>> Inputs, ChatOptions Options, TimeSpan? KeepLoaded = null, bool KeepAliveComments = true)
{
    public GenerationRequest(string model, IReadOnlyList<ChatMessage> messages, ChatOptions options, TimeSpan? keepLoaded = null, bool keepAliveComments = true)
        : this(model, [messages], options, keepLoaded, keepAliveComments)
    {
    }
}

/// <summary>A wire format of a model route: a sink of chat updates that is told which model answers and where each input starts and ends.</summary>
internal abstract class ModelGenerationSink : IGenerationSink<ChatResponseUpdate>
{
    /// <summary>The name of the model answering (set once the model is leased).</summary>
    public string Model { get; set; } = string.Empty;

    public abstract bool Started { get; }

    public abstract ValueTask UpdateAsync(ChatResponseUpdate update);

    public virtual ValueTask QuietAsync() => ValueTask.CompletedTask;

    public abstract ValueTask FailedAsync(ApiException error, bool shutdown);

    /// <summary>Input <paramref name="index"/> is about to be generated.</summary>
    public virtual ValueTask InputStartingAsync(int index) => ValueTask.CompletedTask;

    /// <summary>Input <paramref name="index"/> was generated to its end.</summary>
    public virtual ValueTask InputDoneAsync(int index) => ValueTask.CompletedTask;
}

/// <summary>
/// The one generation path of the model routes (OpenAI chat and completions, Ollama chat and generate): admission and
/// the model's lease (<see cref="ModelHost.StartAsync"/>: 404, 429, 503 and capability 400s before anything is
/// generated), then <see cref="GenerationLoop"/> over the leased chat client for each input, then the lease and the
/// admission slot are released, before the route writes the end of its response: a waiting request starts as soon as
/// the generation is over, and a model with <c>keep_alive</c> 0 is gone by the time the client reads the end.
/// Telemetry, metrics (one definition of time to first token, generation time and tokens) and the load log are stages
/// of the leased client's pipeline, the same for local and remote models.
/// </summary>
internal sealed class GenerationHandler(ModelHost host, ServerOptions options)
{
    /// <summary>Generates every input into <paramref name="sink"/>; true when all ended normally, false when one failed after the response began.</summary>
    public async Task<bool> StreamAsync(HttpContext context, GenerationRequest request, ModelGenerationSink sink)
    {
        using var session = await host.StartAsync(request.Model, RequestGuard.KeyOf(context), context.RequestAborted, request.KeepLoaded, request.Options).ConfigureAwait(false);
        sink.Model = session.Model;
        TimeSpan? keepAlive = request.KeepAliveComments ? options.StreamKeepAlive : null;
        for (var i = 0; i < request.Inputs.Count; i++)
        {
            var messages = request.Inputs[i];
            await sink.InputStartingAsync(i).ConfigureAwait(false);
            if (!await GenerationLoop.RunAsync(context, token => session.Client.GetStreamingResponseAsync(messages, request.Options, token), sink, keepAlive, ModelHost.TranslateGeneration).ConfigureAwait(false))
            {
                return false;
            }

            await sink.InputDoneAsync(i).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>Generates the one input of <paramref name="request"/> as a whole response (nothing is written before it is complete).</summary>
    public async Task<(string Model, ChatResponse Response)> RespondAsync(HttpContext context, GenerationRequest request)
    {
        using var session = await host.StartAsync(request.Model, RequestGuard.KeyOf(context), context.RequestAborted, request.KeepLoaded, request.Options).ConfigureAwait(false);
        using var generation = ServerState.GenerationToken(context);
        try
        {
            return (session.Model, await session.Client.GetResponseAsync(request.Inputs[0], request.Options, generation.Token).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (ServerState.CutByShutdown(context))
        {
            throw ApiException.ShuttingDown();
        }
        catch (Exception e) when (ModelHost.TranslateGeneration(e) is { } error)
        {
            throw error;
        }
    }
}
