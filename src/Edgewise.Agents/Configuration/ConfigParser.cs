using Edgewise.Configuration;

namespace Edgewise.Agents.Configuration;

/// <summary>
/// Turns YAML text into an <see cref="EdgewiseConfig"/>: strict keys and types first, then cross-references. The
/// <c>models</c> section is read by <see cref="ModelsSectionReader"/> (Edgewise.Configuration); this parser checks that
/// agents and routers name its entries.
/// </summary>
internal sealed class ConfigParser(string file, ToolRegistry tools)
{
    /// <summary>Root sections read and validated by the server (Edgewise.Server), not by this parser.</summary>
    internal static readonly string[] ServerSections = ["server", "telemetry", "alerts", "storage"];

    private static readonly string[] s_rootKeys = ["models", "agents", "routers", "mcp_servers", "limits", .. ServerSections];
    private static readonly string[] s_agentKeys =
        ["description", "instructions", "model", "tools", "approval_required", "tool_choice", "temperature", "max_tokens", "max_tool_rounds", "private", "escalation", "fallback", "degraded_model", "guardrails", "handoffs", "context"];

    private static readonly string[] s_contextKeys = ["strategy", "max_messages", "max_chars", "summary_max_chars"];
    private static readonly string[] s_guardrailKeys = ["redact_pii", "blocked_terms", "max_input_chars", "max_output_chars"];
    private static readonly string[] s_routerKeys = ["model", "agents"];
    private static readonly string[] s_mcpKeys = ["command", "args", "url", "pinned"];
    private static readonly string[] s_limitKeys = ["tool_timeout", "run_timeout", "approval_timeout", "max_tool_result_bytes", "max_history_messages", "session_retention"];

    private readonly ModelsSectionReader _models = new(file);
    private readonly List<(YamlNodeReader Node, string Model)> _modelRefs = [];
    private readonly List<(YamlNodeReader Node, string Tool)> _toolRefs = [];
    private readonly List<(YamlNodeReader Node, string Agent)> _agentRefs = [];

    public EdgewiseConfig Parse(string yaml)
    {
        var root = YamlNodeReader.Parse(yaml, file);
        var agents = new Dictionary<string, AgentConfig>(StringComparer.Ordinal);
        var routers = new Dictionary<string, RouterConfig>(StringComparer.Ordinal);
        var mcp = new Dictionary<string, McpServerConfig>(StringComparer.Ordinal);
        var limits = new LimitsConfig();
        foreach (var (key, value) in root.Mapping(s_rootKeys))
        {
            if (value.IsNull || ServerSections.Contains(key, StringComparer.Ordinal))
            {
                continue;
            }

            switch (key)
            {
                case "models":
                    _models.Read(value);
                    _modelRefs.AddRange(_models.FailoverReferences);
                    break;
                case "agents":
                    foreach (var (name, node) in value.Mapping())
                    {
                        agents[ConfigNames.Check(node, name)] = ParseAgent(name, node);
                    }

                    break;
                case "routers":
                    foreach (var (name, node) in value.Mapping())
                    {
                        routers[ConfigNames.Check(node, name)] = ParseRouter(name, node);
                    }

                    break;
                case "mcp_servers":
                    foreach (var (name, node) in value.Mapping())
                    {
                        mcp[ConfigNames.Check(node, name)] = ParseMcp(name, node);
                    }

                    break;
                default:
                    limits = ParseLimits(value);
                    break;
            }
        }

        var models = CheckReferences(agents, mcp);
        return new EdgewiseConfig(file, models, agents, routers, mcp, limits);
    }

    private AgentConfig ParseAgent(string name, YamlNodeReader node)
    {
        string description = string.Empty;
        string? instructions = null, model = null, escalation = null, fallback = null, degraded = null, toolChoice = null;
        IReadOnlyList<string> toolNames = [], approval = [];
        YamlNodeReader? toolChoiceNode = null;
        float? temperature = null;
        int? maxTokens = null, maxRounds = null;
        var isPrivate = false;
        GuardrailConfig? guardrails = null;
        ContextConfig? context = null;
        IReadOnlyList<string> handoffs = [];
        YamlNodeReader? escalationNode = null;
        foreach (var (key, value) in node.Mapping(s_agentKeys))
        {
            switch (key)
            {
                case "description": description = value.String(); break;
                case "instructions": instructions = value.String(); break;
                case "model":
                    model = value.String();
                    _modelRefs.Add((value, model));
                    break;
                case "tools":
                    toolNames = value.Strings();
                    AddToolRefs(value, toolNames);
                    break;
                case "approval_required": approval = value.Strings(); break;
                case "tool_choice":
                    toolChoice = value.String();
                    toolChoiceNode = value;
                    break;
                case "temperature":
                    temperature = value.Float();
                    if (temperature is < 0 or > 2)
                    {
                        throw value.Error("must be between 0 and 2");
                    }

                    break;
                case "max_tokens": maxTokens = value.Int(1, 4096); break;
                case "max_tool_rounds": maxRounds = value.Int(1, AgentOptions.MaxToolRoundsLimit); break;
                case "private": isPrivate = value.Bool(); break;
                case "escalation":
                    escalation = value.String();
                    escalationNode = value;
                    _modelRefs.Add((value, escalation));
                    break;
                case "fallback":
                    fallback = value.String();
                    _modelRefs.Add((value, fallback));
                    break;
                case "degraded_model":
                    degraded = value.String();
                    _modelRefs.Add((value, degraded));
                    break;
                case "handoffs":
                    handoffs = value.Strings();
                    AddHandoffRefs(name, value, handoffs);
                    break;
                case "context": context = ParseContext(value); break;
                default: guardrails = ParseGuardrails(value); break;
            }
        }

        if (model is null)
        {
            throw node.Child(node.Node, "model").Error("required key missing: the name of an entry under 'models'");
        }

        foreach (var tool in approval)
        {
            if (!toolNames.Contains(tool, StringComparer.Ordinal))
            {
                throw node.Child(node.Node, "approval_required").Error("'" + tool + "' is not in this agent's tools");
            }
        }

        if (toolChoiceNode is { } choice)
        {
            if (toolChoice == "required" && toolNames.Count == 0 && handoffs.Count == 0)
            {
                throw choice.Error("'required' needs at least one tool or handoff");
            }

            if (toolChoice is not ("auto" or "required") && !toolNames.Contains(toolChoice, StringComparer.Ordinal))
            {
                throw choice.Error("must be auto, required or one of this agent's tools");
            }

            if (toolChoice == "auto")
            {
                toolChoice = null;
            }
        }

        if (isPrivate && escalationNode is { } e)
        {
            throw e.Error("a private agent never escalates; remove 'escalation' or 'private'");
        }

        return new AgentConfig
        {
            Name = name,
            Description = description,
            Instructions = instructions,
            Model = model,
            Tools = toolNames,
            ApprovalRequired = approval,
            ToolChoice = toolChoice,
            Temperature = temperature,
            MaxTokens = maxTokens,
            MaxToolRounds = maxRounds,
            Private = isPrivate,
            Escalation = escalation,
            Fallback = fallback,
            DegradedModel = degraded,
            Guardrails = guardrails,
            Handoffs = handoffs,
            Context = context,
            Line = node.Node.Start.Line,
        };
    }

    private void AddToolRefs(YamlNodeReader value, IReadOnlyList<string> names)
    {
        var items = value.Sequence();
        for (var i = 0; i < names.Count; i++)
        {
            if (names.Take(i).Contains(names[i], StringComparer.Ordinal))
            {
                throw items[i].Error("'" + names[i] + "' is listed twice");
            }

            _toolRefs.Add((items[i], names[i]));
        }
    }

    private void AddHandoffRefs(string agent, YamlNodeReader value, IReadOnlyList<string> names)
    {
        var items = value.Sequence();
        for (var i = 0; i < names.Count; i++)
        {
            if (string.Equals(names[i], agent, StringComparison.Ordinal))
            {
                throw items[i].Error("an agent cannot hand off to itself");
            }

            if (names.Take(i).Contains(names[i], StringComparer.Ordinal))
            {
                throw items[i].Error("'" + names[i] + "' is listed twice");
            }

            _agentRefs.Add((items[i], names[i]));
        }
    }

    private static ContextConfig ParseContext(YamlNodeReader node)
    {
        var strategy = ContextStrategy.Drop;
        int? maxMessages = null, maxChars = null, summaryChars = null;
        foreach (var (key, value) in node.Mapping(s_contextKeys))
        {
            switch (key)
            {
                case "strategy":
                    var text = value.String();
                    strategy = text switch
                    {
                        "drop" => ContextStrategy.Drop,
                        "summarize" => ContextStrategy.Summarize,
                        _ => throw value.Error("expected 'drop' or 'summarize'"),
                    };
                    break;
                case "max_messages": maxMessages = value.Int(2, int.MaxValue); break;
                case "max_chars": maxChars = value.Int(256, int.MaxValue); break;
                default: summaryChars = value.Int(100, 16384); break;
            }
        }

        if (maxMessages is null && maxChars is null)
        {
            throw node.Error("set 'max_messages', 'max_chars' or both: the budget the strategy keeps to");
        }

        return new ContextConfig { Strategy = strategy, MaxMessages = maxMessages, MaxChars = maxChars, SummaryMaxChars = summaryChars };
    }

    private static GuardrailConfig ParseGuardrails(YamlNodeReader node)
    {
        var redact = false;
        IReadOnlyList<string> blocked = [];
        int? maxIn = null, maxOut = null;
        foreach (var (key, value) in node.Mapping(s_guardrailKeys))
        {
            switch (key)
            {
                case "redact_pii": redact = value.Bool(); break;
                case "blocked_terms": blocked = value.Strings(); break;
                case "max_input_chars": maxIn = value.Int(1, Agent.MaxInputChars); break;
                default: maxOut = value.Int(16, int.MaxValue); break;
            }
        }

        return new GuardrailConfig { RedactPii = redact, BlockedTerms = blocked, MaxInputChars = maxIn, MaxOutputChars = maxOut };
    }

    private RouterConfig ParseRouter(string name, YamlNodeReader node)
    {
        string? model = null;
        IReadOnlyList<string>? agents = null;
        foreach (var (key, value) in node.Mapping(s_routerKeys))
        {
            if (key == "model")
            {
                model = value.String();
                _modelRefs.Add((value, model));
            }
            else
            {
                agents = value.Strings();
                if (agents.Count < 2)
                {
                    throw value.Error("a router needs at least two agents");
                }

                var items = value.Sequence();
                for (var i = 0; i < agents.Count; i++)
                {
                    _agentRefs.Add((items[i], agents[i]));
                }
            }
        }

        return new RouterConfig
        {
            Name = name,
            Model = model ?? throw node.Child(node.Node, "model").Error("required key missing: the name of an entry under 'models'"),
            Agents = agents ?? throw node.Child(node.Node, "agents").Error("required key missing: the agents to choose among"),
        };
    }

    private static McpServerConfig ParseMcp(string name, YamlNodeReader node)
    {
        string? command = null;
        Uri? url = null;
        IReadOnlyList<string> args = [];
        var pinned = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in node.Mapping(s_mcpKeys))
        {
            switch (key)
            {
                case "command": command = value.String(); break;
                case "args": args = value.Strings(); break;
                case "url":
                    if (!Uri.TryCreate(value.String(), UriKind.Absolute, out url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
                    {
                        throw value.Error("expected an absolute http or https URL");
                    }

                    break;
                default:
                    foreach (var (tool, hash) in value.Mapping())
                    {
                        var text = hash.String();
                        if (text.Length != 64 || !text.All(char.IsAsciiHexDigitLower))
                        {
                            throw hash.Error("expected a SHA-256 hash: 64 lowercase hex digits");
                        }

                        pinned[tool] = text;
                    }

                    break;
            }
        }

        if ((command is null) == (url is null))
        {
            throw node.Error("set exactly one of 'command' (a stdio server) or 'url' (a streamable HTTP server)");
        }

        if (url is not null && args.Count > 0)
        {
            throw node.Child(node.Node, "args").Error("'args' belongs to a 'command' server, not to a 'url' one");
        }

        return new McpServerConfig { Name = name, Command = command ?? string.Empty, Url = url, Args = args, Pinned = pinned };
    }

    private static LimitsConfig ParseLimits(YamlNodeReader node)
    {
        TimeSpan? tool = null, run = null, approval = null, retention = null;
        int? resultBytes = null, history = null;
        foreach (var (key, value) in node.Mapping(s_limitKeys))
        {
            switch (key)
            {
                case "tool_timeout": tool = Capped(value, TimeSpan.FromSeconds(30), "30s"); break;
                case "run_timeout": run = Capped(value, TimeSpan.FromSeconds(120), "120s"); break;
                case "approval_timeout": approval = Capped(value, TimeSpan.FromDays(7), "7d"); break;
                case "session_retention": retention = value.Duration(); break;
                case "max_tool_result_bytes": resultBytes = value.Int(1024, 1024 * 1024); break;
                default: history = value.Int(2, int.MaxValue); break;
            }
        }

        return new LimitsConfig { ToolTimeout = tool, RunTimeout = run, ApprovalTimeout = approval, SessionRetention = retention, MaxToolResultBytes = resultBytes, MaxHistoryMessages = history };
    }

    private static TimeSpan Capped(YamlNodeReader value, TimeSpan cap, string capText)
    {
        var duration = value.Duration();
        return duration <= cap ? duration : throw value.Error("must be at most " + capText);
    }

    /// <summary>
    /// Checks, in this order, that every model named (by agents, routers and failover lists, in file order) exists, that
    /// failover lists name remote models, that agents' tools exist and that handoffs and routers name agents.
    /// </summary>
    private ModelsSection CheckReferences(Dictionary<string, AgentConfig> agents, Dictionary<string, McpServerConfig> mcp)
    {
        var models = _models.Models;
        foreach (var (node, model) in _modelRefs)
        {
            if (!models.ContainsKey(model))
            {
                throw node.Error("unknown model '" + model + "'" + ConfigNames.Known(models.Keys));
            }
        }

        var section = _models.Complete();

        foreach (var (node, tool) in _toolRefs)
        {
            var slash = tool.IndexOf('/', StringComparison.Ordinal);
            var known = slash > 0 ? mcp.ContainsKey(tool[..slash]) && slash < tool.Length - 1 : tools.Contains(tool);
            if (!known)
            {
                throw node.Error("unknown tool '" + tool + "'" + (slash > 0 ? "; MCP tools are SERVER/TOOL with SERVER under 'mcp_servers'" : ConfigNames.Known(tools.Names)));
            }
        }

        foreach (var (node, agent) in _agentRefs)
        {
            if (!agents.ContainsKey(agent))
            {
                throw node.Error("unknown agent '" + agent + "'" + ConfigNames.Known(agents.Keys));
            }
        }

        return section;
    }
}
