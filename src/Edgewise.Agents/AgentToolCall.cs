namespace Edgewise.Agents;

/// <summary>One tool call of a run and what became of it.</summary>
/// <param name="CallId">The call id (from the model, or generated when the model's format has none).</param>
/// <param name="Name">The tool name the model asked for.</param>
/// <param name="Arguments">The arguments as JSON text (empty object when there were none or they did not parse).</param>
/// <param name="Status">What became of it.</param>
/// <param name="Result">The text returned to the model (tool output or a structured error), or null while awaiting approval.</param>
public sealed record AgentToolCall(string CallId, string Name, string Arguments, ToolCallStatus Status, string? Result);
