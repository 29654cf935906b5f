using System.Globalization;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Edgewise.Agents.Diagnostics;
using Edgewise.Agents.Guardrails;
using Microsoft.Extensions.AI;

namespace Edgewise.Agents;

/// <summary>
/// An agent: a name, instructions, a model and the tools it may call. The public run methods validate the
/// request, hold the session for the run (one run per session, C01), record the start and end events, and call
/// <see cref="RunCoreAsync"/>, which does the work.
/// </summary>
public abstract class Agent
{
    /// <summary>The most characters one input message may have.</summary>
    public const int MaxInputChars = 256 * 1024;

    /// <summary>Creates the agent; <paramref name="options"/> belongs to the agent from now on.</summary>
    protected Agent(AgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
    }

    /// <summary>The agent's definition and limits.</summary>
    public AgentOptions Options { get; }

    /// <summary>The agent's name.</summary>
    public string Name => Options.Name;

    /// <summary>What the agent does.</summary>
    public string Description => Options.Description;

    /// <summary>
    /// Runs the agent on <paramref name="input"/> in <paramref name="session"/> and returns when the run ends
    /// (answer, limit, or a pause for approval). A null input resumes a paused session with the approvals in
    /// <paramref name="options"/>.
    /// </summary>
    /// <remarks>
    /// A session handed off to another agent (<see cref="AgentOptions.Handoffs"/>) continues with that agent: the run
    /// starts with the session's current agent when it is reachable from this one through handoffs.
    /// </remarks>
    /// <exception cref="ArgumentException">The input is too long, or the session belongs to an agent not reachable from this one.</exception>
    /// <exception cref="SessionBusyException">The session is already running.</exception>
    public async Task<AgentRunResult> RunAsync(
        string? input,
        AgentSession session,
        AgentRunOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var owner = Validate(input, session);
        session.Enter();
        try
        {
            var run = owner.CreateRun(input, session, options, streaming: false, sink: null);
            await owner.ExecuteAsync(run, cancellationToken).ConfigureAwait(false);
            return run.ToResult();
        }
        finally
        {
            session.Exit();
        }
    }

    /// <summary>
    /// Like <see cref="RunAsync"/>, streaming answer text and events as they happen; the last update carries the
    /// result. Abandoning the enumeration cancels the run.
    /// </summary>
    /// <exception cref="ArgumentException">The input is too long, or the session belongs to another agent.</exception>
    public IAsyncEnumerable<AgentRunUpdate> RunStreamingAsync(
        string? input,
        AgentSession session,
        AgentRunOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var owner = Validate(input, session);
        return owner.StreamAsync(input, session, options, cancellationToken);
    }

    /// <summary>
    /// Does the run: append the input, call the model and tools, and set <see cref="AgentRun.FinishReason"/>.
    /// Emitting events through <paramref name="run"/> audits and streams them.
    /// </summary>
    protected abstract Task RunCoreAsync(AgentRun run, CancellationToken cancellationToken);

    private async IAsyncEnumerable<AgentRunUpdate> StreamAsync(
        string? input,
        AgentSession session,
        AgentRunOptions? options,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        session.Enter();
        try
        {
            var channel = Channel.CreateUnbounded<AgentRunUpdate>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
            using var abandon = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var run = CreateRun(input, session, options, streaming: true, sink: update => channel.Writer.WriteAsync(update, CancellationToken.None));
            var work = RunToChannelAsync(run, channel.Writer, abandon.Token);
            try
            {
                await foreach (var update in channel.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
                {
                    yield return update;
                }

                await work.ConfigureAwait(false);
                yield return AgentRunUpdate.FromResult(run.ToResult());
            }
            finally
            {
                await abandon.CancelAsync().ConfigureAwait(false);
                await ((Task)work).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
        finally
        {
            session.Exit();
        }
    }

    private async Task RunToChannelAsync(AgentRun run, ChannelWriter<AgentRunUpdate> writer, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Yield();
            await ExecuteAsync(run, cancellationToken).ConfigureAwait(false);
            writer.Complete();
        }
        catch (Exception ex)
        {
            writer.Complete(ex);
            throw;
        }
    }

    private async Task ExecuteAsync(AgentRun run, CancellationToken cancellationToken)
    {
        run.Session.AgentName ??= Name;
        if (Options.IsPrivate)
        {
            run.Session.IsPrivate = true;
        }

        await run.EmitAsync(AgentRunEventKind.RunStarted, "run started", cancellationToken: cancellationToken).ConfigureAwait(false);
        if (run.Route is { } route)
        {
            var detail = route.IsFallback ? "routed by fallback" : string.Create(CultureInfo.InvariantCulture, $"routed with confidence {route.Confidence:0.00}");
            await run.EmitAsync(AgentRunEventKind.Routed, detail, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        var current = this;
        if (Options.Guardrails is not { } guardrails || await GuardInputAsync(run, guardrails, cancellationToken).ConfigureAwait(false))
        {
            await RunCoreAsync(run, cancellationToken).ConfigureAwait(false);
            while (run.HandoffTarget is { } target)
            {
                run.HandoffTarget = null;
                current = target;
                run.AgentName = target.Name;
                run.Session.AgentName = target.Name;
                if (target.Options.IsPrivate)
                {
                    run.Session.IsPrivate = true;
                }

                await target.RunCoreAsync(run, cancellationToken).ConfigureAwait(false);
            }
        }

        if (current.Options.Guardrails is { FiltersOutput: true } outputGuardrails)
        {
            await GuardOutputAsync(run, outputGuardrails, cancellationToken).ConfigureAwait(false);
        }

        run.Finish(AgentFinishReason.Stop);
        run.Session.UpdatedAt = run.Now;
        await run.EmitAsync(AgentRunEventKind.RunCompleted, run.FinishReason!.Value.Value, cancellationToken: CancellationToken.None).ConfigureAwait(false);
    }

    private static async Task<bool> GuardInputAsync(AgentRun run, GuardrailOptions guardrails, CancellationToken cancellationToken)
    {
        if (run.Input is not { } input)
        {
            return true;
        }

        var text = input.Text;
        var refusal = guardrails.MaxInputChars is { } max && text.Length > max ? "input longer than the guardrail allows"
            : Guardrail.FindBlocked(guardrails, text) is not null ? "input contains a blocked term"
            : null;
        if (refusal is not null)
        {
            run.Input = null;
            AgentMetrics.GuardrailIntervened(run.AgentName, "input");
            await run.EmitAsync(AgentRunEventKind.Guardrail, refusal, cancellationToken: cancellationToken).ConfigureAwait(false);
            run.Finish(AgentFinishReason.ContentFilter);
            return false;
        }

        if (guardrails.RedactPii && PiiRedactor.Redact(text, out var count) is var redacted && count > 0)
        {
            run.Input = new ChatMessage(ChatRole.User, redacted);
            AgentMetrics.GuardrailIntervened(run.AgentName, "input");
            await run.EmitAsync(AgentRunEventKind.Guardrail, "personal data redacted from the input", cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    private static async Task GuardOutputAsync(AgentRun run, GuardrailOptions guardrails, CancellationToken cancellationToken)
    {
        if (run.LastAnswer() is not { } answer || run.FinishReason == AgentFinishReason.ApprovalRequired)
        {
            return;
        }

        var text = answer.Text;
        var changed = false;
        if (Guardrail.FindBlocked(guardrails, text) is not null)
        {
            text = Guardrail.WithheldOutput;
            changed = true;
            run.OverrideFinish(AgentFinishReason.ContentFilter);
            AgentMetrics.GuardrailIntervened(run.AgentName, "output");
            await run.EmitAsync(AgentRunEventKind.Guardrail, "answer withheld: blocked term", cancellationToken: CancellationToken.None).ConfigureAwait(false);
        }

        if (guardrails.RedactPii && PiiRedactor.Redact(text, out var count) is var redacted && count > 0)
        {
            text = redacted;
            changed = true;
            AgentMetrics.GuardrailIntervened(run.AgentName, "output");
            await run.EmitAsync(AgentRunEventKind.Guardrail, "personal data redacted from the answer", cancellationToken: CancellationToken.None).ConfigureAwait(false);
        }

        if (guardrails.MaxOutputChars is { } max && text.Length > max)
        {
            text = text[..max] + "\n" + Guardrail.TruncatedOutput;
            changed = true;
            AgentMetrics.GuardrailIntervened(run.AgentName, "output");
            await run.EmitAsync(AgentRunEventKind.Guardrail, "answer cut to the length limit", cancellationToken: CancellationToken.None).ConfigureAwait(false);
        }

        if (changed)
        {
            var others = answer.Contents.Where(static c => c is not TextContent).ToList();
            answer.Contents.Clear();
            answer.Contents.Add(new TextContent(text));
            foreach (var content in others)
            {
                answer.Contents.Add(content);
            }
        }

        await run.WriteFinalTextAsync(text).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
    }

    private AgentRun CreateRun(string? input, AgentSession session, AgentRunOptions? options, bool streaming, Func<AgentRunUpdate, ValueTask>? sink) =>
        new(Name, session, input is null ? null : new ChatMessage(ChatRole.User, input), options?.Approvals ?? [], streaming, Options.AuditLog, Options.Clock, sink)
        {
            InterruptedApprovals = options?.InterruptedApprovals ?? [],
            SuppressText = Reachable().Any(static a => a.Options.Guardrails is { FiltersOutput: true }),
            EscalationRequested = options?.Escalate == true,
            Route = options?.Route,
        };

    /// <summary>Checks the request and returns the agent that runs it: the session's current agent, reachable through handoffs.</summary>
    private Agent Validate(string? input, AgentSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (input is { Length: > MaxInputChars })
        {
            throw new ArgumentException("The input is too long.", nameof(input));
        }

        var owner = this;
        if (session.AgentName is { } name && !string.Equals(name, Name, StringComparison.Ordinal))
        {
            owner = Reachable().FirstOrDefault(a => string.Equals(a.Name, name, StringComparison.Ordinal))
                ?? throw new ArgumentException("The session belongs to another agent.", nameof(session));
        }

        if (input is null && session.PendingApprovals.Count == 0)
        {
            throw new ArgumentException("An input is required unless the session waits for approvals.", nameof(input));
        }

        return owner;
    }

    /// <summary>This agent and every agent reachable from it through handoffs, breadth first.</summary>
    private List<Agent> Reachable()
    {
        var seen = new List<Agent> { this };
        for (var i = 0; i < seen.Count; i++)
        {
            foreach (var target in seen[i].Options.Handoffs)
            {
                if (!seen.Contains(target))
                {
                    seen.Add(target);
                }
            }
        }

        return seen;
    }
}
