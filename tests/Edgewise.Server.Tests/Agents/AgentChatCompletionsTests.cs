using System.ClientModel;
using System.Text;
using Edgewise.Server.Tests.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;
using SdkFinishReason = OpenAI.Chat.ChatFinishReason;

namespace Edgewise.Server.Tests.Agents;

/// <summary>An agent's name as <c>model</c> in /v1/chat/completions, through the official OpenAI .NET SDK.</summary>
public sealed class AgentChatCompletionsTests
{
    private static ChatClient Sdk(AgentServer server, string model, string key = "unused") =>
        new(model, new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = new Uri(server.Client.BaseAddress!, "/v1") });

    private static Dictionary<string, IChatClient> LookupModels() => new()
    {
        ["small"] = AgentScripts.CallsTool("lookup", new() { ["item"] = "tent" }),
        ["tiny"] = AgentScripts.Picks("helper"),
    };

    [Fact]
    public async Task CompleteChat_AgentAsModel_RunsTheAgentWithItsTools()
    {
        var book = new OrderBook();
        await using var server = await AgentServer.StartAsync(AgentServer.Yaml(), LookupModels(), TestTools.Create(book));

        var completion = (await Sdk(server, "helper").CompleteChatAsync([new UserChatMessage("is the tent in stock?")], cancellationToken: TestContext.Current.CancellationToken)).Value;

        Assert.Equal("helper", completion.Model);
        Assert.Equal(SdkFinishReason.Stop, completion.FinishReason);
        Assert.Contains("tent: 7 in stock", completion.Content[0].Text, StringComparison.Ordinal);
        Assert.Equal(1, book.Lookups);
        Assert.Equal(10, completion.Usage.InputTokenCount);
    }

    [Fact]
    public async Task CompleteChatStreaming_AgentAsModel_StreamsTheAnswer()
    {
        var book = new OrderBook();
        await using var server = await AgentServer.StartAsync(AgentServer.Yaml(), LookupModels(), TestTools.Create(book));

        var text = new StringBuilder();
        SdkFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        await foreach (var update in Sdk(server, "helper").CompleteChatStreamingAsync(
            [new UserChatMessage("is the tent in stock?")],
            new ChatCompletionOptions(),
            TestContext.Current.CancellationToken))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            finish = update.FinishReason ?? finish;
            usage = update.Usage ?? usage;
        }

        Assert.Contains("tent: 7 in stock", text.ToString(), StringComparison.Ordinal);
        Assert.Equal(SdkFinishReason.Stop, finish);
        Assert.Equal(10, usage?.InputTokenCount);
        Assert.Equal(1, book.Lookups);
    }

    [Fact]
    public async Task CompleteChat_AgentAsModel_HistoryIsTheGivenMessagesAndNothingIsStored()
    {
        var echo = AgentScripts.Echo();
        await using var server = await AgentServer.StartAsync(AgentServer.Yaml(), new Dictionary<string, IChatClient> { ["small"] = echo, ["tiny"] = AgentScripts.Picks("helper") });

        var completion = (await Sdk(server, "helper").CompleteChatAsync(
            [new SystemChatMessage("ignored"), new UserChatMessage("one"), new AssistantChatMessage("two"), new UserChatMessage("three")],
            cancellationToken: TestContext.Current.CancellationToken)).Value;

        Assert.Equal("echo: three (4 messages)", completion.Content[0].Text);
        var sent = echo.Received.Single().Messages;
        Assert.Equal(["system", "user", "assistant", "user"], sent.Select(m => m.Role.Value));
        Assert.StartsWith("Be brief.", sent[0].Text, StringComparison.Ordinal);
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = server.DatabasePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ConnectionString);
        connection.Open();
        Assert.Equal(0L, TempDatabase.Scalar(connection, "SELECT count(*) FROM sessions"));
    }

    [Fact]
    public async Task CompleteChat_A04_ApprovalRequiredTool_AnswersThatApprovalsNeedTheAgentsApi()
    {
        var book = new OrderBook();
        await using var server = await AgentServer.StartAsync(
            AgentServer.Yaml(),
            new Dictionary<string, IChatClient> { ["small"] = AgentScripts.CallsTool("record_order", new() { ["quantity"] = 3 }), ["tiny"] = AgentScripts.Picks("orders") },
            TestTools.Create(book));

        var completion = (await Sdk(server, "orders").CompleteChatAsync([new UserChatMessage("order three")], cancellationToken: TestContext.Current.CancellationToken)).Value;

        Assert.Equal(0, book.Orders);
        Assert.Contains("record_order", completion.Content[0].Text, StringComparison.Ordinal);
        Assert.Contains("/v1/agents/orders/runs", completion.Content[0].Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CompleteChat_RouterAsModel_AnswersThroughTheChosenAgent()
    {
        await using var server = await AgentServer.StartAsync(AgentServer.Yaml(), new Dictionary<string, IChatClient> { ["small"] = AgentScripts.Echo(), ["tiny"] = AgentScripts.Picks("helper") });

        var completion = (await Sdk(server, "front").CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: TestContext.Current.CancellationToken)).Value;

        Assert.Equal("echo: hi (2 messages)", completion.Content[0].Text);
    }

    [Fact]
    public async Task ListModels_WithAgents_ListsAgentNamesBesideModels()
    {
        await using var server = await AgentServer.StartAsync(AgentServer.Yaml(), LookupModels());

        var (_, body) = await server.CallAsync(HttpMethod.Get, "/v1/models");

        var ids = body.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()).ToList();
        Assert.Contains("helper", ids);
        Assert.Contains("front", ids);
    }
}
