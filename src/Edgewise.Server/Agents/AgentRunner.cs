using System.Text;
using Edgewise.Agents;
using Edgewise.Agents.Routing;
using Edgewise.Server.Errors;
using Edgewise.Server.Generation;
using Edgewise.Server.Hosting;
using Edgewise.Server.Http;
using Edgewise.Server.OpenAi;
using Microsoft.AspNetCore.Http;

namespace Edgewise.Server.Agents;

/// <summary>
/// Runs an agent for a request and persists the session: as one JSON answer, or as server-sent events
/// (<c>session</c>, then <c>text</c> and <c>event</c> as they happen, then <c>result</c>). The session is saved
/// before the result is sent, so an acknowledged turn is durable. A client that leaves cancels the run; what the
/// model had said is kept in the session as an assistant message flagged <c>interrupted</c> (H13, H14).
/// </summary>
internal sealed class AgentRunner(AgentSessions sessions, ServerOptions options, AgentCatalog catalog)
{
    /// <summary>The kind of the run event that says the agent ran on its degraded model (alert action degrade_agents).</summary>
    public static readonly AgentRunEventKind DegradedKind = new("degraded");

    public async Task RunAsync(HttpContext context, Agent agent, AgentSession session, string? input, AgentRunOptions? runOptions, bool stream)
    {
        var aborted = context.RequestAborted;

        // The run stops when the client leaves or when the drain deadline passes; in the second case the client is
        // still there and gets the documented ending (503, or an 'error' event on a stream), the partial turn saved.
        using var generation = ServerState.GenerationToken(context);
        if (!stream)
        {
            AgentRunResult result;
            try
            {
                result = await agent.RunAsync(input, session, runOptions, generation.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (aborted.IsCancellationRequested)
            {
                await SaveInterruptedAsync(session, string.Empty).ConfigureAwait(false);
                throw;
            }
            catch (OperationCanceledException) when (ServerState.CutByShutdown(context))
            {
                await SaveInterruptedAsync(session, string.Empty).ConfigureAwait(false);
                throw ApiException.ShuttingDown();
            }
            catch (Exception e) when (Translate(e) is { } error)
            {
                throw error;
            }

            await sessions.SaveAsync(session, CancellationToken.None).ConfigureAwait(false);
            await OpenAiEndpoints.WriteJsonAsync(context, WithDegraded(AgentWire.Run(result, session.AgentName ?? agent.Name), agent)).ConfigureAwait(false);
            return;
        }

        var sink = new RunEvents(this, context, session);
        bool completed;
        try
        {
            await sink.Sse.WriteAsync("session", new AgentSessionEventDto(session.Id, agent.Name)).ConfigureAwait(false);
            if (DegradedEvent(agent) is { } degraded)
            {
                await sink.Sse.WriteAsync("event", AgentWire.Event(degraded)).ConfigureAwait(false);
            }

            completed = await GenerationLoop.RunAsync(context, token => agent.RunStreamingAsync(input, session, runOptions, token), sink, options.StreamKeepAlive, Translate).ConfigureAwait(false);
        }
        catch (Exception) when (aborted.IsCancellationRequested)
        {
            await SaveInterruptedAsync(session, sink.Partial).ConfigureAwait(false);
            throw new OperationCanceledException(aborted);
        }

        if (!completed || sink.Result is not { } streamed)
        {
            return;
        }

        await sessions.SaveAsync(session, CancellationToken.None).ConfigureAwait(false);
        await sink.Sse.WriteAsync("result", WithDegraded(AgentWire.Run(streamed, session.AgentName ?? agent.Name), agent)).ConfigureAwait(false);
    }

    /// <summary>
    /// A run as named server-sent events: <c>text</c> and <c>event</c> as they happen (the text since the last tool call
    /// kept, for the turn an interruption saves), <c>error</c> when the run fails. A run cut by the drain deadline saves its
    /// partial turn before the error goes out.
    /// </summary>
    private sealed class RunEvents(AgentRunner runner, HttpContext context, AgentSession session) : IGenerationSink<AgentRunUpdate>
    {
        private readonly StringBuilder _partial = new();

        public SseStream Sse { get; } = new(context);

        public string Partial => _partial.ToString();

        public AgentRunResult? Result { get; private set; }

        public bool Started => Sse.Started;

        public async ValueTask UpdateAsync(AgentRunUpdate update)
        {
            if (update.Result is { } result)
            {
                Result = result;
            }
            else if (update.Text is { } text)
            {
                _partial.Append(text);
                await Sse.WriteAsync("text", new AgentTextEventDto(text)).ConfigureAwait(false);
            }
            else if (update.Event is { } e)
            {
                if (e.ToolName is not null)
                {
                    _partial.Clear();
                }

                await Sse.WriteAsync("event", AgentWire.Event(e)).ConfigureAwait(false);
            }
        }

        public ValueTask QuietAsync() => new(Sse.KeepAliveAsync());

        public async ValueTask FailedAsync(ApiException error, bool shutdown)
        {
            if (shutdown)
            {
                await runner.SaveInterruptedAsync(session, Partial).ConfigureAwait(false);
            }

            await Sse.WriteErrorAsync("error", error).ConfigureAwait(false);
        }
    }

    private AgentRunEvent? DegradedEvent(Agent agent) =>
        catalog.DegradedNote(agent) is { } note ? new AgentRunEvent(DegradedKind, note, sessions.Clock.GetUtcNow()) : null;

    private AgentRunDto WithDegraded(AgentRunDto run, Agent agent) =>
        DegradedEvent(agent) is { } degraded ? run with { Events = [AgentWire.Event(degraded), .. run.Events] } : run;

    /// <summary>Asks <paramref name="router"/> for the agent to answer <paramref name="input"/>, with model failures as HTTP errors.</summary>
    public static async Task<RouteDecision> RouteAsync(AgentRouter router, string input, CancellationToken cancellationToken)
    {
        try
        {
            return await router.RouteAsync(input, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (Translate(e) is { } error)
        {
            throw error;
        }
    }

    /// <summary>Maps failures raised inside a run to HTTP errors; null for unexpected ones.</summary>
    public static ApiException? Translate(Exception e) => e switch
    {
        SessionBusyException => AgentSessions.Busy(),
        _ => ModelHost.TranslateGeneration(e),
    };

    /// <summary>Keeps the cut-off turn: the input and whatever was said, flagged interrupted; saved even though the request is gone.</summary>
    internal async Task SaveInterruptedAsync(AgentSession session, string partial)
    {
        session.Messages.Add(AgentWire.Interrupted(partial));
        session.UpdatedAt = sessions.Clock.GetUtcNow();
        await sessions.SaveAsync(session, CancellationToken.None).ConfigureAwait(false);
    }
}
