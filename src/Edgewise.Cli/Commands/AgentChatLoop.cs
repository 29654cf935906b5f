using Edgewise.Agents;
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
            await RunTurnAsync(agent, session, store, null, input, output, cancellation).ConfigureAwait(false);
        }

        while (true)
        {
            output.Write(">>> ");
            output.Flush();
            var line = await input.ReadLineAsync().ConfigureAwait(false);
            if (line is null || line.Trim() == "/bye")
            {
                return;
            }

            switch (line.Trim())
            {
                case "":
                    continue;
                case "/help" or "/?":
                    output.WriteLine(Help);
                    continue;
            }

            await RunTurnAsync(agent, session, store, line, input, output, cancellation).ConfigureAwait(false);
        }
    }

    /// <summary>Runs one input, then keeps resuming while the agent waits for approvals the user answers.</summary>
    private static async Task RunTurnAsync(Agent agent, AgentSession session, ISessionStore store, string? text, TextReader input, TextWriter output, IAnswerCancellation cancellation)
    {
        AgentRunOptions? options = null;
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
