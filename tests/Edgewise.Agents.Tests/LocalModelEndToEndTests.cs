using Edgewise.Agents.Storage;
using Edgewise.Agents.Tools;
using Edgewise.Inference;
using Edgewise.Inference.Model;
using Edgewise.Testing;

namespace Edgewise.Agents.Tests;

/// <summary>The agent over the embedded engine on a random-weight reference model: mechanics, not content.</summary>
public sealed class LocalModelEndToEndTests : IDisposable
{
    private readonly LocalModel _model = LocalModel.Load(SharedPaths.ReferenceFile("models", "ref-phi4-Q8_0.gguf"));

    [Fact]
    public async Task Run_LocalChatClient_StreamingAndNonStreamingAgreeAndSessionContinues()
    {
        using var client = new LocalChatClient(_model);
        var audit = new MemoryAuditLog();
        var options = new AgentOptions { Name = "local", Instructions = "You are a kiosk assistant.", Temperature = 0, MaxOutputTokens = 12, AuditLog = audit };
        options.Tools.Add(AgentTool.Create((string sku) => "in stock", "lookup", "Looks up stock for a SKU."));
        var agent = new ChatAgent(client, options);
        var plain = new AgentSession();
        var streamed = new AgentSession();

        var first = await RunHelper.RunAsync(agent, "Do you have apples?", plain, streaming: false);
        var second = await RunHelper.RunAsync(agent, "Do you have apples?", streamed, streaming: true);

        Assert.Contains(first.FinishReason, new[] { AgentFinishReason.Stop, AgentFinishReason.Length, AgentFinishReason.ToolError, AgentFinishReason.MaxIterations });
        Assert.Equal(first.FinishReason, second.FinishReason);
        Assert.Equal(first.Output, second.Output);
        Assert.True(first.Usage.InputTokenCount > 0);
        Assert.InRange(first.Usage.OutputTokenCount ?? 0, 1, 12L * (AgentOptions.DefaultMaxToolRounds + 1));
        Assert.Equal(AgentRunEventKind.RunStarted, first.Events[0].Kind);
        Assert.Equal(AgentRunEventKind.RunCompleted, first.Events[^1].Kind);
        Assert.Equal(first.Events.Count, audit.Records.Count / 2);

        var before = plain.Messages.Count;
        var third = await RunHelper.RunAsync(agent, "And pears?", plain, streaming: false);
        Assert.True(plain.Messages.Count >= before + 2);
        Assert.True(third.Usage.InputTokenCount > first.Usage.InputTokenCount);
        Assert.Equal(plain.ToJson(), AgentSession.FromJson(plain.ToJson()).ToJson());
    }

    [Fact]
    public async Task Run_SummarizeOnTheEmbeddedEngine_OneSummaryCallThenTheWindowFits()
    {
        using var client = new LocalChatClient(_model);
        var options = new AgentOptions
        {
            Name = "local-summary",
            Temperature = 0,
            MaxOutputTokens = 8,
            Context = new ContextWindowOptions { Strategy = ContextStrategy.Summarize, MaxMessages = 3, SummaryMaxChars = 200 },
        };
        var session = new AgentSession();
        for (var i = 0; i < 4; i++)
        {
            session.Messages.Add(new Microsoft.Extensions.AI.ChatMessage(Microsoft.Extensions.AI.ChatRole.User, "Question number " + i + " about apples?"));
            session.Messages.Add(new Microsoft.Extensions.AI.ChatMessage(Microsoft.Extensions.AI.ChatRole.Assistant, "Answer number " + i + "."));
        }

        var result = await RunHelper.RunAsync(new ChatAgent(client, options), "And pears?", session, streaming: true);

        var context = Assert.Single(result.Events, e => e.Kind == AgentRunEventKind.Context && !e.Detail.EndsWith("left out of the context window", StringComparison.Ordinal));
        Assert.True(context.Detail == "6 oldest messages summarized" || context.Detail.StartsWith("summarizing the oldest messages failed", StringComparison.Ordinal), context.Detail);
        Assert.Equal(context.Detail == "6 oldest messages summarized", session.State.ContainsKey(ContextWindow.SummaryKey));
        Assert.InRange(session.State.TryGetValue(ContextWindow.SummaryKey, out var summary) ? summary.Length : 1, 1, 200);
        Assert.Equal(AgentRunEventKind.RunCompleted, result.Events[^1].Kind);
    }

    public void Dispose() => _model.Dispose();
}
