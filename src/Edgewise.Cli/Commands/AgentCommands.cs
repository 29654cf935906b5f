using System.CommandLine;
using Edgewise.Agents;
using Edgewise.Agents.Configuration;
using Edgewise.Agents.Mcp;
using Edgewise.Agents.Routing;
using Edgewise.Agents.Tools;
using Edgewise.Inference;
using Edgewise.Inference.Model;
using Edgewise.Inference.Runtime;
using Edgewise.Models.Storage;
using Edgewise.Server.Storage;
using Microsoft.Extensions.AI;

namespace Edgewise.Cli.Commands;

/// <summary><c>edgewise agents ls</c> and <c>edgewise chat AGENT</c> over an <c>edgewise.yaml</c>.</summary>
internal static class AgentCommands
{
    /// <summary>The SQLite file under EDGEWISE_HOME that holds chat sessions and their audit log.</summary>
    public const string DatabaseFileName = "agents.db";

    public static IEnumerable<Command> Create(CliConsole console) => [Agents(console), Chat(console)];

    private static Option<string> ConfigOption() => new("--config")
    {
        Description = "The configuration file (default: edgewise.yaml in the current folder).",
        DefaultValueFactory = _ => EdgewiseConfig.DefaultFileName,
    };

    private static Command Agents(CliConsole console)
    {
        var config = ConfigOption();
        var json = ModelCommands.JsonOption();
        var ls = new Command("ls", "List the agents a configuration defines.") { config, json };
        ls.SetAction(r => Guard(console, () =>
        {
            var loaded = EdgewiseConfig.Load(r.GetValue(config)!, ToolRegistry.CreateDefault());
            if (r.GetValue(json))
            {
                console.WriteJson(new
                {
                    data = loaded.Agents.Values.Select(a => new
                    {
                        name = a.Name,
                        description = a.Description,
                        model = a.Model,
                        tools = a.Tools,
                        approval_required = a.ApprovalRequired,
                        @private = a.Private,
                        escalation = a.Escalation,
                    }),
                });
                return 0;
            }

            if (loaded.Agents.Count == 0)
            {
                console.Out.WriteLine("no agents in " + loaded.File);
                return 0;
            }

            var width = Math.Max(4, loaded.Agents.Keys.Max(k => k.Length));
            var modelWidth = Math.Max(5, loaded.Agents.Values.Max(a => a.Model.Length));
            console.Out.WriteLine("NAME".PadRight(width) + "  " + "MODEL".PadRight(modelWidth) + "  TOOLS  DESCRIPTION");
            foreach (var agent in loaded.Agents.Values)
            {
                var tools = agent.Tools.Count.ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(5);
                console.Out.WriteLine(agent.Name.PadRight(width) + "  " + agent.Model.PadRight(modelWidth) + "  " + tools + "  " + agent.Description);
            }

            return 0;
        }));
        return new Command("agents", "Agents defined in edgewise.yaml.") { ls };
    }

    private static Command Chat(CliConsole console)
    {
        var agentName = new Argument<string>("agent") { Description = "The name of an agent, or of a router that picks one of its agents per message." };
        var config = ConfigOption();
        var sessionId = new Option<string?>("--session") { Description = "Continue this saved session." };
        var command = new Command("chat", "Chat with a configured agent in the terminal; the session is saved under EDGEWISE_HOME.") { agentName, config, sessionId };
        command.SetAction(async (r, cancel) =>
        {
            var registry = ToolRegistry.CreateDefault();
            EdgewiseConfig loaded;
            RouterConfig? router;
            List<AgentConfig> members;
            try
            {
                loaded = EdgewiseConfig.Load(r.GetValue(config)!, registry);
                (router, members) = Select(loaded, r.GetValue(agentName)!, r.GetValue(sessionId));
            }
            catch (Exception e) when (e is ConfigException or CliException)
            {
                return Guard(console, () => throw e);
            }

            var home = EdgewiseHome.Resolve();
            Directory.CreateDirectory(home);
            var databasePath = Path.Combine(home, DatabaseFileName);
            SqliteDatabase database;
            try
            {
                database = await SqliteDatabase.OpenAsync(new StorageOptions { DatabasePath = databasePath }, cancel).ConfigureAwait(false);
            }
            catch (StorageException e)
            {
                return Guard(console, () => throw new CliException(databasePath + ": " + e.Message));
            }

            await using var databaseScope = database.ConfigureAwait(false);
            var store = new SqliteSessionStore(database);
            AgentSession? session = null;
            if (router is null)
            {
                var agentConfig = members[0];
                if (r.GetValue(sessionId) is { } id)
                {
                    var saved = await store.GetAsync(id, cancel).ConfigureAwait(false);
                    var problem = saved is null ? "no saved session " + id
                        : !string.Equals(saved.AgentName, agentConfig.Name, StringComparison.Ordinal) ? "session " + id + " belongs to agent '" + saved.AgentName + "'"
                        : null;
                    if (problem is not null)
                    {
                        return Guard(console, () => throw new CliException(problem));
                    }

                    session = saved!;
                }
                else
                {
                    session = new AgentSession { AgentName = agentConfig.Name, IsPrivate = agentConfig.Private };
                }
            }

            using var clients = new AgentModelClients(loaded, console, cancel);
            var audit = new SqliteAuditLog(database);
            var mcpSources = new List<McpToolSource>();
            try
            {
                var agents = new List<Agent>();
                foreach (var member in members)
                {
                    var mcpTools = await StartMcpToolsAsync(loaded, member, audit, mcpSources, console, cancel).ConfigureAwait(false);
                    var options = loaded.CreateAgentOptions(member.Name, registry, mcpTools, target => clients.Lazy(target));
                    options.AuditLog = audit;
                    agents.Add(new ChatAgent(clients.Get(member.Model), options));
                }

                using var keys = new CtrlC();
                if (router is null)
                {
                    await AgentChatLoop.RunAsync(agents[0], session!, store, Console.In, console.Out, keys).ConfigureAwait(false);
                }
                else
                {
                    var agentRouter = new AgentRouter(clients.Get(router.Model), agents);
                    await AgentChatLoop.RunRoutedAsync(agentRouter, store, Console.In, console.Out, keys).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is Gguf.InvalidModelFileException or CliException or Models.ModelException)
            {
                return ModelStoreCommands.Guard(console, () => throw e);
            }
            finally
            {
                foreach (var source in mcpSources)
                {
                    await source.DisposeAsync().ConfigureAwait(false);
                }
            }

            return 0;
        });
        return command;
    }

    /// <summary>The agent named <paramref name="name"/>, or the router so named with its agents.</summary>
    private static (RouterConfig? Router, List<AgentConfig> Members) Select(EdgewiseConfig config, string name, string? sessionId)
    {
        if (config.Agents.TryGetValue(name, out var agent))
        {
            return (null, [agent]);
        }

        if (config.Routers.TryGetValue(name, out var router))
        {
            return sessionId is null
                ? (router, [.. router.Agents.Select(a => config.Agents[a])])
                : throw new CliException("--session continues an agent's session; name the agent instead of router '" + name + "'");
        }

        var known = config.Agents.Keys.Concat(config.Routers.Keys).ToList();
        throw new CliException("no agent '" + name + "' in " + config.File + (known.Count > 0 ? "; agents: " + string.Join(", ", known) : string.Empty));
    }

    /// <summary>Starts the MCP servers the agent's tools name and returns their pinned tools keyed <c>SERVER/TOOL</c>.</summary>
    private static async Task<Dictionary<string, AgentTool>> StartMcpToolsAsync(
        EdgewiseConfig config, AgentConfig agent, SqliteAuditLog audit, List<McpToolSource> sources, CliConsole console, CancellationToken cancellationToken)
    {
        var tools = new Dictionary<string, AgentTool>(StringComparer.Ordinal);
        var servers = agent.Tools.Where(t => t.Contains('/', StringComparison.Ordinal)).Select(t => t[..t.IndexOf('/', StringComparison.Ordinal)]).Distinct(StringComparer.Ordinal);
        foreach (var name in servers)
        {
            var server = config.McpServers[name];
            var source = await McpToolSource.StartStdioAsync(name, server.Command, server.Args, audit: audit, cancellationToken: cancellationToken).ConfigureAwait(false);
            sources.Add(source);
            var (loaded, definitions) = await source.LoadToolsAsync(server.Pinned, cancellationToken: cancellationToken).ConfigureAwait(false);
            foreach (var tool in loaded)
            {
                tools[name + "/" + tool.Name] = tool;
            }

            foreach (var definition in definitions.Where(d => !d.Enabled))
            {
                console.Error.WriteLine("warning: MCP tool " + name + "/" + definition.Name + " is disabled until pinned: " + definition.Hash);
            }
        }

        return tools;
    }

    private static int Guard(CliConsole console, Func<int> body)
    {
        try
        {
            return console.Guard(body);
        }
        catch (ConfigException e)
        {
            console.Error.WriteLine("error: " + e.Message);
            return CliConsole.UsageError;
        }
    }
}

/// <summary>The chat clients of a configuration's models, loaded on first use and disposed together.</summary>
internal sealed class AgentModelClients(EdgewiseConfig config, CliConsole console, CancellationToken cancellationToken) : IDisposable
{
    private readonly Dictionary<string, (LocalModel Model, LocalChatClient Client)> _loaded = new(StringComparer.Ordinal);

    /// <summary>The client of model <paramref name="name"/>, loading it now if needed.</summary>
    public IChatClient Get(string name)
    {
        if (_loaded.TryGetValue(name, out var entry))
        {
            return entry.Client;
        }

        var model = config.Models[name];
        var local = EngineCommands.LoadModel(ModelStoreCommands.ResolveModelPath(config.ResolveModelSource(model), console, cancellationToken));
        var context = new ContextOptions
        {
            ContextLength = model.Context ?? Math.Min(local.Hyperparameters.ContextLength, ContextOptions.DefaultMaxContextLength),
            Threads = model.Threads,
            KvCacheType = KvCacheType.F16,
        };
        var client = new LocalChatClient(local, new LocalChatClientOptions { Context = context, ModelId = model.Name });
        _loaded[name] = (local, client);
        return client;
    }

    /// <summary>A client that loads model <paramref name="name"/> only when first called (escalation targets).</summary>
    public IChatClient Lazy(string name) => new LazyClient(() => Get(name));

    public void Dispose()
    {
        foreach (var (model, client) in _loaded.Values)
        {
            client.Dispose();
            model.Dispose();
        }

        _loaded.Clear();
    }

    private sealed class LazyClient(Func<IChatClient> load) : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            load().GetResponseAsync(messages, options, cancellationToken);

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            load().GetStreamingResponseAsync(messages, options, cancellationToken);

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
