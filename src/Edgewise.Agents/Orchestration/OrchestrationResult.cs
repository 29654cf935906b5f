namespace Edgewise.Agents.Orchestration;

/// <summary>What an orchestration produced.</summary>
public sealed class OrchestrationResult
{
    internal OrchestrationResult(string output, IReadOnlyList<OrchestrationStep> steps, IReadOnlyList<OrchestrationEvent> events)
    {
        Output = output;
        Steps = steps;
        Events = events;
    }

    /// <summary>The merged output (see each orchestration for its rule).</summary>
    public string Output { get; }

    /// <summary>One step per agent, in the order the agents were given.</summary>
    public IReadOnlyList<OrchestrationStep> Steps { get; }

    /// <summary>The orchestration's events and each agent's run events, tagged with the agent's name, in the order recorded.</summary>
    public IReadOnlyList<OrchestrationEvent> Events { get; }

    /// <summary>True when every step completed with finish reason <c>stop</c>.</summary>
    public bool Succeeded => Steps.All(static s => s.Status == OrchestrationStepStatus.Completed && s.Result!.FinishReason == AgentFinishReason.Stop);
}

/// <summary>One agent's part in an orchestration.</summary>
/// <param name="AgentName">The agent.</param>
/// <param name="Status">Whether it ran.</param>
/// <param name="Result">Its run result; null unless <paramref name="Status"/> is completed.</param>
public sealed record OrchestrationStep(string AgentName, OrchestrationStepStatus Status, AgentRunResult? Result)
{
    /// <summary>The step's answer: the run's output when it completed with <c>stop</c>, else null.</summary>
    public string? Answer => Status == OrchestrationStepStatus.Completed && Result!.FinishReason == AgentFinishReason.Stop ? Result.Output : null;
}

/// <summary>Whether a step ran.</summary>
public enum OrchestrationStepStatus
{
    /// <summary>The agent ran to the end (its result says how it ended).</summary>
    Completed,

    /// <summary>The agent threw (e.g. its model failed); the orchestration went on without it.</summary>
    Failed,

    /// <summary>The agent did not run: an earlier step of a sequence did not answer.</summary>
    Skipped,
}

/// <summary>An event of an orchestration: the agent it concerns and the event.</summary>
/// <param name="AgentName">The agent.</param>
/// <param name="Event">The event: an orchestration step event or one of the agent's run events.</param>
public sealed record OrchestrationEvent(string AgentName, AgentRunEvent Event);

/// <summary>The event kinds orchestrations add to the agents' own.</summary>
public static class OrchestrationEventKinds
{
    /// <summary>An agent's step began.</summary>
    public static AgentRunEventKind StepStarted { get; } = new("step_started");

    /// <summary>An agent's step ended; the detail carries the run's finish reason.</summary>
    public static AgentRunEventKind StepCompleted { get; } = new("step_completed");

    /// <summary>An agent's step threw; the orchestration continued without it.</summary>
    public static AgentRunEventKind StepFailed { get; } = new("step_failed");

    /// <summary>An agent's step did not run.</summary>
    public static AgentRunEventKind StepSkipped { get; } = new("step_skipped");
}

/// <summary>Collects an orchestration's events; thread-safe, so concurrent steps may record at once.</summary>
public sealed class OrchestrationRecorder
{
    private readonly Lock _gate = new();
    private readonly List<OrchestrationEvent> _events = [];
    private readonly TimeProvider _clock;

    internal OrchestrationRecorder(TimeProvider clock) => _clock = clock;

    /// <summary>Records an orchestration event about <paramref name="agentName"/>.</summary>
    public void Add(string agentName, AgentRunEventKind kind, string detail)
    {
        var runEvent = new AgentRunEvent(kind, detail, _clock.GetUtcNow());
        lock (_gate)
        {
            _events.Add(new OrchestrationEvent(agentName, runEvent));
        }
    }

    internal void AddRun(string agentName, IReadOnlyList<AgentRunEvent> events)
    {
        lock (_gate)
        {
            foreach (var runEvent in events)
            {
                _events.Add(new OrchestrationEvent(agentName, runEvent));
            }
        }
    }

    internal OrchestrationResult ToResult(IReadOnlyList<OrchestrationStep> steps, string output)
    {
        lock (_gate)
        {
            return new OrchestrationResult(output, steps, [.. _events]);
        }
    }
}
