using System.Globalization;
using Edgewise.Agents;
using Edgewise.Agents.Routing;
using Edgewise.Agents.Storage;

namespace Edgewise.Cli.Commands;

/// <summary>
/// The read–answer loop of <c>edgewise chat AGENT</c>: each line runs through the agent, tool calls and other run
/// events are shown as bracketed lines, approvals are asked as y/n questions, and the session is saved after every
/// run so that <c>--session ID</c> continues it.
/// </summary>
internal static class AgentChatLoop
{
    private const string Help = "Commands: /bye leaves, /help shows this. Tool calls show as [event] lines; answer approval questions with y or n. Ctrl+C stops the current answer.";

    public static async Task RunAsync(Agent agent, AgentSession session, ISessionStore store, TextReader input, TextWriter output, IAnswerCancellation cancellation)
    {
        output.WriteLine(Help);
        output.WriteLine("session " + session.Id + " (continue it with --session " + session.Id + ")");
        if (session.PendingApprovals.Count > 0)
        {
            await RunTurnAsync(agent, session, store, null, null, input, output, cancellation).ConfigureAwait(false);
        }

        while (await ReadInputAsync(input, output).ConfigureAwait(false) is { } line)
        {
            await RunTurnAsync(agent, session, store, line, null, input, output, cancellation).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The loop of <c>edgewise chat ROUTER</c>: each line goes to the agent the router picks (a low-confidence pick
    /// asks for escalation); each agent keeps its own session, created on its first turn.
    /// </summary>
    public static async Task RunRoutedAsync(AgentRouter router, ISessionStore store, TextReader input, TextWriter output, IAnswerCancellation cancellation)
    {
        output.WriteLine(Help);
        var sessions = new Dictionary<string, AgentSession>(StringComparer.Ordinal);
        while (await ReadInputAsync(input, output).ConfigureAwait(false) is { } line)
        {
            var decision = await router.RouteAsync(line).ConfigureAwait(false);
            var agent = decision.Agent;
            // Abs: a router answer of -0 parses as negative zero, which would print as "-0.00".
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"(routed to {agent.Name}, confidence {Math.Abs(decision.Confidence):0.00}{(decision.IsFallback ? ", fallback" : string.Empty)})"));
            if (!sessions.TryGetValue(agent.Name, out var session))
            {
                session = new AgentSession { AgentName = agent.Name, IsPrivate = agent.Options.IsPrivate, Owner = AgentSession.LocalOwner };
                sessions[agent.Name] = session;
                output.WriteLine("session " + session.Id + " for agent " + agent.Name);
            }

            await RunTurnAsync(agent, session, store, line, decision.ToRunOptions(), input, output, cancellation).ConfigureAwait(false);
        }
    }

    /// <summary>Prompts and reads one input line; handles /help and blank lines; null at /bye or end of input.</summary>
    private static async Task<string?> ReadInputAsync(TextReader input, TextWriter output)
    {
        while (true)
        {
            output.Write(">>> ");
            output.Flush();
            var line = await input.ReadLineAsync().ConfigureAwait(false);
            switch (line?.Trim())
            {
                case null or "/bye":
                    return null;
                case "":
                    continue;
                case "/help" or "/?":
                    output.WriteLine(Help);
                    continue;
                default:
                    return line;
            }
        }
    }

    /// <summary>Runs one input, then keeps resuming while the agent waits for approvals the user answers.</summary>
    private static async Task RunTurnAsync(
        Agent agent, AgentSession session, ISessionStore store, string? text, AgentRunOptions? options, TextReader input, TextWriter output, IAnswerCancellation cancellation)
    {
        while (true)
        {
            var result = await RunOnceAsync(agent, session, text, options, output, cancellation).ConfigureAwait(false);
            await store.SaveAsync(session).ConfigureAwait(false);
            if (result is null || result.FinishReason != AgentFinishReason.ApprovalRequired || session.PendingApprovals.Count == 0)
            {
                return;
            }

            var decisions = new List<ApprovalDecision>();
            foreach (var request in session.PendingApprovals)
            {
                output.Write("approve " + request.ToolName + " " + request.Arguments + "? [y/N] ");
                output.Flush();
                var answer = (await input.ReadLineAsync().ConfigureAwait(false))?.Trim();
                var approved = string.Equals(answer, "y", StringComparison.OrdinalIgnoreCase) || string.Equals(answer, "yes", StringComparison.OrdinalIgnoreCase);
                decisions.Add(new ApprovalDecision(request.CallId, request.ArgumentsHash, approved));
            }

            text = null;
            options = new AgentRunOptions { Approvals = decisions };
        }
    }

    private static async Task<AgentRunResult?> RunOnceAsync(Agent agent, AgentSession session, string? text, AgentRunOptions? options, TextWriter output, IAnswerCancellation cancellation)
    {
        using var answerToken = cancellation.BeginAnswer();
        AgentRunResult? result = null;
        var midLine = false;
        try
        {
            await foreach (var update in agent.RunStreamingAsync(text, session, options, answerToken.Token).ConfigureAwait(false))
            {
                if (update.Text is { } piece)
                {
                    output.Write(piece);
                    midLine = piece.Length > 0 && piece[^1] != '\n';
                }
                else if (update.Event is { } e && e.Kind != AgentRunEventKind.RunStarted && e.Kind != AgentRunEventKind.RunCompleted)
                {
                    if (midLine)
                    {
                        output.WriteLine();
                        midLine = false;
                    }

                    output.WriteLine("[" + e.Kind.Value + (e.ToolName is { } tool ? " " + tool : string.Empty) + "] " + e.Detail);
                }
                else if (update.Result is { } r)
                {
                    result = r;
                }

                output.Flush();
            }
        }
        catch (OperationCanceledException)
        {
            output.Write(" (stopped)");
        }

        output.WriteLine();
        if (result is not null && result.FinishReason != AgentFinishReason.Stop && result.FinishReason != AgentFinishReason.ApprovalRequired)
        {
            output.WriteLine("(run ended: " + result.FinishReason.Value + ")");
        }

        return result;
    }
}
