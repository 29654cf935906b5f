namespace Edgewise.Agents.Storage;

/// <summary>
/// The append-only record of what agents did: every tool call, approval and denial (A03, A04). Implementations
/// must not drop rows silently; an append that cannot be stored throws.
/// </summary>
public interface IAuditLog
{
    /// <summary>Appends <paramref name="record"/>.</summary>
    Task AppendAsync(AuditRecord record, CancellationToken cancellationToken = default);
}

/// <summary>One audit row. It carries hashes and fixed phrases, never tool arguments, results or prompts (A11).</summary>
/// <param name="Timestamp">When it happened.</param>
/// <param name="SessionId">The session.</param>
/// <param name="AgentName">The agent.</param>
/// <param name="Kind">The event kind's wire value, e.g. <c>denied</c>.</param>
/// <param name="Detail">A fixed phrase.</param>
public sealed record AuditRecord(DateTimeOffset Timestamp, string SessionId, string AgentName, string Kind, string Detail)
{
    /// <summary>The tool, if any.</summary>
    public string? ToolName { get; init; }

    /// <summary>The tool call id, if any.</summary>
    public string? CallId { get; init; }

    /// <summary>The arguments hash, if any.</summary>
    public string? ArgumentsHash { get; init; }

    /// <summary>The audit row for <paramref name="runEvent"/> of a run of <paramref name="agentName"/> in <paramref name="sessionId"/>.</summary>
    public static AuditRecord FromEvent(string sessionId, string agentName, AgentRunEvent runEvent)
    {
        ArgumentNullException.ThrowIfNull(runEvent);
        return new AuditRecord(runEvent.Timestamp, sessionId, agentName, runEvent.Kind.Value, runEvent.Detail)
        {
            ToolName = runEvent.ToolName,
            CallId = runEvent.CallId,
            ArgumentsHash = runEvent.ArgumentsHash,
        };
    }
}
