namespace Edgewise.Agents;

/// <summary>Per-run choices; null properties mean the defaults.</summary>
public sealed class AgentRunOptions
{
    /// <summary>Answers to the session's pending approvals.</summary>
    public IReadOnlyList<ApprovalDecision>? Approvals { get; init; }

    /// <summary>
    /// Call ids of pending approvals that an earlier request already decided but whose run ended before the session
    /// was saved (its process died). The run closes them as interrupted: neither decided again nor run again, and
    /// the model is told the call's outcome is unknown. A store shared by several processes records decisions and
    /// names these; one process owning its store never has any.
    /// </summary>
    public IReadOnlyCollection<string>? InterruptedApprovals { get; init; }

    /// <summary>
    /// True to start on the agent's escalation target (e.g. because the router was not confident). Ignored for
    /// private agents and sessions; an unreachable target falls back to the local model with an event.
    /// </summary>
    public bool Escalate { get; init; }

    /// <summary>The router's choice that led to this run, recorded as a <c>routed</c> event; null when not routed.</summary>
    public Routing.RouteDecision? Route { get; init; }
}
