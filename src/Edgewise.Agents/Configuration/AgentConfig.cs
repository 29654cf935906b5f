namespace Edgewise.Agents.Configuration;

/// <summary>An agent entry under <c>agents:</c>.</summary>
public sealed class AgentConfig
{
    /// <summary>The agent's name (the mapping key).</summary>
    public required string Name { get; init; }

    /// <summary>What the agent does.</summary>
    public string Description { get; init; } = string.Empty;

    /// <summary>The system instructions; null means none.</summary>
    public string? Instructions { get; init; }

    /// <summary>The name of the entry under <c>models:</c> the agent runs on.</summary>
    public required string Model { get; init; }

    /// <summary>The tools the agent may call: registry names or <c>SERVER/TOOL</c> for MCP servers.</summary>
    public IReadOnlyList<string> Tools { get; init; } = [];

    /// <summary>Tools (among <see cref="Tools"/>) that pause the run for approval in addition to those registered so.</summary>
    public IReadOnlyList<string> ApprovalRequired { get; init; } = [];

    /// <summary>
    /// <c>tool_choice</c>: <c>auto</c> (null), <c>required</c> (some tool) or one name from <see cref="Tools"/>, which the
    /// model must call in its first reply to each input.
    /// </summary>
    public string? ToolChoice { get; init; }

    /// <summary>Sampling temperature; null means the model's default.</summary>
    public float? Temperature { get; init; }

    /// <summary>Output token limit per model call; null means the model's default.</summary>
    public int? MaxTokens { get; init; }

    /// <summary>Tool rounds per run; null means <see cref="AgentOptions.DefaultMaxToolRounds"/>.</summary>
    public int? MaxToolRounds { get; init; }

    /// <summary>True when the agent's sessions never leave the device.</summary>
    public bool Private { get; init; }

    /// <summary>The model entry runs escalate to; null means never.</summary>
    public string? Escalation { get; init; }

    /// <summary>The model entry runs continue on when the agent's own (remote) model fails; null means none.</summary>
    public string? Fallback { get; init; }

    /// <summary>
    /// The smaller <c>models</c> entry the agent runs on while an alert with action <c>degrade_agents</c> fires
    /// (<c>degraded_model</c>); null keeps <see cref="Model"/> always.
    /// </summary>
    public string? DegradedModel { get; init; }

    /// <summary>The guardrails; null means none.</summary>
    public GuardrailConfig? Guardrails { get; init; }

    /// <summary>Agents this agent may hand the session to (<c>handoffs:</c>).</summary>
    public IReadOnlyList<string> Handoffs { get; init; } = [];

    /// <summary>The context window budget and strategy (<c>context:</c>); null means the <c>limits</c> default.</summary>
    public ContextConfig? Context { get; init; }

    /// <summary>The line of the entry in the configuration file.</summary>
    public long Line { get; init; }
}

/// <summary>An agent's <c>guardrails:</c> block.</summary>
public sealed class GuardrailConfig
{
    /// <summary>Redact personal data in inputs and answers.</summary>
    public bool RedactPii { get; init; }

    /// <summary>Terms refused in inputs and withheld from answers.</summary>
    public IReadOnlyList<string> BlockedTerms { get; init; } = [];

    /// <summary>The longest input accepted; null means no guardrail limit.</summary>
    public int? MaxInputChars { get; init; }

    /// <summary>The longest answer kept; null means no guardrail limit.</summary>
    public int? MaxOutputChars { get; init; }
}

/// <summary>An agent's <c>context:</c> block.</summary>
public sealed class ContextConfig
{
    /// <summary><c>drop</c> (default) or <c>summarize</c>.</summary>
    public ContextStrategy Strategy { get; init; } = ContextStrategy.Drop;

    /// <summary>The most history messages sent per model call; null means no message limit.</summary>
    public int? MaxMessages { get; init; }

    /// <summary>The most history characters sent per model call; null means no character limit.</summary>
    public int? MaxChars { get; init; }

    /// <summary>The longest summary kept; null means the default (2000).</summary>
    public int? SummaryMaxChars { get; init; }
}

/// <summary>A router entry under <c>routers:</c>: a small model that picks one of its agents per request.</summary>
public sealed class RouterConfig
{
    /// <summary>The router's name.</summary>
    public required string Name { get; init; }

    /// <summary>The model entry the router runs on.</summary>
    public required string Model { get; init; }

    /// <summary>The agents it chooses among (at least two).</summary>
    public required IReadOnlyList<string> Agents { get; init; }
}

/// <summary>
/// An MCP server entry under <c>mcp_servers:</c>: a stdio child process (<c>command</c>, <c>args</c>) or a server
/// reached over streamable HTTP (<c>url</c>); exactly one of the two.
/// </summary>
public sealed class McpServerConfig
{
    /// <summary>The server's name, the prefix of its tools in agent tool lists (<c>NAME/TOOL</c>).</summary>
    public required string Name { get; init; }

    /// <summary>The executable of a stdio server; empty when <see cref="Url"/> is set.</summary>
    public string Command { get; init; } = string.Empty;

    /// <summary>The endpoint of a streamable HTTP server (http or https); null for a stdio server.</summary>
    public Uri? Url { get; init; }

    /// <summary>Its arguments.</summary>
    public IReadOnlyList<string> Args { get; init; } = [];

    /// <summary>Approved tool definitions: tool name to the SHA-256 of its definition (hex).</summary>
    public IReadOnlyDictionary<string, string> Pinned { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);
}

/// <summary>The <c>limits:</c> block; null properties mean the built-in defaults.</summary>
public sealed class LimitsConfig
{
    /// <summary>Per tool call timeout (at most 30 s).</summary>
    public TimeSpan? ToolTimeout { get; init; }

    /// <summary>Whole-run timeout (at most 120 s).</summary>
    public TimeSpan? RunTimeout { get; init; }

    /// <summary>How long an approval stays open (at most 7 days).</summary>
    public TimeSpan? ApprovalTimeout { get; init; }

    /// <summary>Cap on one tool result in bytes.</summary>
    public int? MaxToolResultBytes { get; init; }

    /// <summary>Session messages sent to the model per call.</summary>
    public int? MaxHistoryMessages { get; init; }

    /// <summary>How long sessions are kept after their last update.</summary>
    public TimeSpan? SessionRetention { get; init; }
}
