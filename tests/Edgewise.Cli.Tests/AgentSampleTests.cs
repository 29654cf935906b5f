using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Edgewise.Agents;
using Edgewise.Agents.Configuration;
using Edgewise.Cli.Commands;
using Edgewise.Server.Storage;
using Edgewise.Testing;
using Microsoft.Extensions.AI;

namespace Edgewise.Cli.Tests;

/// <summary>
/// Each sample under samples/ validates, runs its one command end to end, and keeps its promises, with its tools
/// served by the real sample MCP server (samples/sample-tools) started as its edgewise.yaml says.
/// </summary>
public sealed partial class AgentSampleTests(SampleMcpServers servers) : IAsyncLifetime, IClassFixture<SampleMcpServers>
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "edgewise-samples-" + Guid.NewGuid().ToString("N"));
    private SqliteDatabase? _database;

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        _database = await SqliteDatabase.OpenAsync(new StorageOptions { DatabasePath = Path.Combine(_dir, "loop.db") }, TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _database!.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private static string Sample(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "samples", name, "edgewise.yaml");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("samples/" + name + "/edgewise.yaml was not found above the test assembly.");
    }

    /// <summary>
    /// The sample itself when its relative model paths reach the reference models (../shared beside the repository);
    /// otherwise a copy whose model paths and sample-tools project path are absolute, wherever ../shared is.
    /// </summary>
    private string WithReferenceModels(string sample)
    {
        var folder = Path.GetDirectoryName(sample)!;
        var text = File.ReadAllText(sample);
        if (ModelPath().Matches(text).All(m => Path.GetFullPath(m.Value["path: ".Length..], folder) == Path.GetFullPath(SharedPaths.ReferenceFile("models", m.Groups[1].Value))))
        {
            return sample;
        }

        text = ModelPath().Replace(text, m => "path: " + SharedPaths.ReferenceFile("models", m.Groups[1].Value))
            .Replace("../sample-tools", Path.GetFullPath("../sample-tools", folder), StringComparison.Ordinal);
        var path = Path.Combine(_dir, Path.GetFileName(folder) + ".yaml");
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>The sample's configuration, as edgewise loads it: no C# tools, its tools from its MCP servers.</summary>
    private static EdgewiseConfig Load(string sample) => EdgewiseConfig.Load(Sample(sample), new ToolRegistry());

    /// <summary>The options of <paramref name="agent"/> with the tools of the sample's running MCP servers.</summary>
    private async Task<AgentOptions> OptionsAsync(EdgewiseConfig config, string agent, Func<string, IChatClient>? escalationTarget = null) =>
        config.CreateAgentOptions(agent, new ToolRegistry(), (await servers.StartAsync(config)).Tools, escalationTarget);

    private async Task<(string Output, AgentSession Session)> ChatAsync(EdgewiseConfig config, string agent, IChatClient client, string input)
    {
        var store = new SqliteSessionStore(_database!);
        var session = new AgentSession { AgentName = agent, IsPrivate = config.Agents[agent].Private };
        using var output = new StringWriter();
        await AgentChatLoop.RunAsync(new ChatAgent(client, await OptionsAsync(config, agent, _ => client)), session, store, new StringReader(input), output, new NoCancellation());
        return (output.ToString(), (await store.GetAsync(session.Id, TestContext.Current.CancellationToken))!);
    }

    [Theory]
    [InlineData("retail-kiosk")]
    [InlineData("clinic-assistant")]
    [InlineData("it-helpdesk")]
    public async Task Sample_McpServer_ServesEveryToolItsAgentsListPinned(string sample)
    {
        var config = Load(sample);

        var started = await servers.StartAsync(config);

        // A definition that changed (the SDK's schema, a description) stays disabled until the sample is pinned
        // again: `edgewise mcp pin SERVER --config samples/SAMPLE/edgewise.yaml`.
        Assert.All(started.Definitions, d => Assert.True(
            d.Definition.Enabled,
            $"{d.Server}/{d.Definition.Name} is disabled: pinned {config.McpServers[d.Server].Pinned.GetValueOrDefault(d.Definition.Name) ?? "nothing"}, listed {d.Definition.Hash}"));
        foreach (var server in config.McpServers.Values)
        {
            Assert.Equal(server.Pinned.Keys.Order(StringComparer.Ordinal), started.Definitions.Where(d => d.Server == server.Name).Select(d => d.Definition.Name).Order(StringComparer.Ordinal));
        }

        Assert.Equal(config.Agents.Values.SelectMany(a => a.Tools).Distinct().Order(StringComparer.Ordinal), started.Tools.Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("retail-kiosk", "kiosk")]
    [InlineData("clinic-assistant", "clinic")]
    [InlineData("it-helpdesk", "network")]
    public async Task Sample_OneCommand_ChatsOnTheReferenceModelAndSavesTheSession(string sample, string agent)
    {
        var (listCode, listed, listError) = CliRunner.Run("agents", "ls", "--config", Sample(sample));
        Assert.True(listCode == 0, listError);
        Assert.Contains(agent, listed, StringComparison.Ordinal);

        var home = Path.Combine(_dir, "home-" + sample);
        var (code, output, error) = await AgentCommandTests.RunCliAsync(home, "hello\n/bye\n", "chat", agent, "--config", WithReferenceModels(Sample(sample)));

        Assert.True(code == 0, error);
        Assert.DoesNotContain("warning: MCP tool", error, StringComparison.Ordinal);
        Assert.Matches("session [0-9a-f]{32}", output);
        Assert.True(File.Exists(Path.Combine(home, "agents.db")));
    }

    [Fact]
    public async Task ItHelpdesk_RouterCommand_RoutesOnTheReferenceModel()
    {
        var home = Path.Combine(_dir, "home-router");

        var (code, output, error) = await AgentCommandTests.RunCliAsync(home, "my vpn is down\n/bye\n", "chat", "helpdesk", "--config", WithReferenceModels(Sample("it-helpdesk")));

        Assert.True(code == 0, error);
        Assert.Matches(@"\(routed to (network|accounts), confidence [01]\.\d\d", output);
        Assert.Matches("session [0-9a-f]{32} for agent (network|accounts)", output);
    }

    [Fact]
    public void ItHelpdesk_RouterWithSession_IsRefused()
    {
        var (code, _, error) = CliRunner.Run("chat", "helpdesk", "--config", Sample("it-helpdesk"), "--session", "abc");

        Assert.Equal(2, code);
        Assert.Contains("name the agent instead of router 'helpdesk'", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ItHelpdesk_RoutedLoop_SendsEachMessageToThePickedSpecialist()
    {
        var config = Load("it-helpdesk");
        var routerClient = new SampleScript().Text("{\"agent\": \"accounts\", \"confidence\": 0.9}").Text("{\"agent\": \"network\", \"confidence\": 0.8}");
        var accountsClient = new SampleScript().Call("reset_password", ("user", "ana")).Text("Reset link sent.");
        var networkClient = new SampleScript().Call("service_status", ("service", "vpn")).Text("VPN is degraded.");
        var accounts = new ChatAgent(accountsClient, await OptionsAsync(config, "accounts"));
        var network = new ChatAgent(networkClient, await OptionsAsync(config, "network"));
        var store = new SqliteSessionStore(_database!);
        using var output = new StringWriter();

        await AgentChatLoop.RunRoutedAsync(
            new Edgewise.Agents.Routing.AgentRouter(routerClient, [network, accounts]), store, new StringReader("I forgot my password\ny\nvpn?\n/bye\n"), output, new NoCancellation());

        var text = output.ToString();
        Assert.Contains("(routed to accounts, confidence 0.90)", text, StringComparison.Ordinal);
        Assert.Contains("[approval_granted reset_password]", text, StringComparison.Ordinal);
        Assert.Contains("Reset link sent.", text, StringComparison.Ordinal);
        Assert.Contains("(routed to network, confidence 0.80)", text, StringComparison.Ordinal);
        Assert.Contains("VPN is degraded.", text, StringComparison.Ordinal);
        var sessions = await store.ListAsync(cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(["accounts", "network"], sessions.Select(x => x.AgentName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task RetailKiosk_LookupThenOrder_OrderWaitsForApproval()
    {
        var config = Load("retail-kiosk");
        var client = new SampleScript()
            .Call("inventory_lookup", ("product", "trail running shoes"))
            .Call("price_quote", ("product", "SKU-100"), ("quantity", 2))
            .Text("Two pairs cost 179.80 EUR.")
            .Call("place_order", ("product", "SKU-100"), ("quantity", 2))
            .Text("Your order is placed.");

        var (output, session) = await ChatAsync(config, "kiosk", client, "trail shoes for two?\nbuy them\ny\n/bye\n");

        Assert.Contains("[tool_result inventory_lookup]", output, StringComparison.Ordinal);
        Assert.Contains("[tool_result price_quote]", output, StringComparison.Ordinal);
        Assert.Contains("approve place_order", output, StringComparison.Ordinal);
        Assert.Contains("[approval_granted place_order]", output, StringComparison.Ordinal);
        var results = session.Messages.SelectMany(m => m.Contents.OfType<FunctionResultContent>()).Select(r => r.Result?.ToString()).ToList();
        Assert.Contains(results, r => r!.Contains("4 in stock", StringComparison.Ordinal));
        Assert.Contains(results, r => r!.Contains("179.80 EUR", StringComparison.Ordinal));
        Assert.Contains(results, r => r!.Contains("order placed: 2 x SKU-100", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RetailKiosk_OutOfStock_OffersAlternatives()
    {
        var config = Load("retail-kiosk");
        var client = new SampleScript().Call("find_alternatives", ("product", "road running shoes")).Text("Try the trail shoes.");

        var (_, session) = await ChatAsync(config, "kiosk", client, "road shoes?\n/bye\n");

        var results = session.Messages.SelectMany(m => m.Contents.OfType<FunctionResultContent>()).Select(r => r.Result?.ToString()).ToList();
        Assert.Contains(results, r => r!.Contains("SKU-100 trail running shoes", StringComparison.Ordinal) && !r.Contains("SKU-101", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ClinicAssistant_IsPrivate_NeverEscalatesAndAnswersAvailability()
    {
        var config = Load("clinic-assistant");
        var options = await OptionsAsync(config, "clinic", _ => throw new InvalidOperationException("a private agent asked for an escalation target"));
        Assert.True(options.IsPrivate);
        Assert.Null(options.Escalation);

        var client = new SampleScript().Call("appointment_availability", ("department", "dental")).Text("Dental has 11:00 and 15:30.");
        var (output, session) = await ChatAsync(config, "clinic", client, "dentist today?\n/bye\n");

        Assert.True(session.IsPrivate);
        Assert.DoesNotContain("[escalation", output, StringComparison.Ordinal);
        Assert.Contains(session.Messages.SelectMany(m => m.Contents.OfType<FunctionResultContent>()), r => r.Result!.ToString()!.Contains("11:00, 15:30", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ItHelpdesk_RouterOverTwoSpecialists_EscalatesToTheBigModel()
    {
        var config = Load("it-helpdesk");

        Assert.Equal(["network", "accounts"], config.Routers["helpdesk"].Agents);
        var requested = new List<string>();
        using var target = new SampleScript();
        var network = await OptionsAsync(config, "network", name => { requested.Add(name); return target; });
        var accounts = await OptionsAsync(config, "accounts");

        Assert.Equal("big", network.Escalation!.TargetName);
        Assert.Equal(["big"], requested);
        Assert.Equal("service_status", Assert.Single(network.Tools).Name);
        var reset = Assert.Single(accounts.Tools);
        Assert.Equal("reset_password", reset.Name);
        Assert.True(reset.RequiresApproval);
    }

    [Fact]
    public async Task ItHelpdesk_NetworkHandsOffToAccounts_SessionContinuesWithAccounts()
    {
        var config = Load("it-helpdesk");
        var networkClient = new SampleScript().Call("handoff_to_accounts").Text("unused");
        var accountsClient = new SampleScript().Text("Let us reset your password.").Text("Done: check your mail.");
        var agents = new List<Edgewise.Agents.Agent>
        {
            new ChatAgent(networkClient, await OptionsAsync(config, "network")),
            new ChatAgent(accountsClient, await OptionsAsync(config, "accounts")),
        };
        config.LinkHandoffs(agents);
        var session = new Edgewise.Agents.AgentSession { AgentName = "network" };
        var store = new SqliteSessionStore(_database!);
        using var output = new StringWriter();

        await AgentChatLoop.RunAsync(agents[0], session, store, new StringReader("the vpn rejects my password\nthanks\n/bye\n"), output, new NoCancellation());

        var text = output.ToString();
        Assert.Contains("[handoff handoff_to_accounts] handed off to accounts", text, StringComparison.Ordinal);
        Assert.Contains("Let us reset your password.", text, StringComparison.Ordinal);
        Assert.Contains("Done: check your mail.", text, StringComparison.Ordinal);
        var saved = await store.GetAsync(session.Id, TestContext.Current.CancellationToken);
        Assert.Equal("accounts", saved!.AgentName);
        Assert.Equal(Edgewise.Agents.ContextStrategy.Summarize, agents[1].Options.Context!.Strategy);
    }

    [GeneratedRegex(@"path: \S*/reference/models/(\S+\.gguf)")]
    private static partial Regex ModelPath();

    private sealed class NoCancellation : IAnswerCancellation
    {
        public CancellationTokenSource BeginAnswer() => new();
    }

    private sealed class SampleScript : IChatClient
    {
        private readonly Queue<ChatResponse> _turns = new();
        private int _calls;

        public SampleScript Text(string text)
        {
            _turns.Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant, text)) { FinishReason = ChatFinishReason.Stop });
            return this;
        }

        public SampleScript Call(string name, params (string Key, object Value)[] arguments)
        {
            var call = new FunctionCallContent("call_" + ++_calls, name, arguments.ToDictionary(a => a.Key, a => (object?)a.Value));
            _turns.Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant, [call])) { FinishReason = ChatFinishReason.ToolCalls });
            return this;
        }

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(_turns.Dequeue());

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
            IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            var response = await GetResponseAsync(messages, options, cancellationToken);
            foreach (var update in response.ToChatResponseUpdates())
            {
                yield return update;
            }
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
