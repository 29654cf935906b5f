namespace Edgewise.Agents;

/// <summary>
/// The kind of an <see cref="AgentRunEvent"/>: a wire value that may grow, with well-known values as statics
/// (compare with <c>==</c>; unknown values round-trip unchanged).
/// </summary>
public readonly struct AgentRunEventKind : IEquatable<AgentRunEventKind>
{
    private readonly string? _value;

    /// <summary>Creates a kind from its wire value.</summary>
    /// <exception cref="ArgumentException"><paramref name="value"/> is null or blank.</exception>
    public AgentRunEventKind(string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        _value = value;
    }

    /// <summary>The wire value, e.g. <c>tool_call</c>.</summary>
    public string Value => _value ?? string.Empty;

    /// <summary>A run began.</summary>
    public static AgentRunEventKind RunStarted { get; } = new("run_started");

    /// <summary>A tool call passed the allow-list and schema checks and is being invoked.</summary>
    public static AgentRunEventKind ToolCall { get; } = new("tool_call");

    /// <summary>A tool call returned a result.</summary>
    public static AgentRunEventKind ToolResult { get; } = new("tool_result");

    /// <summary>A tool call was refused: unknown tool, outside the allow-list, or denied by the user (A03).</summary>
    public static AgentRunEventKind Denied { get; } = new("denied");

    /// <summary>A tool call failed: malformed call, invalid arguments, timeout or exception; the error went back to the model.</summary>
    public static AgentRunEventKind ToolError { get; } = new("tool_error");

    /// <summary>A tool marked approval-required paused the run (A04).</summary>
    public static AgentRunEventKind ApprovalRequested { get; } = new("approval_requested");

    /// <summary>A pending approval was granted with a matching arguments hash.</summary>
    public static AgentRunEventKind ApprovalGranted { get; } = new("approval_granted");

    /// <summary>A pending approval was denied, timed out, or its arguments no longer match.</summary>
    public static AgentRunEventKind ApprovalDenied { get; } = new("approval_denied");

    /// <summary>A guardrail changed or refused input or output.</summary>
    public static AgentRunEventKind Guardrail { get; } = new("guardrail");

    /// <summary>A router chose an agent.</summary>
    public static AgentRunEventKind Routed { get; } = new("routed");

    /// <summary>The run moved to another chat client (escalation), or stayed local because the target was unreachable.</summary>
    public static AgentRunEventKind Escalation { get; } = new("escalation");

    /// <summary>The session was handed to another agent, which continues the run (detail: <c>handed off to NAME</c>).</summary>
    public static AgentRunEventKind Handoff { get; } = new("handoff");

    /// <summary>The history exceeded the context budget: the oldest turns were left out or summarized.</summary>
    public static AgentRunEventKind Context { get; } = new("context");

    /// <summary>The agent's own model backend failed; the run continued on its local fallback model.</summary>
    public static AgentRunEventKind Fallback { get; } = new("fallback");

    /// <summary>A run ended; the event's detail is the finish reason.</summary>
    public static AgentRunEventKind RunCompleted { get; } = new("run_completed");

    /// <summary>Equal when the wire values are equal (ordinal).</summary>
    public static bool operator ==(AgentRunEventKind left, AgentRunEventKind right) => left.Equals(right);

    /// <summary>Not equal when the wire values differ (ordinal).</summary>
    public static bool operator !=(AgentRunEventKind left, AgentRunEventKind right) => !left.Equals(right);

    /// <inheritdoc/>
    public bool Equals(AgentRunEventKind other) => string.Equals(Value, other.Value, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is AgentRunEventKind other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Value);

    /// <inheritdoc/>
    public override string ToString() => Value;
}
