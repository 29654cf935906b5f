using System.CommandLine;
using System.Globalization;
using Edgewise.Agents;
using Edgewise.Agents.Configuration;
using Edgewise.Configuration;
using Edgewise.Agents.Mcp;
using Edgewise.Agents.Routing;
using Edgewise.Agents.Tools;
using Edgewise.Models.Storage;
using Edgewise.Server.Storage;
using Microsoft.Extensions.AI;

namespace Edgewise.Cli.Commands;

/// <summary>
/// <c>edgewise agents ls</c> and <c>edgewise chat AGENT</c> over an <c>edgewise.yaml</c>; <c>edgewise sessions
/// ls|show|rm</c> and <c>edgewise audit verify</c> over the sessions database.
/// </summary>
internal static class AgentCommands
{
    /// <summary>The SQLite file under EDGEWISE_HOME that holds chat sessions and their audit log.</summary>
    public const string DatabaseFileName = "agents.db";

    public static IEnumerable<Command> Create(CliConsole console) => [Agents(console), Chat(console), Sessions(console), Audit(console)];

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
            var loaded = EdgewiseConfig.Load(r.GetValue(config)!, new ToolRegistry());
            if (r.GetValue(json))
            {
                console.WriteJson(new AgentListOutput(
                    [.. loaded.Agents.Values.Select(a => new AgentOutput(
                        a.Name,
                        a.Description,
                        a.Model,
                        a.Tools,
                        a.ApprovalRequired,
                        a.Private,
                        a.Escalation,
                        a.Fallback,
                        a.Handoffs,
                        a.Context is { } c ? new AgentContextOutput(c.Strategy.Value, c.MaxMessages, c.MaxChars) : null))],
                    [.. loaded.Routers.Values.Select(r => new RouterOutput(r.Name, r.Model, r.Agents))]));
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

            if (loaded.Routers.Count > 0)
            {
                var routerWidth = Math.Max(6, loaded.Routers.Keys.Max(k => k.Length));
                console.Out.WriteLine();
                console.Out.WriteLine("ROUTER".PadRight(routerWidth) + "  MODEL  AGENTS");
                foreach (var router in loaded.Routers.Values)
                {
                    console.Out.WriteLine(router.Name.PadRight(routerWidth) + "  " + router.Model + "  " + string.Join(", ", router.Agents));
                }
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
            var registry = new ToolRegistry();
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
                        : !loaded.HandoffClosure(agentConfig.Name).Contains(saved.AgentName ?? agentConfig.Name, StringComparer.Ordinal)
                            ? "session " + id + " belongs to agent '" + saved.AgentName + "'"
                        : null;
                    if (problem is not null)
                    {
                        return Guard(console, () => throw (saved is null ? new CliException(problem, "session_not_found", CliConsole.NotFound) : new CliException(problem)));
                    }

                    session = saved!;
                }
                else
                {
                    session = new AgentSession { AgentName = agentConfig.Name, IsPrivate = agentConfig.Private, Owner = AgentSession.LocalOwner };
                }
            }

            using var clients = new AgentModelClients(loaded, console, cancel);
            var audit = new SqliteAuditLog(database);
            var mcpSources = new Dictionary<string, (McpToolSource Source, IReadOnlyList<AgentTool> Tools)>(StringComparer.Ordinal);
            try
            {
                var agents = new List<Agent>();
                var reachable = members.SelectMany(m => loaded.HandoffClosure(m.Name)).Distinct(StringComparer.Ordinal).Select(n => loaded.Agents[n]).ToList();
                var built = new List<Agent>();
                foreach (var member in reachable)
                {
                    var mcpTools = await StartMcpToolsAsync(loaded, member, audit, mcpSources, console, cancel).ConfigureAwait(false);
                    var options = loaded.CreateAgentOptions(member.Name, registry, mcpTools, target => clients.Lazy(target));
                    options.AuditLog = audit;
                    var entry = members.Any(m => m.Name == member.Name);
                    built.Add(new ChatAgent(entry ? clients.Get(member.Model) : clients.Lazy(member.Model), options));
                }

                loaded.LinkHandoffs(built);
                agents.AddRange(built.Where(a => members.Any(m => m.Name == a.Name)));

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
                foreach (var (source, _) in mcpSources.Values)
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

    /// <summary>
    /// Starts the MCP servers the agent's tools name, each once per chat (agents reached by handoff or routing share a
    /// server another agent started; <paramref name="started"/> holds them), and returns their pinned tools keyed <c>SERVER/TOOL</c>.
    /// </summary>
    private static async Task<Dictionary<string, AgentTool>> StartMcpToolsAsync(
        EdgewiseConfig config, AgentConfig agent, SqliteAuditLog audit, Dictionary<string, (McpToolSource Source, IReadOnlyList<AgentTool> Tools)> started, CliConsole console, CancellationToken cancellationToken)
    {
        var tools = new Dictionary<string, AgentTool>(StringComparer.Ordinal);
        var servers = agent.Tools.Where(t => t.Contains('/', StringComparison.Ordinal)).Select(t => t[..t.IndexOf('/', StringComparison.Ordinal)]).Distinct(StringComparer.Ordinal);
        foreach (var name in servers)
        {
            if (!started.TryGetValue(name, out var entry))
            {
                var server = config.McpServers[name];
                McpToolSource source;
                try
                {
                    source = await McpToolSource.StartAsync(server, audit, config.BaseDirectory, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    throw new CliException("MCP server '" + name + "' (" + (server.Url?.ToString() ?? server.Command) + ") could not be started: "
                        + (e is OperationCanceledException ? "no answer in time" : e.Message.ReplaceLineEndings(" ")), "mcp_server_failed", CliConsole.Failure);
                }

                started[name] = (source, []);
                var (loaded, definitions) = await source.LoadToolsAsync(server.Pinned, cancellationToken: cancellationToken).ConfigureAwait(false);
                entry = started[name] = (source, loaded);
                foreach (var definition in definitions.Where(d => !d.Enabled))
                {
                    console.Error.WriteLine("warning: MCP tool " + name + "/" + definition.Name + " is disabled until pinned: " + definition.Hash);
                }
            }

            foreach (var tool in entry.Tools)
            {
                tools[name + "/" + tool.Name] = tool;
            }
        }

        return tools;
    }

    private static Option<string?> DatabaseOption() => new("--db")
    {
        Description = "The sessions database (default: agents.db under EDGEWISE_HOME).",
    };

    private static Option<string?> StorageConfigOption() => new("--config")
    {
        Description = "Read the store its storage section names (PostgreSQL with storage.kind: postgres); default: edgewise.yaml in the current folder when it exists and --db is not given.",
    };

    private static Command Sessions(CliConsole console)
    {
        var db = DatabaseOption();
        var json = ModelCommands.JsonOption();
        var limit = new Option<int>("--limit") { Description = "The most sessions listed (default 100).", DefaultValueFactory = _ => 100 };
        var storage = StorageConfigOption();
        var ls = new Command("ls", "List saved sessions, most recently updated first.") { db, storage, json, limit };
        ls.SetAction((r, cancel) => SessionStorage.RunAsync(console, r.GetValue(db), r.GetValue(storage), cancel, async database =>
        {
            var sessions = database.Store is null ? [] : await database.Store.ListAsync(null, Math.Clamp(r.GetValue(limit), 1, 10000), cancel).ConfigureAwait(false);
            if (r.GetValue(json))
            {
                console.WriteJson(new SessionListOutput([.. sessions.Select(s => new SessionOutput(s.Id, s.AgentName, s.MessageCount, s.CreatedAt, s.UpdatedAt))]));
                return 0;
            }

            if (sessions.Count == 0)
            {
                console.Out.WriteLine("no sessions");
                return 0;
            }

            console.Out.WriteLine("ID".PadRight(32) + "  AGENT".PadRight(18) + "  MESSAGES  UPDATED");
            foreach (var s in sessions)
            {
                console.Out.WriteLine(s.Id.PadRight(32) + "  " + (s.AgentName ?? "-").PadRight(16) + "  " + s.MessageCount.ToString(CultureInfo.InvariantCulture).PadLeft(8)
                    + "  " + s.UpdatedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + "Z");
            }

            return 0;
        }));

        var showId = new Argument<string>("id") { Description = "The session id." };
        var show = new Command("show", "Show a saved session: its messages, tool calls and pending approvals.") { showId, db, storage, json };
        show.SetAction((r, cancel) => SessionStorage.RunAsync(console, r.GetValue(db), r.GetValue(storage), cancel, async database =>
        {
            var id = r.GetValue(showId)!;
            var session = database.Store is null ? null : await database.Store.GetAsync(id, cancel).ConfigureAwait(false);
            if (session is null)
            {
                throw new CliException("no saved session " + id, "session_not_found", CliConsole.NotFound);
            }

            if (r.GetValue(json))
            {
                console.Out.WriteLine(session.ToJson());
                return 0;
            }

            console.Out.WriteLine("session " + session.Id + " agent " + (session.AgentName ?? "-") + (session.IsPrivate ? " (private)" : string.Empty));
            console.Out.WriteLine("created " + session.CreatedAt.ToString("u", CultureInfo.InvariantCulture) + ", updated " + session.UpdatedAt.ToString("u", CultureInfo.InvariantCulture));
            foreach (var message in session.Messages)
            {
                WriteMessage(console.Out, message);
            }

            foreach (var request in session.PendingApprovals)
            {
                console.Out.WriteLine("[approval pending] " + request.ToolName + " " + request.Arguments + " (call " + request.CallId + ")");
            }

            return 0;
        }));

        var rmId = new Argument<string>("id") { Description = "The session id." };
        var rmJson = ModelCommands.JsonOption();
        var rm = new Command("rm", "Delete a saved session (its audit rows stay: the audit log is append-only).") { rmId, db, storage, rmJson };
        rm.SetAction((r, cancel) => SessionStorage.RunAsync(console, r.GetValue(db), r.GetValue(storage), cancel, async database =>
        {
            var id = r.GetValue(rmId)!;
            if (database.Store is null || !await database.Store.DeleteAsync(id, cancel).ConfigureAwait(false))
            {
                throw new CliException("no saved session " + id, "session_not_found", CliConsole.NotFound);
            }

            if (r.GetValue(rmJson))
            {
                console.WriteJson(new SessionDeletedOutput(id));
            }
            else
            {
                console.Out.WriteLine("deleted session " + id);
            }

            return 0;
        }));
        return new Command("sessions", "Saved agent sessions.") { ls, show, rm };
    }

    private static Command Audit(CliConsole console)
    {
        var db = DatabaseOption();
        var json = ModelCommands.JsonOption();
        var storage = StorageConfigOption();
        var verify = new Command("verify", "Walk the audit log's hash chain; exit 1 at the first row that does not verify (P06).") { db, storage, json };
        verify.SetAction((r, cancel) => SessionStorage.RunAsync(console, r.GetValue(db), r.GetValue(storage), cancel, async database =>
        {
            var result = await database.VerifyAuditAsync(cancel).ConfigureAwait(false);
            if (r.GetValue(json))
            {
                console.WriteJson(new AuditVerifyOutput(result.IsValid, result.RowsChecked, result.FirstBrokenSeq, result.HeadHash, result.Problem, result.RowsPastHead));
            }
            else if (result.IsValid)
            {
                console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"audit log verified: {result.RowsChecked} rows, head {result.HeadHash}")
                    + (result.RowsPastHead > 0 ? string.Create(CultureInfo.InvariantCulture, $" ({result.RowsPastHead} committed after the head file was last written)") : string.Empty));
            }
            else if (result.Problem is { } problem)
            {
                console.Error.WriteLine(result.FirstBrokenSeq is { } seq
                    ? string.Create(CultureInfo.InvariantCulture, $"audit log broken at row {seq}: {problem}")
                    : "audit log broken: " + problem);
            }
            else
            {
                console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"audit log broken at row {result.FirstBrokenSeq} ({result.RowsChecked} rows verified before it)"));
            }

            return result.IsValid ? 0 : 1;
        }));
        return new Command("audit", "The agents' audit log.") { verify };
    }

    private static void WriteMessage(TextWriter output, ChatMessage message)
    {
        foreach (var content in message.Contents)
        {
            switch (content)
            {
                case TextContent text when !string.IsNullOrEmpty(text.Text):
                    output.WriteLine(message.Role.Value + ": " + text.Text);
                    break;
                case FunctionCallContent call:
                    output.WriteLine("[tool_call " + call.Name + " " + call.CallId + "]");
                    break;
                case FunctionResultContent result:
                    output.WriteLine("[tool_result " + result.CallId + "] " + result.Result);
                    break;
            }
        }
    }

    private static int Guard(CliConsole console, Func<int> body)
    {
        try
        {
            return console.Guard(body);
        }
        catch (ConfigException e)
        {
            return console.Fail("usage", e.Message, CliConsole.UsageError);
        }
    }
}

/// <summary>
/// The chat clients of a configuration's models, loaded on first use and released together: leased from a
/// <see cref="CliModelHost"/>, so local entries run with their settings (context, threads, parallel, kv_cache, mlock)
/// and remote entries (<c>url:</c>, <c>backends:</c>) over their failover list, exactly as <c>edgewise serve</c> runs them.
/// </summary>
internal sealed class AgentModelClients(EdgewiseConfig config, CliConsole console, CancellationToken cancellationToken) : IDisposable
{
    private readonly CliModelHost _host = CliModelHost.ForConfiguration(config, console, cancellationToken);

    /// <summary>The client of model <paramref name="name"/>, loading (or connecting) it now if needed.</summary>
    public IChatClient Get(string name) => _host.Get(name);

    /// <summary>A client that loads model <paramref name="name"/> only when first called (escalation targets).</summary>
    public IChatClient Lazy(string name) => new LazyClient(() => Get(name));

    public void Dispose() => _host.Dispose();

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
