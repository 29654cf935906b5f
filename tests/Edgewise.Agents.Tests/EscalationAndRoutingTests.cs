using Edgewise.Agents.Routing;
using Microsoft.Extensions.AI;

namespace Edgewise.Agents.Tests;

public sealed class EscalationAndRoutingTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Run_OutputFailsValidation_EscalatesAndTargetAnswers(bool streaming)
    {
        var local = new ScriptedChatClient().ThenText("I don't know");
        var remote = new ScriptedChatClient().ThenText("The answer is 42.");
        var session = new AgentSession();

        var result = await RunHelper.RunAsync(Agent(local, remote, validate: a => !a.Contains("don't know", StringComparison.Ordinal)), "meaning of life?", session, streaming);

        Assert.Equal("The answer is 42.", result.Output);
        Assert.Equal(["user", "assistant"], session.Messages.Select(m => m.Role.Value));
        Assert.Contains(result.Events, e => e.Kind == AgentRunEventKind.Escalation && e.Detail == "escalated to big: the local answer failed validation");
        Assert.Single(remote.Calls);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Run_EscalationTargetOffline_ContinuesLocallyWithEvent(bool streaming)
    {
        var local = new ScriptedChatClient().ThenText("local answer");
        var remote = new ScriptedChatClient().Then((_, _) => throw new HttpRequestException("connection refused"));
        var session = new AgentSession();

        var result = await RunHelper.RunAsync(Agent(local, remote), "question", session, streaming, options: new AgentRunOptions { Escalate = true });

        Assert.Equal("local answer", result.Output);
        Assert.Equal(2, session.Messages.Count);
        Assert.Equal(["escalated to big: requested", "escalation target unreachable; continued locally"],
            result.Events.Where(e => e.Kind == AgentRunEventKind.Escalation).Select(e => e.Detail));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Run_OfflineAfterFailedValidation_KeepsLocalAnswer(bool streaming)
    {
        var local = new ScriptedChatClient().ThenText("unsure");
        var remote = new ScriptedChatClient().Then((_, _) => throw new HttpRequestException("offline"));

        var result = await RunHelper.RunAsync(Agent(local, remote, validate: _ => false), "q", new AgentSession(), streaming);

        Assert.Equal("unsure", result.Output);
        Assert.Equal(AgentFinishReason.Stop, result.FinishReason);
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public async Task Run_PrivateAgentOrSession_NeverEscalates(bool privateAgent, bool privateSession)
    {
        var local = new ScriptedChatClient().ThenText("local only").ThenText("local only");
        var remote = new ScriptedChatClient().ThenText("remote");
        var agent = Agent(local, remote, validate: _ => false, isPrivate: privateAgent);

        foreach (var streaming in new[] { false, true })
        {
            var result = await RunHelper.RunAsync(agent, "patient record?", new AgentSession { IsPrivate = privateSession }, streaming, options: new AgentRunOptions { Escalate = true });
            Assert.Equal("local only", result.Output);
            Assert.Contains(result.Events, e => e.Detail == "escalation skipped: private");
        }

        Assert.Empty(remote.Calls);
    }

    [Fact]
    public async Task Route_ModelChoosesAgentWithConfidence_ConstrainedToNames()
    {
        var client = new ScriptedChatClient().ThenText("{\"agent\": \"billing\", \"confidence\": 0.82}");
        var router = Router(client);

        var decision = await router.RouteAsync("my invoice is wrong", TestContext.Current.CancellationToken);

        Assert.Equal(("billing", 0.82, false), (decision.Agent.Name, decision.Confidence, decision.IsFallback));
        var (messages, options) = Assert.Single(client.Calls);
        Assert.Contains("- network: Fixes Wi-Fi and VPN problems.", messages[0].Text);
        var format = Assert.IsType<ChatResponseFormatJson>(options!.ResponseFormat);
        Assert.Contains("\"enum\":[\"network\",\"billing\"]", format.Schema!.Value.GetRawText());
        Assert.False(decision.ToRunOptions().Escalate);
        Assert.True(decision.ToRunOptions(minConfidence: 0.9).Escalate);
    }

    [Theory]
    [InlineData("{\"agent\": \"payroll\", \"confidence\": 0.9}", "network", 0.0, true)]
    [InlineData("garbage", "network", 0.0, true)]
    [InlineData("I think billing is right", "billing", 0.3, false)]
    [InlineData("{\"agent\": \"Billing\", \"confidence\": \"7\"}", "billing", 1.0, false)]
    [InlineData("{\"agent\": \"billing\"}", "billing", 0.5, false)]
    [InlineData("{\"agent\": \"billing\", \"confidence\": -3}", "billing", 0.0, false)]
    public void Route_UnclearAnswers_ParsedOrFallBack(string answer, string agent, double confidence, bool fallback)
    {
        var decision = Router(new ScriptedChatClient()).Parse(answer);
        Assert.Equal((agent, confidence, fallback), (decision.Agent.Name, decision.Confidence, decision.IsFallback));
    }

    [Theory]
    [InlineData("-0")]
    [InlineData("-0.0")]
    [InlineData("\"-0.00\"")]
    [InlineData("-1e-9")]
    public async Task Route_NegativeZeroConfidence_IsPositiveZeroAndPrintsAsZero(string confidence)
    {
        // Constrained decoding lets a model answer "-0" within the schema's [0, 1]; it must read 0.00, not -0.00.
        var router = Router(new ScriptedChatClient().ThenText("{\"agent\": \"billing\", \"confidence\": " + confidence + "}"));
        var decision = await router.RouteAsync("??", TestContext.Current.CancellationToken);
        Assert.False(double.IsNegative(decision.Confidence));
        Assert.Equal(0.0, decision.Confidence);

        var result = await RunHelper.RunAsync(Agent(new ScriptedChatClient().ThenText("ok"), new ScriptedChatClient().ThenText("escalated")), "??", new AgentSession(), streaming: false, options: decision.ToRunOptions());
        Assert.Contains(result.Events, e => e.Kind == AgentRunEventKind.Routed && e.Detail == "routed with confidence 0.00");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Run_RoutedWithLowConfidence_EscalatesAndRecordsRoute(bool streaming)
    {
        var router = Router(new ScriptedChatClient().ThenText("{\"agent\": \"billing\", \"confidence\": 0.2}"));
        var decision = await router.RouteAsync("??", TestContext.Current.CancellationToken);
        var remote = new ScriptedChatClient().ThenText("escalated answer");
        var agent = Agent(new ScriptedChatClient(), remote);

        var result = await RunHelper.RunAsync(agent, "??", new AgentSession(), streaming, options: decision.ToRunOptions());

        Assert.Equal("escalated answer", result.Output);
        Assert.Contains(result.Events, e => e.Kind == AgentRunEventKind.Routed && e.Detail == "routed with confidence 0.20");
    }

    private static AgentRouter Router(ScriptedChatClient client) => new(client,
    [
        new ChatAgent(new ScriptedChatClient(), new AgentOptions { Name = "network", Description = "Fixes Wi-Fi and VPN problems." }),
        new ChatAgent(new ScriptedChatClient(), new AgentOptions { Name = "billing", Description = "Answers invoice questions." }),
    ]);

    private static ChatAgent Agent(ScriptedChatClient local, ScriptedChatClient remote, Func<string, bool>? validate = null, bool isPrivate = false) =>
        new(local, new AgentOptions
        {
            Name = "helpdesk",
            IsPrivate = isPrivate,
            Escalation = new EscalationOptions(remote, "big") { ValidateOutput = validate },
        });
}
