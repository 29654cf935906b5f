using Edgewise.Agents.Guardrails;
using Edgewise.Agents.Tools;
using Edgewise.Configuration;
using Microsoft.Extensions.AI;

namespace Edgewise.Agents.Configuration;

/// <summary>
/// An <c>edgewise.yaml</c>: models, agents, routers, MCP servers and limits, validated as a whole on load so that
/// every error is a <see cref="ConfigException"/> naming the file, line and key.
/// </summary>
public sealed class EdgewiseConfig
{
    /// <summary>The file name configurations are looked up by.</summary>
    public const string DefaultFileName = "edgewise.yaml";

    internal EdgewiseConfig(
        string file,
        ModelsSection models,
        IReadOnlyDictionary<string, AgentConfig> agents,
        IReadOnlyDictionary<string, RouterConfig> routers,
        IReadOnlyDictionary<string, McpServerConfig> mcpServers,
        LimitsConfig limits)
    {
        File = file;
        ModelsSection = models;
        Agents = agents;
        Routers = routers;
        McpServers = mcpServers;
        Limits = limits;
    }

    /// <summary>The file the configuration was read from, as given.</summary>
    public string File { get; }

    /// <summary>The folder relative model paths resolve against.</summary>
    public string BaseDirectory => ModelsSection.BaseDirectory;

    /// <summary>The <c>models</c> section: what the hosting layer maps to model settings and remote backends.</summary>
    public ModelsSection ModelsSection { get; }

    /// <summary>Models by name: the entries of the models section.</summary>
    public IReadOnlyDictionary<string, ModelConfig> Models => ModelsSection.Models;

    /// <summary>Agents by name, in file order.</summary>
    public IReadOnlyDictionary<string, AgentConfig> Agents { get; }

    /// <summary>Routers by name.</summary>
    public IReadOnlyDictionary<string, RouterConfig> Routers { get; }

    /// <summary>MCP servers by name.</summary>
    public IReadOnlyDictionary<string, McpServerConfig> McpServers { get; }

    /// <summary>Limits applied to every agent.</summary>
    public LimitsConfig Limits { get; }

    /// <summary>Reads and validates <paramref name="path"/>; agents' tool names are checked against <paramref name="tools"/>.</summary>
    /// <exception cref="ConfigException">The file is missing, not YAML, or invalid; the message names file, line and key.</exception>
    public static EdgewiseConfig Load(string path, ToolRegistry tools)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string text;
        try
        {
            text = System.IO.File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException(path, 0, 0, string.Empty, "cannot read the file: " + ex.Message, ex);
        }

        return Parse(text, path, tools);
    }

    /// <summary>Validates YAML <paramref name="yaml"/> as if read from <paramref name="file"/>.</summary>
    /// <exception cref="ConfigException">The text is not YAML or is invalid; the message names file, line and key.</exception>
    public static EdgewiseConfig Parse(string yaml, string file, ToolRegistry tools)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        ArgumentException.ThrowIfNullOrWhiteSpace(file);
        ArgumentNullException.ThrowIfNull(tools);
        return new ConfigParser(file, tools).Parse(yaml);
    }

    /// <summary>
    /// Resolves a model's <see cref="ModelConfig.Path"/> against <see cref="BaseDirectory"/>; aliases are returned as is,
    /// and a remote entry gives its (first) endpoint URL (<see cref="Edgewise.Configuration.ModelsSection.ResolveSource"/>).
    /// </summary>
    public string ResolveModelSource(ModelConfig model) => ModelsSection.ResolveSource(model);

    /// <summary>
    /// Builds the options of agent <paramref name="agentName"/>: its settings, the limits, its registry tools, the MCP
    /// tools given (matched by <c>SERVER/TOOL</c> entries; unlisted ones are dropped) and its escalation target.
    /// </summary>
    /// <param name="agentName">An agent in <see cref="Agents"/>.</param>
    /// <param name="tools">The registry the configuration was validated against.</param>
    /// <param name="mcpTools">Tools loaded from MCP servers, keyed <c>SERVER/TOOL</c>; null means none.</param>
    /// <param name="escalationTarget">Maps a model name to its chat client (escalation targets and fallbacks); null disables both.</param>
    public AgentOptions CreateAgentOptions(
        string agentName,
        ToolRegistry tools,
        IReadOnlyDictionary<string, AgentTool>? mcpTools = null,
        Func<string, IChatClient>? escalationTarget = null)
    {
        ArgumentNullException.ThrowIfNull(tools);
        if (!Agents.TryGetValue(agentName, out var agent))
        {
            throw new KeyNotFoundException("No agent named '" + agentName + "' in " + File + ".");
        }

        var options = new AgentOptions
        {
            Name = agent.Name,
            Description = agent.Description,
            Instructions = agent.Instructions,
            Model = agent.Model,
            Temperature = agent.Temperature,
            MaxOutputTokens = agent.MaxTokens,
            MaxToolRounds = agent.MaxToolRounds,
            IsPrivate = agent.Private,
            ToolTimeout = Limits.ToolTimeout,
            RunTimeout = Limits.RunTimeout,
            ApprovalTimeout = Limits.ApprovalTimeout,
            MaxToolResultBytes = Limits.MaxToolResultBytes,
            MaxHistoryMessages = Limits.MaxHistoryMessages,
        };
        foreach (var name in agent.Tools)
        {
            var approval = agent.ApprovalRequired.Contains(name, StringComparer.Ordinal);
            AgentTool? added = null;
            if (tools.Contains(name))
            {
                added = tools.Get(name, approval);
            }
            else if (mcpTools is not null && mcpTools.TryGetValue(name, out var mcp))
            {
                added = approval && !mcp.RequiresApproval ? new AgentTool(mcp.Function, requiresApproval: true, mcp.Timeout) : mcp;
            }

            if (added is not null)
            {
                options.Tools.Add(added);
                if (string.Equals(agent.ToolChoice, name, StringComparison.Ordinal))
                {
                    options.ToolChoice = ChatToolMode.RequireSpecific(added.Function.Name);
                }
            }
        }

        if (agent.ToolChoice == "required")
        {
            options.ToolChoice = ChatToolMode.RequireAny;
        }

        if (agent.Context is { } context)
        {
            options.Context = new ContextWindowOptions { Strategy = context.Strategy, MaxMessages = context.MaxMessages, MaxChars = context.MaxChars };
            if (context.SummaryMaxChars is { } summaryChars)
            {
                options.Context.SummaryMaxChars = summaryChars;
            }
        }

        if (agent.Guardrails is { } g)
        {
            var guardrails = new GuardrailOptions { RedactPii = g.RedactPii, MaxInputChars = g.MaxInputChars, MaxOutputChars = g.MaxOutputChars };
            foreach (var term in g.BlockedTerms)
            {
                guardrails.BlockedTerms.Add(term);
            }

            options.Guardrails = guardrails;
        }

        if (agent.Escalation is { } target && !agent.Private && escalationTarget is not null)
        {
            options.Escalation = new EscalationOptions(escalationTarget(target), target);
        }

        if (agent.Fallback is { } local && escalationTarget is not null)
        {
            options.Fallback = new FallbackOptions(escalationTarget(local), local);
        }

        return options;
    }

    /// <summary>
    /// Fills each agent's <see cref="AgentOptions.Handoffs"/> from its <c>handoffs:</c> list. Call it once the agents
    /// are built (handoffs may form cycles, so they are linked after construction). Targets missing from
    /// <paramref name="agents"/> are skipped: build every agent a session may reach to offer all its handoffs.
    /// </summary>
    /// <param name="agents">Built agents, matched to configuration entries by name.</param>
    public void LinkHandoffs(IEnumerable<Agent> agents)
    {
        ArgumentNullException.ThrowIfNull(agents);
        var byName = new Dictionary<string, Agent>(StringComparer.Ordinal);
        foreach (var agent in agents)
        {
            byName.TryAdd(agent.Name, agent);
        }

        foreach (var agent in byName.Values)
        {
            if (!Agents.TryGetValue(agent.Name, out var config))
            {
                continue;
            }

            foreach (var name in config.Handoffs)
            {
                if (byName.TryGetValue(name, out var target) && !agent.Options.Handoffs.Contains(target))
                {
                    agent.Options.Handoffs.Add(target);
                }
            }
        }
    }

    /// <summary>The agents a session starting with <paramref name="agentName"/> may reach through handoffs, itself first.</summary>
    public IReadOnlyList<string> HandoffClosure(string agentName)
    {
        ArgumentNullException.ThrowIfNull(agentName);
        var names = new List<string> { agentName };
        for (var i = 0; i < names.Count; i++)
        {
            if (Agents.TryGetValue(names[i], out var config))
            {
                foreach (var target in config.Handoffs)
                {
                    if (!names.Contains(target, StringComparer.Ordinal))
                    {
                        names.Add(target);
                    }
                }
            }
        }

        return names;
    }
}
