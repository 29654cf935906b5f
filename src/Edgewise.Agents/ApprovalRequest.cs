namespace Edgewise.Agents;

/// <summary>
/// A paused tool call waiting for a person (A04). It is stored in the session; the decision must name the same
/// call id and arguments hash, and it counts as denied once <see cref="ExpiresAt"/> has passed.
/// </summary>
/// <param name="CallId">The tool call id.</param>
/// <param name="ToolName">The tool.</param>
/// <param name="Arguments">The arguments as canonical JSON (keys sorted), shown to the person approving.</param>
/// <param name="ArgumentsHash">SHA-256 (hex) of the tool name and canonical arguments.</param>
/// <param name="RequestedAt">When the run paused.</param>
/// <param name="ExpiresAt">When no answer becomes a denial.</param>
public sealed record ApprovalRequest(
    string CallId,
    string ToolName,
    string Arguments,
    string ArgumentsHash,
    DateTimeOffset RequestedAt,
    DateTimeOffset ExpiresAt);

/// <summary>A person's answer to an <see cref="ApprovalRequest"/>, bound to its call id and arguments hash.</summary>
/// <param name="CallId">The call id of the request.</param>
/// <param name="ArgumentsHash">The arguments hash of the request being answered.</param>
/// <param name="Approved">True to run the tool, false to deny it.</param>
public sealed record ApprovalDecision(string CallId, string ArgumentsHash, bool Approved);
