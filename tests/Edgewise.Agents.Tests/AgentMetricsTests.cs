using Edgewise.Agents.Diagnostics;
using Edgewise.Agents.Guardrails;
using Edgewise.Agents.Tools;

namespace Edgewise.Agents.Tests;

public sealed class AgentMetricsTests
{
    [Fact]
    public async Task Run_EscalationTargetOffline_CountsEscalationAndFallbackAndExplainsInEvents()
    {
        using var metrics = new MetricRecorder();
        var local = new ScriptedChatClient().ThenText("local answer");
        var remote = new ScriptedChatClient().Then((_, _) => throw new HttpRequestException("offline"));
        var agent = new ChatAgent(local, new AgentOptions { Name = "metrics-escalation", Escalation = new EscalationOptions(remote, "big") });

        var result = await agent.RunAsync("q", new AgentSession(), new AgentRunOptions { Escalate = true }, TestContext.Current.CancellationToken);

        Assert.Equal("local answer", result.Output);
        Assert.Equal(1, metrics.Sum(AgentMetrics.EscalationsName, ("agent", "metrics-escalation"), ("reason", "requested")));
        Assert.Equal(1, metrics.Sum(AgentMetrics.EscalationFallbacksName, ("agent", "metrics-escalation")));
        Assert.Equal(["escalated to big: requested", "escalation target unreachable; continued locally"],
            result.Events.Where(e => e.Kind == AgentRunEventKind.Escalation).Select(e => e.Detail));
    }

    [Fact]
    public async Task Run_ValidationFailsAndTargetAnswers_CountsValidationEscalation()
    {
        using var metrics = new MetricRecorder();
        var agent = new ChatAgent(new ScriptedChatClient().ThenText("??"), new AgentOptions
        {
            Name = "metrics-validation",
            Escalation = new EscalationOptions(new ScriptedChatClient().ThenText("42"), "big") { ValidateOutput = _ => false },
        });

        await agent.RunAsync("q", new AgentSession(), cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(1, metrics.Sum(AgentMetrics.EscalationsName, ("agent", "metrics-validation"), ("reason", "validation")));
        Assert.Equal(0, metrics.Sum(AgentMetrics.EscalationFallbacksName, ("agent", "metrics-validation")));
    }

    [Fact]
    public async Task Run_ToolCallAndHallucinatedTool_CountsCallAndDenialWithoutTheInventedName()
    {
        using var metrics = new MetricRecorder();
        var client = new ScriptedChatClient().ThenCall("echo", new { text = "hi" }).ThenCall("delete_all", new { }).ThenText("done");
        var options = new AgentOptions { Name = "metrics-tools" };
        options.Tools.Add(AgentTool.Create((string text) => text, "echo", "Echoes."));

        await new ChatAgent(client, options).RunAsync("go", new AgentSession(), cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(1, metrics.Sum(AgentMetrics.ToolCallsName, ("agent", "metrics-tools"), ("tool", "echo")));
        Assert.Equal(1, metrics.Sum(AgentMetrics.ToolDenialsName, ("agent", "metrics-tools"), ("reason", "policy")));
        Assert.Equal(0, metrics.Sum(AgentMetrics.ToolCallsName, ("tool", "delete_all")));
    }

    [Fact]
    public async Task Run_ApprovalDenied_CountsApprovalDenial()
    {
        using var metrics = new MetricRecorder();
        var client = new ScriptedChatClient().ThenCall("order", new { item = "x" }).ThenText("not ordered");
        var options = new AgentOptions { Name = "metrics-approval" };
        options.Tools.Add(AgentTool.Create((string item) => item, "order", "Orders.", requiresApproval: true));
        var agent = new ChatAgent(client, options);
        var session = new AgentSession();
        var paused = await agent.RunAsync("order x", session, cancellationToken: TestContext.Current.CancellationToken);
        var request = Assert.Single(paused.PendingApprovals);

        await agent.RunAsync(null, session, new AgentRunOptions { Approvals = [new ApprovalDecision(request.CallId, request.ArgumentsHash, false)] }, TestContext.Current.CancellationToken);

        Assert.Equal(1, metrics.Sum(AgentMetrics.ToolDenialsName, ("agent", "metrics-approval"), ("reason", "approval")));
        Assert.Equal(0, metrics.Sum(AgentMetrics.ToolCallsName, ("agent", "metrics-approval")));
    }

    [Fact]
    public async Task Run_GuardrailsOnInputAndOutput_CountedPerStage()
    {
        using var metrics = new MetricRecorder();
        var guardrails = new GuardrailOptions { RedactPii = true };
        var agent = new ChatAgent(new ScriptedChatClient().ThenText("write to bob@example.com"), new AgentOptions { Name = "metrics-guard", Guardrails = guardrails });

        await agent.RunAsync("I am alice@example.org", new AgentSession(), cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(1, metrics.Sum(AgentMetrics.GuardrailInterventionsName, ("agent", "metrics-guard"), ("stage", "input")));
        Assert.Equal(1, metrics.Sum(AgentMetrics.GuardrailInterventionsName, ("agent", "metrics-guard"), ("stage", "output")));
    }
}
