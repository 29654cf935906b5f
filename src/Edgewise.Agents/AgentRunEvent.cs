namespace Edgewise.Agents;

/// <summary>
/// One thing that happened during a run, in order. <see cref="Detail"/> is a fixed, human-readable phrase: it
/// never holds tool arguments, results or prompt text (those stay in the messages), so events are safe to log
/// and to audit (A11).
/// </summary>
/// <param name="Kind">What happened.</param>
/// <param name="Detail">A fixed phrase explaining it, e.g. <c>tool not in the agent's allow-list</c>.</param>
/// <param name="Timestamp">When it happened.</param>
public sealed record AgentRunEvent(AgentRunEventKind Kind, string Detail, DateTimeOffset Timestamp)
{
    /// <summary>The tool involved, if any.</summary>
    public string? ToolName { get; init; }

    /// <summary>The tool call id involved, if any.</summary>
    public string? CallId { get; init; }

    /// <summary>The SHA-256 (hex) of the tool name and canonical arguments, if a tool call is involved.</summary>
    public string? ArgumentsHash { get; init; }
}
