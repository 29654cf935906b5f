namespace Edgewise.Agents.Orchestration;

/// <summary>
/// Runs several agents on one input. The public <see cref="RunAsync"/> validates the request, records the start and
/// end, and calls <see cref="RunCoreAsync"/>. Each agent runs in a session of its own (a fresh one, or the one
/// given by <see cref="SessionFactory"/>), so orchestrations never mix histories.
/// </summary>
public abstract class AgentOrchestration
{
    /// <summary>Creates an orchestration over <paramref name="agents"/> (at least one, unique names).</summary>
    /// <exception cref="ArgumentException">No agents, or two share a name.</exception>
    protected AgentOrchestration(IReadOnlyList<Agent> agents)
    {
        ArgumentNullException.ThrowIfNull(agents);
        if (agents.Count == 0 || agents.Any(static a => a is null) || agents.Select(static a => a.Name).Distinct(StringComparer.Ordinal).Count() != agents.Count)
        {
            throw new ArgumentException("An orchestration needs at least one agent and unique names.", nameof(agents));
        }

        Agents = agents;
    }

    /// <summary>The agents, in the order given.</summary>
    public IReadOnlyList<Agent> Agents { get; }

    /// <summary>The session each agent runs in; null means a new <see cref="AgentSession"/> per agent and run.</summary>
    public Func<Agent, AgentSession>? SessionFactory { get; init; }

    /// <summary>The clock for event timestamps; null means <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider? TimeProvider { get; init; }

    /// <summary>Runs the agents on <paramref name="input"/>.</summary>
    /// <exception cref="ArgumentException">The input is empty or too long.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; running agents were cancelled too.</exception>
    public async Task<OrchestrationResult> RunAsync(string input, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(input);
        if (input.Length > Agent.MaxInputChars)
        {
            throw new ArgumentException("The input is too long.", nameof(input));
        }

        var recorder = new OrchestrationRecorder(TimeProvider ?? TimeProvider.System);
        var steps = await RunCoreAsync(input, recorder, cancellationToken).ConfigureAwait(false);
        return recorder.ToResult(steps, Merge(steps));
    }

    /// <summary>Runs the agents and returns one step per agent, in <see cref="Agents"/> order (skipped agents included).</summary>
    protected abstract Task<IReadOnlyList<OrchestrationStep>> RunCoreAsync(string input, OrchestrationRecorder recorder, CancellationToken cancellationToken);

    /// <summary>The orchestration's output from its steps.</summary>
    protected abstract string Merge(IReadOnlyList<OrchestrationStep> steps);

    /// <summary>Runs one agent in its own session and records its events; agent failures other than cancellation become a failed step.</summary>
    private protected async Task<OrchestrationStep> RunStepAsync(Agent agent, string input, OrchestrationRecorder recorder, CancellationToken cancellationToken)
    {
        var session = SessionFactory?.Invoke(agent) ?? new AgentSession();
        recorder.Add(agent.Name, OrchestrationEventKinds.StepStarted, "step started");
        try
        {
            var result = await agent.RunAsync(input, session, cancellationToken: cancellationToken).ConfigureAwait(false);
            recorder.AddRun(agent.Name, result.Events);
            recorder.Add(agent.Name, OrchestrationEventKinds.StepCompleted, "step ended: " + result.FinishReason.Value);
            return new OrchestrationStep(agent.Name, OrchestrationStepStatus.Completed, result);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            recorder.Add(agent.Name, OrchestrationEventKinds.StepFailed, "step failed (" + ex.GetType().Name + ")");
            return new OrchestrationStep(agent.Name, OrchestrationStepStatus.Failed, null);
        }
    }
}
