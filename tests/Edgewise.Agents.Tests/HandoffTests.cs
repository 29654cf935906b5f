using Edgewise.Agents.Diagnostics;
using Edgewise.Agents.Storage;
using Microsoft.Extensions.AI;

namespace Edgewise.Agents.Tests;

public sealed class HandoffTests
{
    private readonly MemoryAuditLog _audit = new();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Run_HandoffCall_TargetContinuesTheRunAndOwnsTheSession(bool streaming)
    {
        using var metrics = new MetricRecorder();
        var suffix = streaming ? "s" : "n";
        var triageClient = new ScriptedChatClient().ThenCall(ChatAgent.HandoffToolName("billing-" + suffix), new { reason = "refund" });
        var billingClient = new ScriptedChatClient().ThenText("Your refund is on its way.");
        var (triage, _) = Pair(triageClient, billingClient, "triage-" + suffix, "billing-" + suffix);
        var session = new AgentSession();

        var result = await RunHelper.RunAsync(triage, "I want my money back", session, streaming);

        Assert.Equal("Your refund is on its way.", result.Output);
        Assert.Equal(AgentFinishReason.Stop, result.FinishReason);
        Assert.Equal("billing-" + suffix, result.AgentName);
        Assert.Equal("billing-" + suffix, session.AgentName);
        Assert.Contains(result.Events, e => e.Kind == AgentRunEventKind.Handoff && e.Detail == "handed off to billing-" + suffix);
        Assert.Contains(_audit.Records, r => r.Kind == "handoff" && r.AgentName == "triage-" + suffix && r.SessionId == session.Id);
        Assert.Contains(triageClient.Calls[0].Options!.Tools!, t => t.Name == "handoff_to_billing_" + suffix);
        Assert.Contains(billingClient.Calls[0].Messages, m => m.Role == ChatRole.User && m.Text == "I want my money back");
        Assert.Equal(["user", "assistant", "tool", "assistant"], session.Messages.Select(m => m.Role.Value));
        Assert.Equal(1, metrics.Sum(AgentMetrics.HandoffsName, ("agent", "triage-" + suffix), ("target", "billing-" + suffix)));
    }

    [Fact]
    public async Task Run_NextTurnThroughTheEntryAgent_ContinuesWithTheTarget()
    {
        var triageClient = new ScriptedChatClient().ThenCall(ChatAgent.HandoffToolName("billing"), new { });
        var billingClient = new ScriptedChatClient().ThenText("first").ThenText("second");
        var (triage, _) = Pair(triageClient, billingClient, "triage", "billing");
        var session = new AgentSession();
        await triage.RunAsync("hello", session, cancellationToken: TestContext.Current.CancellationToken);

        var next = await triage.RunAsync("and then?", session, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal("second", next.Output);
        Assert.Equal("billing", next.AgentName);
        Assert.Single(triageClient.Calls);
    }

    [Fact]
    public async Task Run_AgentsHandOffForever_LoopBoundedByMaxHandoffs()
    {
        var aClient = new ScriptedChatClient().ThenAlways(_ => ScriptedChatClient.CallResponse(new FunctionCallContent(ToolCallId(), ChatAgent.HandoffToolName("b"))));
        var bClient = new ScriptedChatClient().ThenAlways(_ => ScriptedChatClient.CallResponse(new FunctionCallContent(ToolCallId(), ChatAgent.HandoffToolName("a"))));
        var (a, _) = Pair(aClient, bClient, "a", "b", back: true);

        var result = await a.RunAsync("ping", new AgentSession(), cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(AgentOptions.MaxHandoffsPerRun, result.Events.Count(e => e.Kind == AgentRunEventKind.Handoff));
        Assert.Equal(AgentFinishReason.ToolError, result.FinishReason);
        Assert.Contains(result.Events, e => e.Kind == AgentRunEventKind.Denied);
        Assert.DoesNotContain(bClient.Calls[^1].Options?.Tools ?? [], t => t.Name.StartsWith("handoff_to_", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_HandoffToPrivateAgent_SessionBecomesPrivate()
    {
        var (triage, target) = Pair(new ScriptedChatClient().ThenCall(ChatAgent.HandoffToolName("clinic"), new { }), new ScriptedChatClient().ThenText("ok"), "front", "clinic");
        target.Options.IsPrivate = true;
        var session = new AgentSession();

        await triage.RunAsync("my test results", session, cancellationToken: TestContext.Current.CancellationToken);

        Assert.True(session.IsPrivate);
    }

    [Fact]
    public async Task Run_TwoHandoffsInOneTurn_OnlyTheFirstHappensAndEveryCallGetsAResult()
    {
        var client = new ScriptedChatClient().ThenCalls(
            new FunctionCallContent("h1", ChatAgent.HandoffToolName("x")),
            new FunctionCallContent("h2", ChatAgent.HandoffToolName("x")));
        var (front, _) = Pair(client, new ScriptedChatClient().ThenText("x here"), "front", "x");
        var session = new AgentSession();

        var result = await front.RunAsync("hi", session, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal("x here", result.Output);
        Assert.Single(result.Events, e => e.Kind == AgentRunEventKind.Handoff);
        var results = session.Messages.Single(m => m.Role == ChatRole.Tool).Contents.OfType<FunctionResultContent>().Select(r => r.CallId);
        Assert.Equal(["h1", "h2"], results);
    }

    [Fact]
    public async Task Run_SessionOfAnUnrelatedAgent_Refused()
    {
        var (a, _) = Pair(new ScriptedChatClient(), new ScriptedChatClient(), "a", "b");
        var session = new AgentSession { AgentName = "stranger" };

        await Assert.ThrowsAsync<ArgumentException>(() => a.RunAsync("hi", session, cancellationToken: TestContext.Current.CancellationToken));
    }

    private static string ToolCallId() => "call_" + Guid.NewGuid().ToString("N")[..8];

    private (ChatAgent From, ChatAgent To) Pair(ScriptedChatClient fromClient, ScriptedChatClient toClient, string from, string to, bool back = false)
    {
        var source = new ChatAgent(fromClient, new AgentOptions { Name = from, Description = "Front desk.", AuditLog = _audit });
        var target = new ChatAgent(toClient, new AgentOptions { Name = to, Description = "Specialist.", AuditLog = _audit });
        source.Options.Handoffs.Add(target);
        if (back)
        {
            target.Options.Handoffs.Add(source);
        }

        return (source, target);
    }
}
