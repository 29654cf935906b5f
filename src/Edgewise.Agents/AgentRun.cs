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
    private readonly string _agentName;
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
        _agentName = agentName;
        Session = session;
        Input = input;
        Decisions = decisions;
        Streaming = streaming;
        _audit = audit;
        _clock = clock;
        _sink = sink;
    }

    /// <summary>The session; the core appends to its messages.</summary>
    public AgentSession Session { get; }

    /// <summary>The new user message, or null when the run only resumes after approvals.</summary>
    public ChatMessage? Input { get; }

    /// <summary>Answers to the session's pending approvals.</summary>
    public IReadOnlyList<ApprovalDecision> Decisions { get; }

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
            await _audit.AppendAsync(AuditRecord.FromEvent(Session.Id, _agentName, runEvent), CancellationToken.None).ConfigureAwait(false);
        }

        if (_sink is not null)
        {
            await _sink(AgentRunUpdate.FromEvent(runEvent)).ConfigureAwait(false);
        }

        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Streams a piece of answer text (ignored when not streaming).</summary>
    public ValueTask WriteTextAsync(string text) =>
        _sink is null || string.IsNullOrEmpty(text) ? ValueTask.CompletedTask : _sink(AgentRunUpdate.FromText(text));

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
        var output = string.Empty;
        var finish = FinishReason ?? AgentFinishReason.Stop;
        if (finish != AgentFinishReason.ApprovalRequired)
        {
            for (var i = _messages.Count - 1; i >= 0; i--)
            {
                if (_messages[i].Role == ChatRole.Assistant && !string.IsNullOrEmpty(_messages[i].Text))
                {
                    output = _messages[i].Text;
                    break;
                }
            }
        }

        return new AgentRunResult(Session.Id, output, [.. _messages], [.. _toolCalls], Usage, [.. _events], finish, [.. Session.PendingApprovals]);
    }
}
