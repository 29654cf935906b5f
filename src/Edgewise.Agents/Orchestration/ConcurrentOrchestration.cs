namespace Edgewise.Agents.Orchestration;

/// <summary>
/// Fan-out: every agent answers the same input, at most <see cref="MaxParallelism"/> at a time. Cancelling the
/// token cancels the running agents and starts no more. Merge rule (unless <see cref="Merger"/> is set): the
/// answers of the steps that completed with <c>stop</c>, in the order the agents were given (never completion
/// order), each as <c>[NAME]</c> on its own line followed by the answer, separated by a blank line; steps that
/// failed or ended otherwise are left out (their events say why).
/// </summary>
public sealed class ConcurrentOrchestration : AgentOrchestration
{
    private readonly int _maxParallelism;

    /// <summary>Creates a fan-out over <paramref name="agents"/> running at most <paramref name="maxParallelism"/> (1–64) at a time.</summary>
    public ConcurrentOrchestration(IReadOnlyList<Agent> agents, int maxParallelism = 4)
        : base(agents)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxParallelism, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxParallelism, 64);
        _maxParallelism = maxParallelism;
    }

    /// <summary>How many agents run at once.</summary>
    public int MaxParallelism => _maxParallelism;

    /// <summary>A custom merge of the steps (in agent order); null means the documented rule.</summary>
    public Func<IReadOnlyList<OrchestrationStep>, string>? Merger { get; init; }

    /// <inheritdoc/>
    protected override async Task<IReadOnlyList<OrchestrationStep>> RunCoreAsync(string input, OrchestrationRecorder recorder, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(recorder);
        using var gate = new SemaphoreSlim(_maxParallelism, _maxParallelism);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var tasks = new Task<OrchestrationStep>[Agents.Count];
        for (var i = 0; i < Agents.Count; i++)
        {
            tasks[i] = RunGatedAsync(Agents[i], input, recorder, gate, stop.Token);
        }

        try
        {
            return await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await ((Task)Task.WhenAll(tasks)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            throw;
        }
    }

    /// <inheritdoc/>
    protected override string Merge(IReadOnlyList<OrchestrationStep> steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        if (Merger is { } merger)
        {
            return merger(steps);
        }

        return string.Join("\n\n", steps.Where(static s => s.Answer is not null).Select(static s => "[" + s.AgentName + "]\n" + s.Answer));
    }

    private async Task<OrchestrationStep> RunGatedAsync(Agent agent, string input, OrchestrationRecorder recorder, SemaphoreSlim gate, CancellationToken cancellationToken)
    {
        await Task.Yield();
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await RunStepAsync(agent, input, recorder, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }
}
