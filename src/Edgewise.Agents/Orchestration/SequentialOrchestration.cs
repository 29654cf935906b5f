namespace Edgewise.Agents.Orchestration;

/// <summary>
/// A pipeline: the first agent answers the input, each next agent answers the previous agent's output. When a step
/// does not answer (it fails, pauses for approval, or ends other than <c>stop</c>), the remaining agents are
/// skipped. The output is the last answer given (empty when the first step did not answer).
/// </summary>
public sealed class SequentialOrchestration : AgentOrchestration
{
    /// <summary>Creates a pipeline over <paramref name="agents"/>, in order.</summary>
    public SequentialOrchestration(IReadOnlyList<Agent> agents)
        : base(agents)
    {
    }

    /// <inheritdoc/>
    protected override async Task<IReadOnlyList<OrchestrationStep>> RunCoreAsync(string input, OrchestrationRecorder recorder, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(recorder);
        var steps = new List<OrchestrationStep>(Agents.Count);
        var next = input;
        foreach (var agent in Agents)
        {
            if (next is null)
            {
                recorder.Add(agent.Name, OrchestrationEventKinds.StepSkipped, "step skipped: the previous step gave no answer");
                steps.Add(new OrchestrationStep(agent.Name, OrchestrationStepStatus.Skipped, null));
                continue;
            }

            cancellationToken.ThrowIfCancellationRequested();
            var step = await RunStepAsync(agent, next, recorder, cancellationToken).ConfigureAwait(false);
            steps.Add(step);
            next = string.IsNullOrEmpty(step.Answer) ? null : step.Answer;
        }

        return steps;
    }

    /// <inheritdoc/>
    protected override string Merge(IReadOnlyList<OrchestrationStep> steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        return steps.LastOrDefault(static s => !string.IsNullOrEmpty(s.Answer))?.Answer ?? string.Empty;
    }
}
