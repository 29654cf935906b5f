using Edgewise.Agents.Storage;
using Edgewise.Agents.Tools;
using Edgewise.Inference;
using Edgewise.Inference.Model;
using Edgewise.Testing;
using Microsoft.Extensions.AI;

namespace Edgewise.Agents.Tests;

/// <summary>
/// <see cref="AgentOptions.ToolChoice"/>: the model's reply to each user input is bound to the configured choice, and
/// the replies after a tool round are free again.
/// </summary>
public sealed class ToolChoiceTests : IDisposable
{
    private readonly List<int> _waits = [];
    private LocalModel? _model;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Run_ToolChoiceNamed_ForcesTheFirstReplyOfEachInputOnly(bool streaming)
    {
        var client = new ScriptedChatClient()
            .ThenCall("wait", new { milliseconds = 5 })
            .ThenText("Done.")
            .ThenText("Hello again.");
        var agent = new ChatAgent(client, Options(ChatToolMode.RequireSpecific("wait"), approval: false));
        var session = new AgentSession();

        await RunHelper.RunAsync(agent, "wait a little", session, streaming);
        await RunHelper.RunAsync(agent, "and now?", session, streaming);

        Assert.Equal([5], _waits);
        Assert.Equal(3, client.Calls.Count);
        Assert.Equal("wait", Assert.IsType<RequiredChatToolMode>(client.Calls[0].Options!.ToolMode).RequiredFunctionName);
        Assert.IsType<AutoChatToolMode>(client.Calls[1].Options!.ToolMode);
        Assert.Equal("wait", Assert.IsType<RequiredChatToolMode>(client.Calls[2].Options!.ToolMode).RequiredFunctionName);
    }

    [Fact]
    public async Task Run_ToolChoiceRequired_ResumeAfterApprovalIsNotForcedAgain()
    {
        var client = new ScriptedChatClient()
            .ThenCall("wait", new { milliseconds = 7 })
            .ThenText("Waited.");
        var agent = new ChatAgent(client, Options(ChatToolMode.RequireAny, approval: true));
        var session = new AgentSession();

        var paused = await RunHelper.RunAsync(agent, "wait", session, streaming: false);
        var request = Assert.Single(session.PendingApprovals);
        var resumed = await RunHelper.RunAsync(agent, null, session, streaming: false, [new ApprovalDecision(request.CallId, request.ArgumentsHash, true)]);

        Assert.Equal(AgentFinishReason.ApprovalRequired, paused.FinishReason);
        Assert.Equal(AgentFinishReason.Stop, resumed.FinishReason);
        Assert.Equal([7], _waits);
        Assert.IsType<RequiredChatToolMode>(client.Calls[0].Options!.ToolMode);
        Assert.Null(((RequiredChatToolMode)client.Calls[0].Options!.ToolMode!).RequiredFunctionName);
        Assert.IsType<AutoChatToolMode>(client.Calls[1].Options!.ToolMode);
    }

    [Fact]
    public void Options_ToolChoiceNone_Rejected()
    {
        var options = new AgentOptions();

        Assert.Throws<ArgumentException>(() => options.ToolChoice = ChatToolMode.None);
        options.ToolChoice = ChatToolMode.Auto;
        Assert.IsType<AutoChatToolMode>(options.ToolChoice);
    }

    /// <summary>
    /// The embedded engine on a random-weight reference model: the forced reply is a schema-valid call of the named
    /// tool (constrained decoding), which pauses for approval; approving runs it once.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Run_ToolChoiceNamedOnTheEmbeddedEngine_CallsTheToolAndAsksForApproval(bool streaming)
    {
        _model ??= LocalModel.Load(SharedPaths.ReferenceFile("models", "ref-phi4-Q8_0.gguf"));
        using var client = new LocalChatClient(_model);
        var audit = new MemoryAuditLog();
        var options = Options(ChatToolMode.RequireSpecific("wait"), approval: true);
        options.AuditLog = audit;
        options.MaxOutputTokens = 64;
        options.Temperature = 0;
        var agent = new ChatAgent(client, options);
        var session = new AgentSession();

        var paused = await RunHelper.RunAsync(agent, "Please wait.", session, streaming);

        Assert.Equal(AgentFinishReason.ApprovalRequired, paused.FinishReason);
        var request = Assert.Single(session.PendingApprovals);
        Assert.Equal("wait", request.ToolName);
        Assert.StartsWith("{\"milliseconds\":", request.Arguments, StringComparison.Ordinal);
        Assert.Empty(_waits);
        Assert.Single(audit.Records, r => r.Kind == "approval_requested" && r.CallId == request.CallId);

        var resumed = await RunHelper.RunAsync(agent, null, session, streaming, [new ApprovalDecision(request.CallId, request.ArgumentsHash, true)]);

        Assert.Single(audit.Records, r => r.Kind == "approval_granted" && r.CallId == request.CallId);
        Assert.Single(_waits);
        Assert.NotEqual(AgentFinishReason.MaxIterations, resumed.FinishReason);
    }

    public void Dispose() => _model?.Dispose();

    private AgentOptions Options(ChatToolMode choice, bool approval)
    {
        var options = new AgentOptions { Name = "waiter", ToolChoice = choice, MaxToolRounds = 2 };
        options.Tools.Add(AgentTool.Create((long milliseconds) =>
        {
            lock (_waits)
            {
                _waits.Add((int)Math.Clamp(milliseconds, int.MinValue, int.MaxValue));
            }

            return "waited";
        }, "wait", "Waits for a number of milliseconds.", requiresApproval: approval));
        return options;
    }
}

/// <summary>A pending approval already decided by a run that died before saving the session (<see cref="AgentRunOptions.InterruptedApprovals"/>).</summary>
public sealed class InterruptedApprovalTests
{
    [Theory]
    [InlineData("next input")]
    [InlineData(null)]
    public async Task Run_A04_InterruptedApproval_ClosedWithoutASecondDecisionOrRun(string? input)
    {
        var ran = 0;
        var audit = new MemoryAuditLog();
        var client = new ScriptedChatClient()
            .ThenCall("wait", new { milliseconds = 1 })
            .ThenText("Noted.");
        var options = new AgentOptions { Name = "waiter", AuditLog = audit };
        options.Tools.Add(AgentTool.Create((long milliseconds) => ++ran, "wait", "Waits.", requiresApproval: true));
        var agent = new ChatAgent(client, options);
        var session = new AgentSession();
        await RunHelper.RunAsync(agent, "wait", session, streaming: false);
        var request = Assert.Single(session.PendingApprovals);

        var result = await RunHelper.RunAsync(agent, input, session, streaming: false, options: new AgentRunOptions { InterruptedApprovals = [request.CallId] });

        Assert.Empty(session.PendingApprovals);
        Assert.Equal(0, ran);
        Assert.DoesNotContain(audit.Records, r => r.CallId == request.CallId && r.Kind is "approval_granted" or "approval_denied");
        Assert.Single(audit.Records, r => r.CallId == request.CallId && r.Kind == "tool_error" && r.Detail == "approval decided in an interrupted run");
        Assert.Equal(ToolCallStatus.Failed, result.ToolCalls.Single(c => c.CallId == request.CallId).Status);
        var toolMessage = client.Calls[1].Messages.Single(m => m.Role == ChatRole.Tool);
        Assert.Contains("approval_interrupted", (string)toolMessage.Contents.OfType<FunctionResultContent>().Single().Result!, StringComparison.Ordinal);
    }
}
