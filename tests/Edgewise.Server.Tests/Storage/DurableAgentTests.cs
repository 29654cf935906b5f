using System.Runtime.CompilerServices;
using Edgewise.Agents;
using Edgewise.Agents.Tools;
using Edgewise.Server.Storage;
using Microsoft.Extensions.AI;

namespace Edgewise.Server.Tests.Storage;

/// <summary>An agent whose session and audit live in SQLite, across a "restart" (the database closed and reopened).</summary>
public sealed class DurableAgentTests : IDisposable
{
    private readonly TempDatabase _temp = new();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Run_A04_ApprovalSurvivesRestartAndAuditChainVerifies(bool streaming)
    {
        var orders = new List<int>();
        string sessionId;
        await using (var database = await _temp.OpenAsync())
        {
            var session = new AgentSession();
            sessionId = session.Id;
            var agent = Agent(new TwoTurnClient(), new SqliteAuditLog(database), orders);
            var paused = await RunAsync(agent, "order 2", session, null, streaming);
            Assert.Equal(AgentFinishReason.ApprovalRequired, paused.FinishReason);
            await new SqliteSessionStore(database).SaveAsync(session, TestContext.Current.CancellationToken);
        }

        await using (var database = await _temp.OpenAsync())
        {
            var store = new SqliteSessionStore(database);
            var session = (await store.GetAsync(sessionId, TestContext.Current.CancellationToken))!;
            var request = Assert.Single(session.PendingApprovals);
            var agent = Agent(new TwoTurnClient(), new SqliteAuditLog(database), orders);

            var done = await RunAsync(agent, null, session, new AgentRunOptions { Approvals = [new ApprovalDecision(request.CallId, request.ArgumentsHash, true)] }, streaming);
            await store.SaveAsync(session, TestContext.Current.CancellationToken);

            Assert.Equal("ordered", done.Output);
            Assert.Equal([2], orders);
            var reloaded = (await store.GetAsync(sessionId, TestContext.Current.CancellationToken))!;
            Assert.Empty(reloaded.PendingApprovals);
            Assert.Equal(["user", "assistant", "tool", "assistant"], reloaded.Messages.Select(m => m.Role.Value));
            var audit = new SqliteAuditLog(database);
            Assert.True((await audit.VerifyAsync(TestContext.Current.CancellationToken)).IsValid);
            var kinds = (await audit.GetAsync(sessionId, cancellationToken: TestContext.Current.CancellationToken)).Select(r => r.Kind).ToList();
            Assert.Contains("approval_requested", kinds);
            Assert.Contains("approval_granted", kinds);
            Assert.Contains("tool_call", kinds);
        }
    }

    private static async Task<AgentRunResult> RunAsync(Agent agent, string? input, AgentSession session, AgentRunOptions? options, bool streaming)
    {
        if (!streaming)
        {
            return await agent.RunAsync(input, session, options, TestContext.Current.CancellationToken);
        }

        AgentRunResult? result = null;
        await foreach (var update in agent.RunStreamingAsync(input, session, options, TestContext.Current.CancellationToken))
        {
            result = update.Result ?? result;
        }

        return result!;
    }

    private static ChatAgent Agent(IChatClient client, SqliteAuditLog audit, List<int> orders)
    {
        var options = new AgentOptions { Name = "kiosk", AuditLog = audit };
        options.Tools.Add(AgentTool.Create((int quantity) => { orders.Add(quantity); return "ok"; }, "place_order", "Places an order.", requiresApproval: true));
        return new ChatAgent(client, options);
    }

    /// <summary>Asks for the tool when the conversation has no tool result yet, otherwise answers.</summary>
    private sealed class TwoTurnClient : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(Answer(messages));

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            foreach (var update in Answer(messages).ToChatResponseUpdates())
            {
                yield return update;
            }
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }

        private static ChatResponse Answer(IEnumerable<ChatMessage> messages) =>
            messages.Any(m => m.Role == ChatRole.Tool)
                ? new ChatResponse(new ChatMessage(ChatRole.Assistant, "ordered"))
                : new ChatResponse(new ChatMessage(ChatRole.Assistant, [new FunctionCallContent("c1", "place_order", new Dictionary<string, object?> { ["quantity"] = 2 })]));
    }

    public void Dispose() => _temp.Dispose();
}
