using Microsoft.Extensions.AI;

namespace Edgewise.Agents;

/// <summary>What one run produced.</summary>
public sealed class AgentRunResult
{
    /// <summary>Creates a result.</summary>
    public AgentRunResult(
        string sessionId,
        string output,
        IReadOnlyList<ChatMessage> messages,
        IReadOnlyList<AgentToolCall> toolCalls,
        UsageDetails usage,
        IReadOnlyList<AgentRunEvent> events,
        AgentFinishReason finishReason,
        IReadOnlyList<ApprovalRequest> pendingApprovals)
    {
        SessionId = sessionId;
        Output = output;
        Messages = messages;
        ToolCalls = toolCalls;
        Usage = usage;
        Events = events;
        FinishReason = finishReason;
        PendingApprovals = pendingApprovals;
    }

    /// <summary>The agent that ended the run: after a handoff, the target; null when the producer did not say.</summary>
    public string? AgentName { get; init; }

    /// <summary>The session the run belongs to.</summary>
    public string SessionId { get; }

    /// <summary>The final answer text (empty when the run paused or ended without one).</summary>
    public string Output { get; }

    /// <summary>The messages this run added to the session (input, assistant turns, tool results).</summary>
    public IReadOnlyList<ChatMessage> Messages { get; }

    /// <summary>The tool calls of this run and what became of them.</summary>
    public IReadOnlyList<AgentToolCall> ToolCalls { get; }

    /// <summary>Token usage summed over the model calls of this run.</summary>
    public UsageDetails Usage { get; }

    /// <summary>The events of this run, in order.</summary>
    public IReadOnlyList<AgentRunEvent> Events { get; }

    /// <summary>Why the run ended.</summary>
    public AgentFinishReason FinishReason { get; }

    /// <summary>The approvals the session waits for (non-empty when <see cref="FinishReason"/> is approval_required).</summary>
    public IReadOnlyList<ApprovalRequest> PendingApprovals { get; }
}
