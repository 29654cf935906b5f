using Edgewise.Agents.Guardrails;
using Edgewise.Agents.Storage;
using Edgewise.Agents.Tools;
using Microsoft.Extensions.AI;

namespace Edgewise.Agents;

/// <summary>
/// What an agent is and the limits it runs under. Setters validate; null properties mean the documented default.
/// </summary>
public sealed class AgentOptions
{
    /// <summary>The most tool rounds any agent may be configured with (SECURITY A06).</summary>
    public const int MaxToolRoundsLimit = 10;

    /// <summary>The default number of tool rounds per run.</summary>
    public const int DefaultMaxToolRounds = 8;

    /// <summary>The most handoffs one run may make; after that the handoff tools are no longer offered (bounds handoff loops).</summary>
    public const int MaxHandoffsPerRun = 3;

    /// <summary>The default cap on one tool result, in UTF-8 bytes (SECURITY A07).</summary>
    public const int DefaultMaxToolResultBytes = 32 * 1024;

    private string _name = "agent";
    private int? _maxToolRounds;
    private int? _maxOutputTokens;
    private float? _temperature;
    private TimeSpan? _toolTimeout;
    private TimeSpan? _runTimeout;
    private TimeSpan? _approvalTimeout;
    private int? _maxToolResultBytes;
    private int? _maxHistoryMessages;
    private ChatToolMode? _toolChoice;

    /// <summary>The agent's name: 1–64 characters of letters, digits, <c>-</c>, <c>_</c> and <c>.</c>.</summary>
    public string Name
    {
        get => _name;
        set
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(value);
            if (value.Length > 64 || !value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                throw new ArgumentException("Agent names are 1-64 characters of letters, digits, '-', '_' and '.'.", nameof(value));
            }

            _name = value;
        }
    }

    /// <summary>What the agent does (shown to routers and in listings).</summary>
    public string Description { get; set; } = string.Empty;

    /// <summary>The system instructions; null means none.</summary>
    public string? Instructions { get; set; }

    /// <summary>The model alias the composition root resolves to a chat client; informational to the agent itself.</summary>
    public string? Model { get; set; }

    /// <summary>The only tools this agent may call (deny by default).</summary>
    public IList<AgentTool> Tools { get; } = [];

    /// <summary>Sampling temperature in [0, 2]; null means the model's default.</summary>
    public float? Temperature
    {
        get => _temperature;
        set
        {
            if (value is { } t && (!float.IsFinite(t) || t < 0 || t > 2))
            {
                throw new ArgumentOutOfRangeException(nameof(value), "The temperature must be in [0, 2].");
            }

            _temperature = value;
        }
    }

    /// <summary>Output token limit per model call, 1–4096; null means the model's default.</summary>
    public int? MaxOutputTokens
    {
        get => _maxOutputTokens;
        set
        {
            if (value is { } n)
            {
                ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
                ArgumentOutOfRangeException.ThrowIfGreaterThan(n, 4096);
            }

            _maxOutputTokens = value;
        }
    }

    /// <summary>Tool rounds per run, 1–<see cref="MaxToolRoundsLimit"/>; null means <see cref="DefaultMaxToolRounds"/>.</summary>
    public int? MaxToolRounds
    {
        get => _maxToolRounds;
        set
        {
            if (value is { } n)
            {
                ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
                ArgumentOutOfRangeException.ThrowIfGreaterThan(n, MaxToolRoundsLimit);
            }

            _maxToolRounds = value;
        }
    }

    /// <summary>Per tool call timeout, at most 30 s; null means 30 s (A08).</summary>
    public TimeSpan? ToolTimeout { get => _toolTimeout; set => _toolTimeout = Positive(value, TimeSpan.FromSeconds(30)); }

    /// <summary>Whole-run timeout, at most 120 s; null means 120 s (A06).</summary>
    public TimeSpan? RunTimeout { get => _runTimeout; set => _runTimeout = Positive(value, TimeSpan.FromSeconds(120)); }

    /// <summary>How long an approval request stays open before it counts as denied; at most 7 days; null means 15 min (A04).</summary>
    public TimeSpan? ApprovalTimeout { get => _approvalTimeout; set => _approvalTimeout = Positive(value, TimeSpan.FromDays(7)); }

    /// <summary>Cap on one tool result in UTF-8 bytes, 1 KiB–1 MiB; null means <see cref="DefaultMaxToolResultBytes"/> (A07).</summary>
    public int? MaxToolResultBytes
    {
        get => _maxToolResultBytes;
        set
        {
            if (value is { } n)
            {
                ArgumentOutOfRangeException.ThrowIfLessThan(n, 1024);
                ArgumentOutOfRangeException.ThrowIfGreaterThan(n, 1024 * 1024);
            }

            _maxToolResultBytes = value;
        }
    }

    /// <summary>
    /// What the model must do in its first reply to each user input: null or <see cref="ChatToolMode.Auto"/> lets it
    /// choose; <see cref="ChatToolMode.RequireAny"/> makes it call one of the agent's tools (or handoffs), and
    /// <see cref="ChatToolMode.RequireSpecific"/> that one tool (by its declared function name). Once a tool round has
    /// run, the model chooses freely again, so a forced call cannot loop until the round limit. The chat client
    /// enforces it: constrained decoding on a local model, <c>tool_choice</c> on an OpenAI-compatible server.
    /// </summary>
    /// <exception cref="ArgumentException"><see cref="ChatToolMode.None"/>: an agent that must never call its tools lists none.</exception>
    public ChatToolMode? ToolChoice
    {
        get => _toolChoice;
        set
        {
            if (value is NoneChatToolMode)
            {
                throw new ArgumentException("An agent's tool choice is auto, required or one named tool; an agent that must not call tools lists none.", nameof(value));
            }

            _toolChoice = value;
        }
    }

    /// <summary>True when the agent's sessions never leave the device (no escalation to another backend).</summary>
    public bool IsPrivate { get; set; }

    /// <summary>
    /// True (default) to parse tool calls written as text (Hermes/Qwen, Llama 3.x, Phi-4-mini, plain JSON) when the
    /// chat client returns no structured function calls.
    /// </summary>
    public bool ParseToolCallsFromText { get; set; } = true;

    /// <summary>
    /// The most session messages sent to the model per call (the context window budget); the oldest are dropped,
    /// always starting the window at a user message so no tool result loses its call. At least 2; null means all.
    /// </summary>
    public int? MaxHistoryMessages
    {
        get => _maxHistoryMessages;
        set
        {
            if (value is { } n)
            {
                ArgumentOutOfRangeException.ThrowIfLessThan(n, 2);
            }

            _maxHistoryMessages = value;
        }
    }

    /// <summary>
    /// How the history is kept within the context budget (drop or summarize the oldest turns); null means
    /// <see cref="MaxHistoryMessages"/> alone decides (dropping).
    /// </summary>
    public ContextWindowOptions? Context { get; set; }

    /// <summary>
    /// Agents this agent may hand the session to. The model gets one <c>handoff_to_NAME</c> tool per target; calling
    /// it continues the run (and the session) with that agent. Targets may hand back; a run makes at most
    /// <see cref="MaxHandoffsPerRun"/> handoffs. A private agent's handoff makes the session private.
    /// </summary>
    public IList<Agent> Handoffs { get; } = [];

    /// <summary>Where runs escalate; null means never.</summary>
    public EscalationOptions? Escalation { get; set; }

    /// <summary>Where the run continues when the agent's own (remote) model fails; null means the failure ends the run.</summary>
    public FallbackOptions? Fallback { get; set; }

    /// <summary>Input and output guardrails; null means none.</summary>
    public GuardrailOptions? Guardrails { get; set; }

    /// <summary>Where every tool call, approval and denial is recorded; null means nowhere.</summary>
    public IAuditLog? AuditLog { get; set; }

    /// <summary>The clock for approval expiry and timeouts; null means <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider? TimeProvider { get; set; }

    internal int EffectiveMaxToolRounds => _maxToolRounds ?? DefaultMaxToolRounds;

    internal TimeSpan EffectiveToolTimeout => _toolTimeout ?? TimeSpan.FromSeconds(30);

    internal TimeSpan EffectiveRunTimeout => _runTimeout ?? TimeSpan.FromSeconds(120);

    internal TimeSpan EffectiveApprovalTimeout => _approvalTimeout ?? TimeSpan.FromMinutes(15);

    internal int EffectiveMaxToolResultBytes => _maxToolResultBytes ?? DefaultMaxToolResultBytes;

    internal TimeProvider Clock => TimeProvider ?? TimeProvider.System;

    private static TimeSpan? Positive(TimeSpan? value, TimeSpan max)
    {
        if (value is { } t && (t <= TimeSpan.Zero || t > max))
        {
            throw new ArgumentOutOfRangeException(nameof(value), "The timeout must be positive and within its cap.");
        }

        return value;
    }
}
