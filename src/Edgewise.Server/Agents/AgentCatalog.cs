using System.Runtime.CompilerServices;
using Edgewise.Agents;
using Edgewise.Agents.Configuration;
using Edgewise.Agents.Mcp;
using Edgewise.Agents.Routing;
using Edgewise.Agents.Tools;
using Edgewise.Server.Alerts;
using Edgewise.Server.Errors;
using Edgewise.Server.Hosting;
using Edgewise.Server.Metrics;
using Microsoft.Extensions.Logging;

namespace Edgewise.Server.Agents;

/// <summary>
/// The agents and routers of <see cref="ServerOptions.Configuration"/>, built per request over
/// <see cref="HostedChatClient"/>s bound to the caller's key. MCP servers named by agents' tools start once, on
/// first use (stdio children or streamable HTTP endpoints), and stop with the server; their tools are pinned by hash as in <c>edgewise chat</c>.
/// </summary>
internal sealed partial class AgentCatalog(ServerOptions options, ModelHost host, AgentSessions sessions, AlertEngine alerts, ILogger<AgentCatalog> logger) : IAsyncDisposable
{
    private readonly ConditionalWeakTable<Agent, string> _degraded = [];
    private readonly ToolRegistry _tools = options.Agents.Tools;
    private readonly SemaphoreSlim _mcpGate = new(1, 1);
    private readonly Dictionary<string, (McpToolSource Source, IReadOnlyList<AgentTool> Tools, IReadOnlyList<McpToolDefinition> Definitions)> _mcp = new(StringComparer.Ordinal);

    /// <summary>The configuration, or null when serving without one.</summary>
    public EdgewiseConfig? Config => options.Configuration;

    /// <summary>True when <paramref name="name"/> is a configured agent.</summary>
    public bool IsAgent(string name) => Config?.Agents.ContainsKey(name) == true;

    /// <summary>True when <paramref name="name"/> is a configured router.</summary>
    public bool IsRouter(string name) => Config?.Routers.ContainsKey(name) == true;

    /// <summary>The agent config <paramref name="name"/>; 404 when there is none.</summary>
    public AgentConfig AgentConfig(string name) =>
        Config is { } c && c.Agents.TryGetValue(name, out var agent) ? agent : throw NotFound();

    /// <summary>The 404 for a name that is neither an agent nor a router.</summary>
    public static ApiException NotFound() => new(404, ErrorTypes.NotFound, "agent_not_found", "No agent or router has this name.", "name");

    /// <summary>
    /// Builds agent <paramref name="name"/> for a caller with admission key <paramref name="key"/>, with every agent
    /// reachable from it by handoff built and linked, so a session handed off earlier continues with its current agent.
    /// </summary>
    public async Task<Agent> CreateAgentAsync(string name, int? key, CancellationToken cancellationToken)
    {
        var config = Config ?? throw NotFound();
        AgentConfig(name);
        var built = new List<Agent>();
        foreach (var member in config.HandoffClosure(name))
        {
            built.Add(await BuildAsync(config, AgentConfig(member), key, cancellationToken).ConfigureAwait(false));
        }

        config.LinkHandoffs(built);
        return built.First(a => string.Equals(a.Name, name, StringComparison.Ordinal));
    }

    /// <summary>True when a session now with agent <paramref name="sessionAgent"/> may be continued through <paramref name="name"/> (an agent or router).</summary>
    public bool CanContinue(string name, string sessionAgent)
    {
        if (Config is not { } config)
        {
            return false;
        }

        var entries = config.Routers.TryGetValue(name, out var router) ? router.Agents : IsAgent(name) ? [name] : [];
        return entries.Any(e => config.HandoffClosure(e).Contains(sessionAgent, StringComparer.Ordinal));
    }

    /// <summary>Builds router <paramref name="name"/> over its agents.</summary>
    public async Task<AgentRouter> CreateRouterAsync(string name, int? key, CancellationToken cancellationToken)
    {
        var router = Config is { } c && c.Routers.TryGetValue(name, out var found) ? found : throw NotFound();
        var agents = new List<Agent>();
        foreach (var member in router.Agents)
        {
            agents.Add(await CreateAgentAsync(member, key, cancellationToken).ConfigureAwait(false));
        }

        return new AgentRouter(new HostedChatClient(host, router.Model, key), agents);
    }

    private async Task<Agent> BuildAsync(EdgewiseConfig config, AgentConfig agentConfig, int? key, CancellationToken cancellationToken)
    {
        var mcpTools = await McpToolsAsync(config, agentConfig, cancellationToken).ConfigureAwait(false);
        var agentOptions = config.CreateAgentOptions(agentConfig.Name, _tools, mcpTools, target => new HostedChatClient(host, target, key));
        agentOptions.AuditLog = sessions.Audit;
        agentOptions.TimeProvider = sessions.Clock;
        if (options.Agents.ApprovalTimeout is { } timeout)
        {
            agentOptions.ApprovalTimeout = timeout;
        }

        var model = agentConfig.Model;
        if (agentConfig.DegradedModel is { } smaller && alerts.AgentsDegraded)
        {
            model = smaller;
        }

        var agent = new ChatAgent(new HostedChatClient(host, model, key), agentOptions);
        if (!string.Equals(model, agentConfig.Model, StringComparison.Ordinal))
        {
            _degraded.Add(agent, "alert: running on degraded model '" + model + "' instead of '" + agentConfig.Model + "'");
        }

        return agent;
    }

    /// <summary>Why <paramref name="agent"/> runs on its degraded model (an alert with action degrade_agents fired when it was built), or null.</summary>
    public string? DegradedNote(Agent agent) => _degraded.TryGetValue(agent, out var note) ? note : null;

    public async ValueTask DisposeAsync()
    {
        foreach (var (source, _, _) in _mcp.Values)
        {
            await source.DisposeAsync().ConfigureAwait(false);
        }

        _mcp.Clear();
        _mcpGate.Dispose();
    }

    private async Task<Dictionary<string, AgentTool>?> McpToolsAsync(EdgewiseConfig config, AgentConfig agent, CancellationToken cancellationToken)
    {
        var servers = agent.Tools.Where(t => t.Contains('/', StringComparison.Ordinal)).Select(t => t[..t.IndexOf('/', StringComparison.Ordinal)]).Distinct(StringComparer.Ordinal).ToList();
        if (servers.Count == 0)
        {
            return null;
        }

        var tools = new Dictionary<string, AgentTool>(StringComparer.Ordinal);
        await _mcpGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var name in servers)
            {
                var entry = await StartMcpAsync(config, name, cancellationToken).ConfigureAwait(false);
                foreach (var tool in entry.Tools)
                {
                    tools[name + "/" + tool.Name] = tool;
                }
            }
        }
        finally
        {
            _mcpGate.Release();
        }

        return tools;
    }

    /// <summary>
    /// Every configured MCP server's tool definitions with their pin state, as <c>edgewise mcp ls</c> shows them:
    /// <c>pinned</c> (usable), <c>changed</c> (pinned to another hash: disabled), <c>new</c> (not pinned: disabled).
    /// Servers are started as agents would start them; one that cannot start is reported with its error.
    /// </summary>
    public async Task<IReadOnlyList<McpServerListing>> McpListingAsync(CancellationToken cancellationToken)
    {
        var listings = new List<McpServerListing>();
        if (Config is not { } config)
        {
            return listings;
        }

        await _mcpGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var (name, server) in config.McpServers.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                try
                {
                    var entry = await StartMcpAsync(config, name, cancellationToken).ConfigureAwait(false);
                    var tools = entry.Definitions.Select(d => new McpToolListing(
                        d.Name,
                        d.Description,
                        d.Hash,
                        !server.Pinned.TryGetValue(d.Name, out var pin) ? "new" : pin == d.Hash ? "pinned" : "changed",
                        server.Pinned.GetValueOrDefault(d.Name),
                        d.Enabled)).ToList();
                    var missing = server.Pinned.Keys.Where(p => entry.Definitions.All(d => d.Name != p)).Order(StringComparer.Ordinal).ToList();
                    listings.Add(new McpServerListing(name, null, tools, missing));
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    LogMcpListFailed(logger, name, e);
                    listings.Add(new McpServerListing(name, "The MCP server could not be started or listed; the server log says why.", [], []));
                }
            }
        }
        finally
        {
            _mcpGate.Release();
        }

        return listings;
    }

    /// <summary>Starts MCP server <paramref name="name"/> once and loads its pinned tools; the caller holds the gate.</summary>
    private async Task<(McpToolSource Source, IReadOnlyList<AgentTool> Tools, IReadOnlyList<McpToolDefinition> Definitions)> StartMcpAsync(EdgewiseConfig config, string name, CancellationToken cancellationToken)
    {
        if (!_mcp.TryGetValue(name, out var entry))
        {
            var server = config.McpServers[name];
            var source = await McpToolSource.StartAsync(server, sessions.Audit, config.BaseDirectory, cancellationToken).ConfigureAwait(false);
            IReadOnlyList<AgentTool> loaded;
            IReadOnlyList<McpToolDefinition> definitions;
            try
            {
                (loaded, definitions) = await source.LoadToolsAsync(server.Pinned, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                // A server that started but could not list its tools is not kept: stop its process now.
                await source.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            foreach (var definition in definitions.Where(d => !d.Enabled))
            {
                LogUnpinned(logger, name, definition.Name);
            }

            entry = (source, loaded, definitions);
            _mcp[name] = entry;
        }

        return entry;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listing the tools of MCP server {Server} failed")]
    private static partial void LogMcpListFailed(ILogger logger, string server, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MCP tool {Server}/{Tool} is disabled until its definition is pinned")]
    private static partial void LogUnpinned(ILogger logger, string server, string tool);
}

/// <summary>One configured MCP server in <c>GET /admin/mcp</c>: its tools, or why they could not be listed.</summary>
internal sealed record McpServerListing(string Server, string? Error, IReadOnlyList<McpToolListing> Tools, IReadOnlyList<string> MissingPins);

/// <summary>One tool an MCP server lists, with its definition hash and its state against the configuration's pin.</summary>
internal sealed record McpToolListing(string Tool, string Description, string Hash, string Status, string? PinnedHash, bool Enabled);
