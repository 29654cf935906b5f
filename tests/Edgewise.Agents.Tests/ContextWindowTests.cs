using Edgewise.Agents.Diagnostics;
using Microsoft.Extensions.AI;

namespace Edgewise.Agents.Tests;

public sealed class ContextWindowTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Run_SummarizeStrategy_OldestTurnsSummarizedOnceAndSentAsSystemNote(bool streaming)
    {
        using var metrics = new MetricRecorder();
        var name = "summarizer-" + streaming;
        var client = new ScriptedChatClient().ThenText("The user asked about shoes SKU-100; 4 in stock.").ThenText("ok").ThenText("Shoes SKU-100, then jackets.").ThenText("still ok");
        var agent = new ChatAgent(client, new AgentOptions { Name = name, Instructions = "sys", Context = new ContextWindowOptions { Strategy = ContextStrategy.Summarize, MaxMessages = 5 } });
        var session = History(turns: 4);

        var result = await RunHelper.RunAsync(agent, "latest", session, streaming);

        Assert.Equal("ok", result.Output);
        var summaryCall = client.Calls[0].Messages;
        Assert.Contains("q0", summaryCall[^1].Text, StringComparison.Ordinal);
        Assert.DoesNotContain("latest", summaryCall[^1].Text, StringComparison.Ordinal);
        var sent = client.Calls[1].Messages;
        Assert.Equal(ChatRole.System, sent[1].Role);
        Assert.Contains("SKU-100", sent[1].Text, StringComparison.Ordinal);
        Assert.Equal(ChatRole.User, sent[2].Role);
        AssertNoSplitToolCalls(sent);
        Assert.Contains(result.Events, e => e.Kind == AgentRunEventKind.Context && e.Detail.EndsWith("oldest messages summarized", StringComparison.Ordinal));
        Assert.Equal(18, session.Messages.Count);
        Assert.Equal(1, metrics.Sum(AgentMetrics.ContextTrimsName, ("agent", name), ("strategy", "summarize")));

        var again = await RunHelper.RunAsync(agent, "again", session, streaming);

        Assert.Equal("still ok", again.Output);
        Assert.Contains("Earlier summary:\nThe user asked about shoes SKU-100", client.Calls[2].Messages[^1].Text, StringComparison.Ordinal);
        Assert.Contains("then jackets", client.Calls[3].Messages[1].Text, StringComparison.Ordinal);
        Assert.Equal(20, session.Messages.Count);
    }

    [Fact]
    public async Task Run_SummaryCallFails_OldestTurnsDroppedInsteadAndSaid()
    {
        var client = new ScriptedChatClient().Then((_, _) => throw new HttpRequestException("down")).ThenText("ok");
        var agent = new ChatAgent(client, new AgentOptions { Context = new ContextWindowOptions { Strategy = ContextStrategy.Summarize, MaxMessages = 5 } });
        var session = History(turns: 4);

        var result = await agent.RunAsync("latest", session, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal("ok", result.Output);
        Assert.Contains(result.Events, e => e.Kind == AgentRunEventKind.Context && e.Detail.StartsWith("summarizing the oldest messages failed", StringComparison.Ordinal));
        Assert.Contains(result.Events, e => e.Kind == AgentRunEventKind.Context && e.Detail.EndsWith("left out of the context window", StringComparison.Ordinal));
        Assert.False(session.State.ContainsKey(ContextWindow.SummaryKey));
        Assert.True(client.Calls[1].Messages.Count <= 5);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Run_DropStrategyWithCharBudget_EventOnceAndWindowStartsAtUser(bool streaming)
    {
        using var metrics = new MetricRecorder();
        var name = "dropper-" + streaming;
        var client = new ScriptedChatClient().ThenCall("echo", new { text = "x" }).ThenText("done");
        var options = new AgentOptions { Name = name, Context = new ContextWindowOptions { MaxChars = 300 } };
        options.Tools.Add(Edgewise.Agents.Tools.AgentTool.Create((string text) => text, "echo", "Echoes."));
        var agent = new ChatAgent(client, options);
        var session = History(turns: 6, padding: 60);

        var result = await RunHelper.RunAsync(agent, "latest", session, streaming);

        Assert.Equal("done", result.Output);
        var trims = result.Events.Where(e => e.Kind == AgentRunEventKind.Context).ToList();
        Assert.NotEmpty(trims);
        Assert.All(trims, e => Assert.EndsWith("oldest messages left out of the context window", e.Detail, StringComparison.Ordinal));
        foreach (var (messages, _) in client.Calls)
        {
            Assert.Equal(ChatRole.User, messages[1].Role);
            AssertNoSplitToolCalls(messages);
        }

        Assert.Equal(trims.Count, metrics.Sum(AgentMetrics.ContextTrimsName, ("agent", name), ("strategy", "drop")));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(7)]
    [InlineData(11)]
    public async Task Run_AnyMessageBudget_NeverSplitsACallFromItsResult(int maxMessages)
    {
        var client = new ScriptedChatClient().ThenText("ok");
        var agent = new ChatAgent(client, new AgentOptions { Context = new ContextWindowOptions { MaxMessages = maxMessages } });
        var session = History(turns: 5);

        await agent.RunAsync("latest", session, cancellationToken: TestContext.Current.CancellationToken);

        var sent = client.Calls[0].Messages;
        Assert.Equal("latest", sent[^1].Text);
        AssertNoSplitToolCalls(sent);
        Assert.Equal(ChatRole.User, sent[0].Role);
    }

    private static AgentSession History(int turns, int padding = 0)
    {
        var session = new AgentSession();
        for (var i = 0; i < turns; i++)
        {
            session.Messages.Add(new ChatMessage(ChatRole.User, "q" + i + new string('.', padding)));
            session.Messages.Add(new ChatMessage(ChatRole.Assistant, [new FunctionCallContent("c" + i, "lookup")]));
            session.Messages.Add(new ChatMessage(ChatRole.Tool, [new FunctionResultContent("c" + i, "r" + i + new string('.', padding))]));
            session.Messages.Add(new ChatMessage(ChatRole.Assistant, "a" + i));
        }

        return session;
    }

    private static void AssertNoSplitToolCalls(IReadOnlyList<ChatMessage> sent)
    {
        var calls = sent.SelectMany(m => m.Contents.OfType<FunctionCallContent>()).Select(c => c.CallId).ToHashSet();
        foreach (var result in sent.SelectMany(m => m.Contents.OfType<FunctionResultContent>()))
        {
            Assert.Contains(result.CallId, calls);
        }
    }
}
