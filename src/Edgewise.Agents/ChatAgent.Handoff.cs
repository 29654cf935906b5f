using System.Text;
using Edgewise.Agents.Diagnostics;
using Edgewise.Agents.Tools;
using Microsoft.Extensions.AI;

namespace Edgewise.Agents;

/// <summary>Handoffs: one declaration-only tool per target; a call moves the run to that agent.</summary>
public sealed partial class ChatAgent
{
    private const string HandoffPrefix = "handoff_to_";

    /// <summary>The tool name that hands a session to <paramref name="agentName"/>: <c>handoff_to_</c> and the name with <c>.</c> and <c>-</c> as <c>_</c>.</summary>
    public static string HandoffToolName(string agentName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(agentName);
        var builder = new StringBuilder(HandoffPrefix, HandoffPrefix.Length + agentName.Length);
        foreach (var c in agentName)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) ? c : '_');
        }

        return builder.ToString();
    }

    /// <summary>The handoff tools offered in this run, by tool name; none once the run used its handoffs.</summary>
    private Dictionary<string, Agent> HandoffTools(AgentRun run)
    {
        var tools = new Dictionary<string, Agent>(StringComparer.Ordinal);
        if (run.Handoffs >= AgentOptions.MaxHandoffsPerRun)
        {
            return tools;
        }

        foreach (var target in Options.Handoffs)
        {
            if (!ReferenceEquals(target, this) && Options.Tools.All(t => t.Name != HandoffToolName(target.Name)))
            {
                tools.TryAdd(HandoffToolName(target.Name), target);
            }
        }

        return tools;
    }

    private static AIFunctionDeclaration HandoffDeclaration(string toolName, Agent target)
    {
        var description = "Hand the conversation to agent '" + target.Name + "'" + (string.IsNullOrWhiteSpace(target.Description) ? "." : ": " + target.Description)
            + " Call it when that agent is better suited; it continues with the whole conversation.";
        var declaration = AIFunctionFactory.Create(static (string? reason) => reason, toolName, description);
        return declaration.AsDeclarationOnly();
    }

    /// <summary>
    /// Answers the handoff calls of one model turn. The first one is taken (unless a tool call waits for approval,
    /// which wins); the others are refused. Every call gets a result so no call is left without one.
    /// </summary>
    private async Task<List<AIContent>> HandOffAsync(AgentRun run, List<(FunctionCallContent Call, Agent Target)> calls, CancellationToken cancellationToken)
    {
        var results = new List<AIContent>();
        foreach (var (call, target) in calls)
        {
            var callId = string.IsNullOrEmpty(call.CallId) ? ToolCallParser.NewCallId() : call.CallId;
            string text;
            if (run.Session.PendingApprovals.Count > 0 || run.HandoffTarget is not null)
            {
                text = ToolOutput.Error(call.Name, callId, "handoff_refused",
                    run.HandoffTarget is null ? "A tool call waits for approval; the conversation stays with you." : "Only one handoff per turn; this one did not happen.");
                AgentMetrics.ToolDenied(Name, "policy");
                await run.EmitAsync(AgentRunEventKind.Denied, "handoff refused", call.Name, callId, cancellationToken: cancellationToken).ConfigureAwait(false);
                run.AddToolCall(new AgentToolCall(callId, call.Name, "{}", ToolCallStatus.Denied, text));
            }
            else
            {
                text = ToolOutput.Wrap(call.Name, callId, "The conversation is now with agent '" + target.Name + "'.");
                run.Handoffs++;
                run.HandoffTarget = target;
                AgentMetrics.HandedOff(Name, target.Name);
                await run.EmitAsync(AgentRunEventKind.Handoff, "handed off to " + target.Name, call.Name, callId, cancellationToken: cancellationToken).ConfigureAwait(false);
                run.AddToolCall(new AgentToolCall(callId, call.Name, "{}", ToolCallStatus.Completed, text));
            }

            results.Add(new FunctionResultContent(callId, text));
        }

        return results;
    }
}
