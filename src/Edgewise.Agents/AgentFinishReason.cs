namespace Edgewise.Agents;

/// <summary>
/// Why an agent run ended: a wire value that may grow, with well-known values as statics
/// (compare with <c>==</c>; unknown values round-trip unchanged).
/// </summary>
public readonly struct AgentFinishReason : IEquatable<AgentFinishReason>
{
    private readonly string? _value;

    /// <summary>Creates a kind from its wire value.</summary>
    /// <exception cref="ArgumentException"><paramref name="value"/> is null or blank.</exception>
    public AgentFinishReason(string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        _value = value;
    }

    /// <summary>The wire value, e.g. <c>max_iterations</c>.</summary>
    public string Value => _value ?? string.Empty;

    /// <summary>The model answered without calling a tool.</summary>
    public static AgentFinishReason Stop { get; } = new("stop");

    /// <summary>The model hit its output token limit.</summary>
    public static AgentFinishReason Length { get; } = new("length");

    /// <summary>Three consecutive tool-call errors ended the run (A01).</summary>
    public static AgentFinishReason ToolError { get; } = new("tool_error");

    /// <summary>The run used its tool rounds or its run time (A06).</summary>
    public static AgentFinishReason MaxIterations { get; } = new("max_iterations");

    /// <summary>The run paused: a tool needs approval (A04); the requests are in the session.</summary>
    public static AgentFinishReason ApprovalRequired { get; } = new("approval_required");

    /// <summary>A guardrail refused the input or the output.</summary>
    public static AgentFinishReason ContentFilter { get; } = new("content_filter");

    /// <summary>Equal when the wire values are equal (ordinal).</summary>
    public static bool operator ==(AgentFinishReason left, AgentFinishReason right) => left.Equals(right);

    /// <summary>Not equal when the wire values differ (ordinal).</summary>
    public static bool operator !=(AgentFinishReason left, AgentFinishReason right) => !left.Equals(right);

    /// <inheritdoc/>
    public bool Equals(AgentFinishReason other) => string.Equals(Value, other.Value, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is AgentFinishReason other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Value);

    /// <inheritdoc/>
    public override string ToString() => Value;
}
