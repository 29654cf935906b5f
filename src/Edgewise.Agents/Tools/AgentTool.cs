using Microsoft.Extensions.AI;

namespace Edgewise.Agents.Tools;

/// <summary>
/// A tool an agent may call: an <see cref="AIFunction"/> (e.g. from <see cref="AIFunctionFactory"/>) plus the
/// agent's policy for it. Agents are deny-by-default: only tools in <see cref="AgentOptions.Tools"/> run.
/// </summary>
public sealed class AgentTool
{
    /// <summary>Wraps <paramref name="function"/>.</summary>
    /// <param name="function">The function; its name is the tool name and its JSON schema validates arguments.</param>
    /// <param name="requiresApproval">True when a call pauses the run until a person approves it (side effects, A04).</param>
    /// <param name="timeout">Per-call timeout, at most 30 s; null means <see cref="AgentOptions.ToolTimeout"/>.</param>
    public AgentTool(AIFunction function, bool requiresApproval = false, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentException.ThrowIfNullOrWhiteSpace(function.Name);
        if (timeout is { } t && (t <= TimeSpan.Zero || t > TimeSpan.FromSeconds(30)))
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), "The timeout must be positive and at most 30 s (A08).");
        }

        Function = function;
        RequiresApproval = requiresApproval;
        Timeout = timeout;
    }

    /// <summary>The function invoked.</summary>
    public AIFunction Function { get; }

    /// <summary>The tool name the model uses.</summary>
    public string Name => Function.Name;

    /// <summary>True when a call pauses the run until a person approves it.</summary>
    public bool RequiresApproval { get; }

    /// <summary>Per-call timeout; null means the agent's default.</summary>
    public TimeSpan? Timeout { get; }

    /// <summary>A tool from a delegate through <see cref="AIFunctionFactory.Create(Delegate, string?, string?, System.Text.Json.JsonSerializerOptions?)"/>.</summary>
    public static AgentTool Create(Delegate method, string name, string description, bool requiresApproval = false) =>
        new(AIFunctionFactory.Create(method, name, description), requiresApproval);
}
