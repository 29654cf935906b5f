using System.Runtime.CompilerServices;
using Edgewise.Agents;
using Edgewise.Agents.Configuration;
using Edgewise.Cli.Commands;
using Edgewise.Server.Storage;
using Edgewise.Testing;
using Microsoft.Extensions.AI;

namespace Edgewise.Cli.Tests;

public sealed class AgentChatLoopTests : IAsyncLifetime
{
    private const string Config = """
        models:
          small: {path: model.gguf}
        agents:
          kiosk:
            description: Shop assistant.
            model: small
            tools: [inventory_lookup, place_order]
        """;

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "edgewise-chatloop-" + Guid.NewGuid().ToString("N"));
    private SqliteDatabase? _database;

    private SqliteSessionStore Store => new(_database!);

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        _database = await SqliteDatabase.OpenAsync(new StorageOptions { DatabasePath = Path.Combine(_dir, "agents.db") }, TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _database!.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private static ChatAgent Kiosk(IChatClient client)
    {
        var config = EdgewiseConfig.Parse(Config, "edgewise.yaml", TestTools.Registry());
        return new ChatAgent(client, config.CreateAgentOptions("kiosk", TestTools.Registry()));
    }

    private static async Task<string> RunAsync(ChatAgent agent, AgentSession session, SqliteSessionStore store, string input)
    {
        using var output = new StringWriter();
        await AgentChatLoop.RunAsync(agent, session, store, new StringReader(input), output, new NoCancellation());
        return output.ToString();
    }

    [Fact]
    public async Task RunAsync_ToolCall_ShowsEventsAndAnswer()
    {
        var client = new ScriptClient().Call("inventory_lookup", ("product", "rain jacket")).Text("We have 7.");
        var session = new AgentSession();

        var output = await RunAsync(Kiosk(client), session, Store, "any rain jackets?\n/bye\n");

        Assert.Contains("session " + session.Id, output, StringComparison.Ordinal);
        Assert.Contains("[tool_call inventory_lookup]", output, StringComparison.Ordinal);
        Assert.Contains("[tool_result inventory_lookup]", output, StringComparison.Ordinal);
        Assert.Contains("We have 7.", output, StringComparison.Ordinal);
        Assert.Contains(client.Seen, m => m.Role == ChatRole.Tool && m.Contents.OfType<FunctionResultContent>().Any(r => r.Result!.ToString()!.Contains("7 in stock", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task RunAsync_ApprovalAnsweredYes_RunsTheToolAndSavesTheSession()
    {
        var client = new ScriptClient().Call("place_order", ("product", "rain jacket"), ("quantity", 2)).Text("Ordered.");
        var session = new AgentSession();

        var output = await RunAsync(Kiosk(client), session, Store, "order two rain jackets\ny\n/bye\n");

        Assert.Contains("approve place_order", output, StringComparison.Ordinal);
        Assert.Contains("[approval_granted place_order]", output, StringComparison.Ordinal);
        Assert.Contains("Ordered.", output, StringComparison.Ordinal);
        var saved = await Store.GetAsync(session.Id, TestContext.Current.CancellationToken);
        Assert.NotNull(saved);
        Assert.Empty(saved.PendingApprovals);
        Assert.Contains(saved.Messages, m => m.Contents.OfType<FunctionResultContent>().Any(r => r.Result!.ToString()!.Contains("order placed", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task RunAsync_ApprovalAnsweredNo_DeniesAndNeverRunsTheTool()
    {
        var client = new ScriptClient().Call("place_order", ("product", "rain jacket"), ("quantity", 2)).Text("Not ordered.");
        var session = new AgentSession();

        var output = await RunAsync(Kiosk(client), session, Store, "order two rain jackets\nn\n/bye\n");

        Assert.Contains("[approval_denied place_order]", output, StringComparison.Ordinal);
        var saved = await Store.GetAsync(session.Id, TestContext.Current.CancellationToken);
        Assert.DoesNotContain(saved!.Messages, m => m.Contents.OfType<FunctionResultContent>().Any(r => r.Result?.ToString()?.Contains("order placed", StringComparison.Ordinal) == true));
    }

    [Fact]
    public async Task RunAsync_SavedSession_ContinuesWithItsHistory()
    {
        var first = new ScriptClient().Text("Hello.");
        var session = new AgentSession();
        await RunAsync(Kiosk(first), session, Store, "hi\n/bye\n");

        var resumed = await Store.GetAsync(session.Id, TestContext.Current.CancellationToken);
        var second = new ScriptClient().Text("Again.");
        await RunAsync(Kiosk(second), resumed!, Store, "and again\n/bye\n");

        var texts = second.Seen.Where(m => m.Role != ChatRole.System).Select(m => m.Text).ToList();
        Assert.Equal(["hi", "Hello.", "and again"], texts);
        Assert.Equal(4, (await Store.GetAsync(session.Id, TestContext.Current.CancellationToken))!.Messages.Count);
    }

    private sealed class NoCancellation : IAnswerCancellation
    {
        public CancellationTokenSource BeginAnswer() => new();
    }

    /// <summary>Answers from a fixed script and records the last request's messages.</summary>
    private sealed class ScriptClient : IChatClient
    {
        private readonly Queue<ChatResponse> _turns = new();
        private int _calls;

        public List<ChatMessage> Seen { get; private set; } = [];

        public ScriptClient Text(string text)
        {
            _turns.Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant, text)) { FinishReason = ChatFinishReason.Stop });
            return this;
        }

        public ScriptClient Call(string name, params (string Key, object Value)[] arguments)
        {
            var call = new FunctionCallContent("call_" + ++_calls, name, arguments.ToDictionary(a => a.Key, a => (object?)a.Value));
            _turns.Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant, [call])) { FinishReason = ChatFinishReason.ToolCalls });
            return this;
        }

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            Seen = [.. messages];
            return Task.FromResult(_turns.Dequeue());
        }

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
