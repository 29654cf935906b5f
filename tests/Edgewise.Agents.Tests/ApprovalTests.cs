using Edgewise.Agents.Storage;
using Edgewise.Agents.Tools;
using Microsoft.Extensions.AI;

namespace Edgewise.Agents.Tests;

public sealed class ApprovalTests
{
    private readonly MemoryAuditLog _audit = new();
    private readonly ManualTimeProvider _clock = new();
    private readonly List<string> _orders = [];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Run_A04_ApprovalRequiredTool_PausesWithRequestInSession(bool streaming)
    {
        var client = OrderScript();
        var session = new AgentSession();

        var result = await RunHelper.RunAsync(Agent(client), "order 3 apples", session, streaming);

        Assert.Equal(AgentFinishReason.ApprovalRequired, result.FinishReason);
        Assert.Empty(_orders);
        var request = Assert.Single(session.PendingApprovals);
        Assert.Equal(("c1", "place_order", "{\"item\":\"apple\",\"quantity\":3}"), (request.CallId, request.ToolName, request.Arguments));
        Assert.Equal(64, request.ArgumentsHash.Length);
        Assert.Equal(_clock.GetUtcNow() + TimeSpan.FromMinutes(15), request.ExpiresAt);
        Assert.Equal(request, Assert.Single(result.PendingApprovals));
        Assert.Equal(ToolCallStatus.AwaitingApproval, result.ToolCalls.Single().Status);
        Assert.Contains(_audit.Records, r => r.Kind == "approval_requested" && r.ArgumentsHash == request.ArgumentsHash);
        Assert.Single(client.Calls);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Approve_A04_MatchingHash_RunsToolAndContinues(bool streaming)
    {
        var client = OrderScript().ThenText("Your order is placed.");
        var agent = Agent(client);
        var session = new AgentSession();
        await RunHelper.RunAsync(agent, "order 3 apples", session, streaming);
        var request = session.PendingApprovals[0];

        var result = await RunHelper.RunAsync(agent, null, session, streaming, [new ApprovalDecision(request.CallId, request.ArgumentsHash, true)]);

        Assert.Equal(["apple x3"], _orders);
        Assert.Equal("Your order is placed.", result.Output);
        Assert.Empty(session.PendingApprovals);
        Assert.Contains(_audit.Records, r => r.Kind == "approval_granted" && r.CallId == "c1");
        var toolMessage = client.Calls[1].Messages.Single(m => m.Role == ChatRole.Tool);
        Assert.Contains("ordered apple x3", (string)toolMessage.Contents.OfType<FunctionResultContent>().Single().Result!);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Approve_A04_ArgumentsTamperedAfterRequest_Refused(bool streaming)
    {
        var client = OrderScript().ThenText("not placed");
        var agent = Agent(client);
        var session = new AgentSession();
        await RunHelper.RunAsync(agent, "order 3 apples", session, streaming);
        var request = session.PendingApprovals[0];
        session.PendingApprovals[0] = request with { Arguments = "{\"item\":\"apple\",\"quantity\":300}" };

        var result = await RunHelper.RunAsync(agent, null, session, streaming, [new ApprovalDecision(request.CallId, request.ArgumentsHash, true)]);

        Assert.Empty(_orders);
        Assert.Contains(result.Events, e => e.Kind == AgentRunEventKind.ApprovalDenied && e.Detail == "approval does not match the call's arguments");
        Assert.Equal(ToolCallStatus.Denied, result.ToolCalls.Single().Status);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Approve_A04_HistoryCallTamperedEvenWithRehashedRequest_Refused(bool streaming)
    {
        var client = OrderScript().ThenText("not placed");
        var agent = Agent(client);
        var session = new AgentSession();
        await RunHelper.RunAsync(agent, "order 3 apples", session, streaming);
        var request = session.PendingApprovals[0];
        var call = session.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Single();
        call.Arguments!["quantity"] = 300;

        await RunHelper.RunAsync(agent, null, session, streaming, [new ApprovalDecision(request.CallId, request.ArgumentsHash, true)]);

        Assert.Empty(_orders);
        Assert.Contains(_audit.Records, r => r.Kind == "approval_denied");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Approve_A04_DecisionForOtherArgumentsHash_Refused(bool streaming)
    {
        var client = OrderScript().ThenText("not placed");
        var agent = Agent(client);
        var session = new AgentSession();
        await RunHelper.RunAsync(agent, "order 3 apples", session, streaming);
        var otherHash = CanonicalJson.ArgumentsHash("place_order", "{\"item\":\"apple\",\"quantity\":300}");

        await RunHelper.RunAsync(agent, null, session, streaming, [new ApprovalDecision("c1", otherHash, true)]);

        Assert.Empty(_orders);
        Assert.Empty(session.PendingApprovals);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Approve_A04_ReplayedAfterUse_NotRunTwice(bool streaming)
    {
        var client = OrderScript().ThenText("placed").ThenText("nothing to do");
        var agent = Agent(client);
        var session = new AgentSession();
        await RunHelper.RunAsync(agent, "order 3 apples", session, streaming);
        var decision = new ApprovalDecision("c1", session.PendingApprovals[0].ArgumentsHash, true);
        await RunHelper.RunAsync(agent, null, session, streaming, [decision]);

        await RunHelper.RunAsync(agent, "thanks", session, streaming, [decision]);

        Assert.Equal(["apple x3"], _orders);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Approve_A04_Timeout_CountsAsDenied(bool streaming)
    {
        var client = OrderScript().ThenText("expired");
        var agent = Agent(client);
        var session = new AgentSession();
        await RunHelper.RunAsync(agent, "order 3 apples", session, streaming);
        var request = session.PendingApprovals[0];
        _clock.Advance(TimeSpan.FromMinutes(16));

        var result = await RunHelper.RunAsync(agent, null, session, streaming, [new ApprovalDecision(request.CallId, request.ArgumentsHash, true)]);

        Assert.Empty(_orders);
        Assert.Contains(result.Events, e => e.Kind == AgentRunEventKind.ApprovalDenied && e.Detail == "approval timed out");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Deny_A04_ToolDoesNotRunAndModelIsTold(bool streaming)
    {
        var client = OrderScript().ThenText("Okay, cancelled.");
        var agent = Agent(client);
        var session = new AgentSession();
        await RunHelper.RunAsync(agent, "order 3 apples", session, streaming);

        var result = await RunHelper.RunAsync(agent, null, session, streaming, [new ApprovalDecision("c1", session.PendingApprovals[0].ArgumentsHash, false)]);

        Assert.Empty(_orders);
        Assert.Equal("Okay, cancelled.", result.Output);
        Assert.Contains("approval_denied", (string)client.Calls[1].Messages.Single(m => m.Role == ChatRole.Tool).Contents.OfType<FunctionResultContent>().Single().Result!);
        Assert.Contains(_audit.Records, r => r.Kind == "approval_denied" && r.Detail == "denied by the user");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Resume_A04_NoDecisionYet_StaysPausedWithoutCallingTheModel(bool streaming)
    {
        var client = OrderScript();
        var agent = Agent(client);
        var session = new AgentSession();
        await RunHelper.RunAsync(agent, "order 3 apples", session, streaming);

        var result = await RunHelper.RunAsync(agent, null, session, streaming, []);

        Assert.Equal(AgentFinishReason.ApprovalRequired, result.FinishReason);
        Assert.Single(client.Calls);
        Assert.Single(session.PendingApprovals);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Approve_A04_AfterJsonRoundTrip_StillBoundAndRuns(bool streaming)
    {
        var client = OrderScript().ThenText("placed");
        var agent = Agent(client);
        var session = new AgentSession();
        await RunHelper.RunAsync(agent, "order 3 apples", session, streaming);

        var restored = AgentSession.FromJson(session.ToJson());
        var result = await RunHelper.RunAsync(agent, null, restored, streaming, [new ApprovalDecision("c1", restored.PendingApprovals[0].ArgumentsHash, true)]);

        Assert.Equal(["apple x3"], _orders);
        Assert.Equal("placed", result.Output);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Run_A04_NewInputWhilePending_DeniesPendingCalls(bool streaming)
    {
        var client = OrderScript().ThenText("ok, something else");
        var agent = Agent(client);
        var session = new AgentSession();
        await RunHelper.RunAsync(agent, "order 3 apples", session, streaming);

        var result = await RunHelper.RunAsync(agent, "never mind", session, streaming);

        Assert.Empty(_orders);
        Assert.Empty(session.PendingApprovals);
        Assert.Contains(result.Events, e => e.Detail == "approval superseded by new input");
        var order = client.Calls[1].Messages.Select(m => m.Role).ToList();
        Assert.Equal([ChatRole.System, ChatRole.User, ChatRole.Assistant, ChatRole.Tool, ChatRole.User], order);
    }

    [Theory]
    [InlineData("../../x")]
    [InlineData("a/b")]
    [InlineData("id with spaces")]
    [InlineData("")]
    public async Task ToolCallIds_NotUrlSafe_ReplacedWithFreshId(string modelId)
    {
        var client = new ScriptedChatClient().ThenCalls(new FunctionCallContent(modelId, "place_order", ScriptedChatClient.ToDictionary(new { quantity = 3, item = "apple" })));
        var session = new AgentSession();

        await RunHelper.RunAsync(Agent(client), "order 3 apples", session, streaming: false);

        var request = Assert.Single(session.PendingApprovals);
        Assert.NotEqual(modelId, request.CallId);
        Assert.True(ToolCallIds.IsSafe(request.CallId), request.CallId);
        Assert.Equal(request.CallId, session.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Single().CallId);
    }

    [Fact]
    public async Task ToolCallIds_DuplicatedInATurn_EachCallGetsItsOwnIdAndApprovalAnswersOne()
    {
        var arguments = new { quantity = 3, item = "apple" };
        var client = new ScriptedChatClient().ThenCalls(
            new FunctionCallContent("dup", "place_order", ScriptedChatClient.ToDictionary(arguments)),
            new FunctionCallContent("dup", "place_order", ScriptedChatClient.ToDictionary(arguments))).ThenText("one placed");
        var agent = Agent(client);
        var session = new AgentSession();

        await RunHelper.RunAsync(agent, "order 3 apples twice", session, streaming: false);

        Assert.Equal(2, session.PendingApprovals.Count);
        Assert.Equal(2, session.PendingApprovals.Select(r => r.CallId).Distinct().Count());
        Assert.Equal(session.PendingApprovals.Select(r => r.CallId), session.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Select(c => c.CallId));
        var first = session.PendingApprovals[0];

        var result = await RunHelper.RunAsync(agent, null, session, streaming: false, [new ApprovalDecision(first.CallId, first.ArgumentsHash, true)]);

        Assert.Equal(["apple x3"], _orders);
        Assert.Single(result.ToolCalls, c => c.Status == ToolCallStatus.Completed);
    }

    private ScriptedChatClient OrderScript() =>
        new ScriptedChatClient().ThenCall("place_order", new { quantity = 3, item = "apple" }, "c1");

    private ChatAgent Agent(ScriptedChatClient client)
    {
        var options = new AgentOptions { Name = "kiosk", AuditLog = _audit, TimeProvider = _clock };
        options.Tools.Add(AgentTool.Create((string item, int quantity) =>
        {
            _orders.Add($"{item} x{quantity}");
            return $"ordered {item} x{quantity}";
        }, "place_order", "Places an order.", requiresApproval: true));
        return new ChatAgent(client, options);
    }
}
