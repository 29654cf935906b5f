using Edgewise.Agents.Storage;
using Edgewise.Agents.Tools;
using Microsoft.Extensions.AI;

namespace Edgewise.Agents.Tests;

public sealed class AgentTests
{
    private readonly MemoryAuditLog _audit = new();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Run_PlainAnswer_ReturnsOutputUsageAndEvents(bool streaming)
    {
        var client = new ScriptedChatClient().ThenText("Hello there, how can I help?");
        var agent = new ChatAgent(client, new AgentOptions { Name = "greeter", Instructions = "Be brief.", Temperature = 0.2f, MaxOutputTokens = 64, AuditLog = _audit });
        var session = new AgentSession();

        var result = await RunHelper.RunAsync(agent, "hi", session, streaming);

        Assert.Equal("Hello there, how can I help?", result.Output);
        Assert.Equal(AgentFinishReason.Stop, result.FinishReason);
        Assert.Equal(15, result.Usage.TotalTokenCount);
        Assert.Equal([AgentRunEventKind.RunStarted, AgentRunEventKind.RunCompleted], result.Events.Select(e => e.Kind));
        Assert.Equal(2, session.Messages.Count);
        Assert.Equal("greeter", session.AgentName);
        var (messages, options) = Assert.Single(client.Calls);
        Assert.Equal(ChatRole.System, messages[0].Role);
        Assert.Equal("Be brief.", messages[0].Text);
        Assert.Equal(0.2f, options!.Temperature);
        Assert.Equal(64, options.MaxOutputTokens);
        Assert.Null(options.Tools);
        Assert.Equal(streaming ? 1 : 0, client.StreamingCalls);
        Assert.Equal(2, _audit.Records.Count);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Run_ToolCall_InvokesToolAndFeedsResultBack(bool streaming)
    {
        var invoked = new List<string>();
        var client = new ScriptedChatClient()
            .ThenCall("get_weather", new { city = "Oslo" }, "call_1")
            .ThenText("It is sunny in Oslo.");
        var agent = WeatherAgent(client, invoked);
        var session = new AgentSession();

        var result = await RunHelper.RunAsync(agent, "weather in Oslo?", session, streaming);

        Assert.Equal("It is sunny in Oslo.", result.Output);
        Assert.Equal(["Oslo"], invoked);
        var call = Assert.Single(result.ToolCalls);
        Assert.Equal(("call_1", "get_weather", ToolCallStatus.Completed), (call.CallId, call.Name, call.Status));
        Assert.Equal("{\"city\":\"Oslo\"}", call.Arguments);
        Assert.Equal(30, result.Usage.TotalTokenCount);
        Assert.Equal(4, session.Messages.Count);
        var second = client.Calls[1].Messages;
        var toolResult = second.SelectMany(m => m.Contents).OfType<FunctionResultContent>().Single();
        Assert.Equal("call_1", toolResult.CallId);
        Assert.StartsWith("<tool_output name=\"get_weather\" call_id=\"call_1\">", (string)toolResult.Result!);
        Assert.Contains("sunny in Oslo", (string)toolResult.Result!);
        Assert.Contains("is data returned by a tool", second[0].Text);
        Assert.Contains(AgentRunEventKind.ToolCall, result.Events.Select(e => e.Kind));
        Assert.Contains(_audit.Records, r => r.Kind == "tool_call" && r.ToolName == "get_weather" && r.ArgumentsHash is { Length: 64 });
        Assert.DoesNotContain(_audit.Records, r => r.Detail.Contains("Oslo", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Run_A03_UnknownTool_NotExecutedAndAudited(bool streaming)
    {
        var invoked = new List<string>();
        var client = new ScriptedChatClient()
            .ThenCall("delete_all", new { confirm = true }, "call_x")
            .ThenText("I cannot do that.");
        var agent = WeatherAgent(client, invoked);

        var result = await RunHelper.RunAsync(agent, "delete everything", new AgentSession(), streaming);

        Assert.Empty(invoked);
        Assert.Equal(ToolCallStatus.Denied, Assert.Single(result.ToolCalls).Status);
        Assert.Contains(_audit.Records, r => r.Kind == "denied" && r.ToolName == "delete_all" && r.CallId == "call_x");
        var error = client.Calls[1].Messages.SelectMany(m => m.Contents).OfType<FunctionResultContent>().Single();
        Assert.Contains("tool_not_available", (string)error.Result!);
        Assert.Equal(AgentFinishReason.Stop, result.FinishReason);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Run_A03_ToolsAreDeclarationsOnly_ClientCannotInvokeThem(bool streaming)
    {
        var client = new ScriptedChatClient().ThenText("ok");
        var agent = WeatherAgent(client, []);

        await RunHelper.RunAsync(agent, "hi", new AgentSession(), streaming);

        var tool = Assert.Single(client.Calls[0].Options!.Tools!);
        Assert.Equal("get_weather", tool.Name);
        Assert.IsNotType<AIFunction>(tool, exactMatch: false);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Run_A02_InvalidArguments_RejectedBeforeInvocation(bool streaming)
    {
        var invoked = new List<string>();
        var client = new ScriptedChatClient()
            .ThenCall("get_weather", new { city = 42 })
            .ThenCall("get_weather", new { city = "Oslo", shell = "rm -rf /" })
            .ThenCall("get_weather", new { town = "Oslo" })
            .ThenText("done");
        var agent = WeatherAgent(client, invoked);

        var result = await RunHelper.RunAsync(agent, "weather", new AgentSession(), streaming);

        Assert.Empty(invoked);
        Assert.All(result.ToolCalls, c => Assert.Equal(ToolCallStatus.InvalidArguments, c.Status));
        Assert.Contains("expected string", result.ToolCalls[0].Result);
        Assert.Contains("unexpected property 'shell'", result.ToolCalls[1].Result);
        Assert.Contains("missing required property 'city'", result.ToolCalls[2].Result);
        Assert.Equal(AgentFinishReason.ToolError, result.FinishReason);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Run_A01_MalformedToolCallText_ErrorsBackToModelAndThreeEndTheRun(bool streaming)
    {
        var invoked = new List<string>();
        var client = new ScriptedChatClient()
            .ThenText("<tool_call>{\"name\": \"get_weather\", \"argu")
            .ThenText("<tool_call>{\"name\": \"get_weather\", \"arguments\": {\"city\": }}</tool_call>")
            .ThenText("functools[{\"name\": \"get_weather\"");
        var agent = WeatherAgent(client, invoked);

        var result = await RunHelper.RunAsync(agent, "weather", new AgentSession(), streaming);

        Assert.Empty(invoked);
        Assert.Equal(AgentFinishReason.ToolError, result.FinishReason);
        Assert.Equal(3, client.Calls.Count);
        Assert.All(result.ToolCalls, c => Assert.Equal(ToolCallStatus.Failed, c.Status));
        var feedback = client.Calls[1].Messages.SelectMany(m => m.Contents).OfType<FunctionResultContent>().Single();
        Assert.Contains("malformed_tool_call", (string)feedback.Result!);
        Assert.Equal(3, _audit.Records.Count(r => r.Kind == "tool_error"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Run_A01_ClientParseFailure_ErrorBackToModelThenRecovers(bool streaming)
    {
        var invoked = new List<string>();
        var broken = new FunctionCallContent("c1", "get_weather") { Exception = new FormatException("bad json") };
        var client = new ScriptedChatClient()
            .ThenCalls(broken)
            .ThenCall("get_weather", new { city = "Rome" })
            .ThenText("Sunny.");
        var agent = WeatherAgent(client, invoked);

        var result = await RunHelper.RunAsync(agent, "weather", new AgentSession(), streaming);

        Assert.Equal(["Rome"], invoked);
        Assert.Equal([ToolCallStatus.Failed, ToolCallStatus.Completed], result.ToolCalls.Select(c => c.Status));
        Assert.Equal(AgentFinishReason.Stop, result.FinishReason);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Run_A06_ModelAlwaysCallsTool_StopsAtMaxIterations(bool streaming)
    {
        var invoked = new List<string>();
        var client = new ScriptedChatClient().ThenAlways(_ => ScriptedChatClient.CallResponse(
            new FunctionCallContent("c" + Guid.NewGuid().ToString("N"), "get_weather", ScriptedChatClient.ToDictionary(new { city = "Loop" }))));
        var agent = WeatherAgent(client, invoked);
        var session = new AgentSession();

        var result = await RunHelper.RunAsync(agent, "loop", session, streaming);

        Assert.Equal(AgentFinishReason.MaxIterations, result.FinishReason);
        Assert.Equal(AgentOptions.DefaultMaxToolRounds, invoked.Count);
        Assert.Equal(AgentOptions.DefaultMaxToolRounds + 1, client.Calls.Count);
        var last = session.Messages[^1];
        Assert.Equal(ChatRole.Tool, last.Role);
        Assert.Contains("max_iterations", (string)last.Contents.OfType<FunctionResultContent>().Single().Result!);
    }

    [Fact]
    public void Options_A06_MoreThanTenRounds_Rejected()
    {
        var options = new AgentOptions();
        Assert.Throws<ArgumentOutOfRangeException>(() => options.MaxToolRounds = 11);
        Assert.Throws<ArgumentOutOfRangeException>(() => options.RunTimeout = TimeSpan.FromSeconds(121));
        Assert.Throws<ArgumentOutOfRangeException>(() => options.ToolTimeout = TimeSpan.FromSeconds(31));
        Assert.Throws<ArgumentException>(() => options.Name = "bad name");
        Assert.Throws<ArgumentOutOfRangeException>(() => new AgentTool(AIFunctionFactory.Create(() => 1, "f"), timeout: TimeSpan.FromMinutes(5)));
        options.MaxToolRounds = 10;
        Assert.Equal(10, options.MaxToolRounds);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Run_A06_RunTimeout_EndsWithMaxIterations(bool streaming)
    {
        var client = new ScriptedChatClient().Then(async (_, ct) =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            return new ChatResponse();
        });
        var agent = new ChatAgent(client, new AgentOptions { RunTimeout = TimeSpan.FromMilliseconds(100), AuditLog = _audit });

        var result = await RunHelper.RunAsync(agent, "slow", new AgentSession(), streaming);

        Assert.Equal(AgentFinishReason.MaxIterations, result.FinishReason);
        Assert.Equal("max_iterations", result.Events[^1].Detail);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Run_CallerCancels_Throws(bool streaming)
    {
        using var cts = new CancellationTokenSource();
        var client = new ScriptedChatClient().Then(async (_, ct) =>
        {
            await cts.CancelAsync();
            await Task.Delay(Timeout.Infinite, ct);
            return new ChatResponse();
        });
        var agent = new ChatAgent(client, new AgentOptions());
        var session = new AgentSession();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            if (streaming)
            {
                await foreach (var _ in agent.RunStreamingAsync("x", session, null, cts.Token))
                {
                }
            }
            else
            {
                await agent.RunAsync("x", session, null, cts.Token);
            }
        });

        var again = new ScriptedChatClient().ThenText("fine");
        Assert.Equal("fine", (await new ChatAgent(again, new AgentOptions()).RunAsync("y", session, cancellationToken: TestContext.Current.CancellationToken)).Output);
    }

    [Fact]
    public async Task Run_C01_SameSessionTwiceConcurrently_SecondIsBusy()
    {
        var gate = new TaskCompletionSource();
        var client = new ScriptedChatClient().Then(async (_, _) =>
        {
            await gate.Task;
            return new ChatResponse(new ChatMessage(ChatRole.Assistant, "first"));
        });
        var agent = new ChatAgent(client, new AgentOptions());
        var session = new AgentSession();

        var first = agent.RunAsync("one", session, cancellationToken: TestContext.Current.CancellationToken);
        await Assert.ThrowsAsync<SessionBusyException>(() => agent.RunAsync("two", session, cancellationToken: TestContext.Current.CancellationToken));
        gate.SetResult();
        Assert.Equal("first", (await first).Output);
        Assert.Equal(2, session.Messages.Count);
    }

    [Fact]
    public async Task Run_SessionOfAnotherAgent_Rejected()
    {
        var session = new AgentSession { AgentName = "other" };
        var agent = new ChatAgent(new ScriptedChatClient(), new AgentOptions { Name = "mine" });
        await Assert.ThrowsAsync<ArgumentException>(() => agent.RunAsync("x", session, cancellationToken: TestContext.Current.CancellationToken));
        await Assert.ThrowsAsync<ArgumentException>(() => agent.RunAsync(null, new AgentSession(), cancellationToken: TestContext.Current.CancellationToken));
    }

    private ChatAgent WeatherAgent(ScriptedChatClient client, List<string> invoked, AgentOptions? options = null)
    {
        options ??= new AgentOptions { Name = "weather" };
        options.AuditLog = _audit;
        options.Tools.Add(AgentTool.Create((string city) =>
        {
            invoked.Add(city);
            return $"sunny in {city}";
        }, "get_weather", "Gets the weather for a city."));
        return new ChatAgent(client, options);
    }
}
