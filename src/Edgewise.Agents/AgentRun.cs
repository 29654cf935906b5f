using Edgewise.Agents.Storage;
using Microsoft.Extensions.AI;

namespace Edgewise.Agents;

/// <summary>
/// The state of one run, handed to <see cref="Agent.RunCoreAsync"/>: the session, the input, the approval
/// decisions, and the sinks for text, events, tool calls, messages and usage. Events are audited as they are
/// emitted.
/// </summary>
public sealed class AgentRun
{
    private readonly List<ChatMessage> _messages = [];
    private readonly List<AgentToolCall> _toolCalls = [];
    private readonly List<AgentRunEvent> _events = [];
    private readonly Func<AgentRunUpdate, ValueTask>? _sink;
    private readonly IAuditLog? _audit;
    private readonly TimeProvider _clock;

    internal AgentRun(
        string agentName,
        AgentSession session,
        ChatMessage? input,
        IReadOnlyList<ApprovalDecision> decisions,
        bool streaming,
        IAuditLog? audit,
        TimeProvider clock,
        Func<AgentRunUpdate, ValueTask>? sink)
    {
        AgentName = agentName;
        Session = session;
        Input = input;
        Decisions = decisions;
        Streaming = streaming;
        _audit = audit;
        _clock = clock;
        _sink = sink;
        StartedAt = clock.GetUtcNow();
    }

    /// <summary>The agent running now: the one called, or the target of the last handoff.</summary>
    public string AgentName { get; internal set; }

    /// <summary>When the run started; the run timeout counts from here across handoffs.</summary>
    internal DateTimeOffset StartedAt { get; }

    /// <summary>The agent a handoff tool chose; the base class continues the run with it.</summary>
    internal Agent? HandoffTarget { get; set; }

    /// <summary>How many handoffs this run made.</summary>
    internal int Handoffs { get; set; }

    /// <summary>The history index up to which dropped messages were already reported in a <c>context</c> event.</summary>
    internal int ContextDropReported { get; set; }

    /// <summary>The session; the core appends to its messages.</summary>
    public AgentSession Session { get; }

    /// <summary>The new user message (after input guardrails), or null when the run only resumes after approvals.</summary>
    public ChatMessage? Input { get; internal set; }

    /// <summary>Answers to the session's pending approvals.</summary>
    public IReadOnlyList<ApprovalDecision> Decisions { get; }

    /// <summary>Pending approvals decided by an earlier request whose run was interrupted (<see cref="AgentRunOptions.InterruptedApprovals"/>).</summary>
    public IReadOnlyCollection<string> InterruptedApprovals { get; internal init; } = [];

    /// <summary>True when the caller streams: the core should call the model's streaming API and write text as it comes.</summary>
    public bool Streaming { get; }

    /// <summary>Why the run ended; null until the core says.</summary>
    public AgentFinishReason? FinishReason { get; private set; }

    /// <summary>Token usage so far.</summary>
    public UsageDetails Usage { get; } = new();

    /// <summary>The events so far.</summary>
    public IReadOnlyList<AgentRunEvent> Events => _events;

    /// <summary>Now, by the agent's clock.</summary>
    public DateTimeOffset Now => _clock.GetUtcNow();

    /// <summary>Records and audits an event, and streams it.</summary>
    public async ValueTask EmitAsync(AgentRunEventKind kind, string detail, string? toolName = null, string? callId = null, string? argumentsHash = null, CancellationToken cancellationToken = default)
    {
        var runEvent = new AgentRunEvent(kind, detail, Now) { ToolName = toolName, CallId = callId, ArgumentsHash = argumentsHash };
        _events.Add(runEvent);
        if (_audit is not null)
        {
            await _audit.AppendAsync(AuditRecord.FromEvent(Session.Id, AgentName, runEvent), CancellationToken.None).ConfigureAwait(false);
        }

        if (_sink is not null)
        {
            await _sink(AgentRunUpdate.FromEvent(runEvent)).ConfigureAwait(false);
        }

        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Streams a piece of answer text (ignored when not streaming, or while output guardrails hold the text back).</summary>
    public ValueTask WriteTextAsync(string text) => SuppressText ? ValueTask.CompletedTask : WriteFinalTextAsync(text);

    /// <summary>The router's choice that led to this run, if any.</summary>
    public Routing.RouteDecision? Route { get; init; }

    /// <summary>True when the caller asked to start on the escalation target.</summary>
    public bool EscalationRequested { get; init; }

    /// <summary>True while output guardrails must see the whole answer before any of it is shown.</summary>
    internal bool SuppressText { get; init; }

    internal ValueTask WriteFinalTextAsync(string text) =>
        _sink is null || string.IsNullOrEmpty(text) ? ValueTask.CompletedTask : _sink(AgentRunUpdate.FromText(text));

    /// <summary>How far the session, messages and tool calls have got, for <see cref="Rollback"/>.</summary>
    internal (int Session, int Messages, int ToolCalls) Checkpoint() => (Session.Messages.Count, _messages.Count, _toolCalls.Count);

    /// <summary>Drops what was added since <paramref name="checkpoint"/> and returns it for <see cref="Restore"/> (events stay: they happened).</summary>
    internal RunTail Rollback((int Session, int Messages, int ToolCalls) checkpoint)
    {
        var sessionTail = new List<ChatMessage>();
        while (Session.Messages.Count > checkpoint.Session)
        {
            sessionTail.Insert(0, Session.Messages[^1]);
            Session.Messages.RemoveAt(Session.Messages.Count - 1);
        }

        var tail = new RunTail(sessionTail, _messages[checkpoint.Messages..], _toolCalls[checkpoint.ToolCalls..], FinishReason);
        _messages.RemoveRange(checkpoint.Messages, _messages.Count - checkpoint.Messages);
        _toolCalls.RemoveRange(checkpoint.ToolCalls, _toolCalls.Count - checkpoint.ToolCalls);
        FinishReason = null;
        return tail;
    }

    /// <summary>Puts back what <see cref="Rollback"/> removed (after dropping anything added since).</summary>
    internal void Restore((int Session, int Messages, int ToolCalls) checkpoint, RunTail tail)
    {
        Rollback(checkpoint);
        foreach (var message in tail.SessionMessages)
        {
            Session.Messages.Add(message);
        }

        _messages.AddRange(tail.Messages);
        _toolCalls.AddRange(tail.ToolCalls);
        FinishReason = tail.FinishReason;
    }

    /// <summary>Replaces the finish reason (guardrails that withhold an answer).</summary>
    internal void OverrideFinish(AgentFinishReason reason) => FinishReason = reason;

    /// <summary>The last assistant message of this run with text, if any.</summary>
    internal ChatMessage? LastAnswer()
    {
        for (var i = _messages.Count - 1; i >= 0; i--)
        {
            if (_messages[i].Role == ChatRole.Assistant && !string.IsNullOrEmpty(_messages[i].Text))
            {
                return _messages[i];
            }
        }

        return null;
    }

    /// <summary>Appends <paramref name="message"/> to the session and to this run's messages.</summary>
    public void AddMessage(ChatMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        Session.Messages.Add(message);
        _messages.Add(message);
    }

    /// <summary>Records a tool call's outcome.</summary>
    public void AddToolCall(AgentToolCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        _toolCalls.Add(call);
    }

    /// <summary>Adds a model call's usage.</summary>
    public void AddUsage(UsageDetails? usage)
    {
        if (usage is not null)
        {
            Usage.Add(usage);
        }
    }

    /// <summary>Sets why the run ended (the first reason wins).</summary>
    public void Finish(AgentFinishReason reason) => FinishReason ??= reason;

    internal AgentRunResult ToResult()
    {
        var finish = FinishReason ?? AgentFinishReason.Stop;
        var output = finish == AgentFinishReason.ApprovalRequired ? string.Empty : LastAnswer()?.Text ?? string.Empty;

        return new AgentRunResult(Session.Id, output, [.. _messages], [.. _toolCalls], Usage, [.. _events], finish, [.. Session.PendingApprovals])
        {
            AgentName = AgentName,
        };
    }
}

/// <summary>What a rollback removed from a run.</summary>
internal sealed record RunTail(List<ChatMessage> SessionMessages, List<ChatMessage> Messages, List<AgentToolCall> ToolCalls, AgentFinishReason? FinishReason);
