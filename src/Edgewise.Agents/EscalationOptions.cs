using Microsoft.Extensions.AI;

namespace Edgewise.Agents;

/// <summary>
/// Where an agent hands a run that the local model should not answer alone: a bigger local model or a remote
/// backend. Never used for private agents or sessions. When the target fails (offline, refused), the run
/// continues on the local model and says so in its events.
/// </summary>
public sealed class EscalationOptions
{
    /// <summary>Creates options escalating to <paramref name="target"/>.</summary>
    public EscalationOptions(IChatClient target, string targetName)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentException.ThrowIfNullOrWhiteSpace(targetName);
        Target = target;
        TargetName = targetName;
    }

    /// <summary>The chat client escalated to.</summary>
    public IChatClient Target { get; }

    /// <summary>A short name for events and metrics, e.g. <c>remote-gpt</c>.</summary>
    public string TargetName { get; }

    /// <summary>
    /// Checks the local answer; false escalates the run (the local turn is dropped and the target answers).
    /// Null means every answer is accepted.
    /// </summary>
    public Func<string, bool>? ValidateOutput { get; init; }
}
