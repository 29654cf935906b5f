using Edgewise.Agents.Orchestration;
using Microsoft.Extensions.AI;

namespace Edgewise.Agents.Tests.Orchestration;

public sealed class OrchestrationTests
{
    [Fact]
    public async Task Sequential_ThreeAgents_EachAnswersThePreviousOutput()
    {
        var draft = new ScriptedChatClient().ThenText("draft");
        var edit = new ScriptedChatClient().ThenText("edited draft");
        var translate = new ScriptedChatClient().ThenText("utkast");
        var pipeline = new SequentialOrchestration([Agent("writer", draft), Agent("editor", edit), Agent("translator", translate)]);

        var result = await pipeline.RunAsync("write a note", TestContext.Current.CancellationToken);

        Assert.Equal("utkast", result.Output);
        Assert.True(result.Succeeded);
        Assert.Equal("write a note", draft.Calls[0].Messages[^1].Text);
        Assert.Equal("draft", edit.Calls[0].Messages[^1].Text);
        Assert.Equal("edited draft", translate.Calls[0].Messages[^1].Text);
        Assert.Equal(["writer", "editor", "translator"], result.Steps.Select(s => s.AgentName));
        var kinds = result.Events.Where(e => e.AgentName == "editor").Select(e => e.Event.Kind.Value);
        Assert.Equal(["step_started", "run_started", "run_completed", "step_completed"], kinds);
    }

    [Fact]
    public async Task Sequential_MiddleStepFails_RestSkippedAndLastAnswerKept()
    {
        var broken = new ScriptedChatClient().Then((_, _) => throw new HttpRequestException("down"));
        var never = new ScriptedChatClient();
        var pipeline = new SequentialOrchestration([Agent("a", new ScriptedChatClient().ThenText("first")), Agent("b", broken), Agent("c", never)]);

        var result = await pipeline.RunAsync("go", TestContext.Current.CancellationToken);

        Assert.Equal("first", result.Output);
        Assert.False(result.Succeeded);
        Assert.Equal([OrchestrationStepStatus.Completed, OrchestrationStepStatus.Failed, OrchestrationStepStatus.Skipped], result.Steps.Select(s => s.Status));
        Assert.Contains(result.Events, e => e.AgentName == "b" && e.Event.Detail == "step failed (HttpRequestException)");
        Assert.Contains(result.Events, e => e.AgentName == "c" && e.Event.Kind == OrchestrationEventKinds.StepSkipped);
        Assert.Empty(never.Calls);
    }

    [Fact]
    public async Task Concurrent_FourAgentsTwoAtATime_BoundedAndMergedInAgentOrder()
    {
        var gate = new ConcurrencyGate(expected: 2);
        var agents = Enumerable.Range(0, 4).Select(i => Agent("expert" + i, new ScriptedChatClient().Then(async (_, ct) =>
        {
            await gate.EnterAsync(ct);
            try
            {
                return new ChatResponse(new ChatMessage(ChatRole.Assistant, "answer " + i));
            }
            finally
            {
                gate.Exit();
            }
        }))).ToList();
        var fanOut = new ConcurrentOrchestration(agents, maxParallelism: 2);

        var result = await fanOut.RunAsync("question", TestContext.Current.CancellationToken);

        Assert.Equal(2, gate.Peak);
        Assert.Equal("[expert0]\nanswer 0\n\n[expert1]\nanswer 1\n\n[expert2]\nanswer 2\n\n[expert3]\nanswer 3", result.Output);
        Assert.Equal(4, result.Events.Count(e => e.Event.Kind == OrchestrationEventKinds.StepCompleted));
    }

    [Fact]
    public async Task Concurrent_OneAgentFails_OthersMergedAndFailureInEvents()
    {
        var fanOut = new ConcurrentOrchestration(
        [
            Agent("ok1", new ScriptedChatClient().ThenText("yes")),
            Agent("bad", new ScriptedChatClient().Then((_, _) => throw new InvalidOperationException("boom"))),
            Agent("ok2", new ScriptedChatClient().ThenText("also yes")),
        ]);

        var result = await fanOut.RunAsync("q", TestContext.Current.CancellationToken);

        Assert.Equal("[ok1]\nyes\n\n[ok2]\nalso yes", result.Output);
        Assert.Equal(OrchestrationStepStatus.Failed, result.Steps[1].Status);
        Assert.Contains(result.Events, e => e.AgentName == "bad" && e.Event.Kind == OrchestrationEventKinds.StepFailed);
    }

    [Fact]
    public async Task Concurrent_CustomMerger_Used()
    {
        var fanOut = new ConcurrentOrchestration([Agent("a", new ScriptedChatClient().ThenText("x")), Agent("b", new ScriptedChatClient().ThenText("yy"))])
        {
            Merger = steps => steps.MaxBy(s => s.Answer?.Length ?? 0)!.Answer!,
        };

        var result = await fanOut.RunAsync("q", TestContext.Current.CancellationToken);

        Assert.Equal("yy", result.Output);
    }

    [Fact]
    public async Task Concurrent_Cancelled_RunningAgentsCancelledAndNoMoreStarted()
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var started = 0;
        var agents = Enumerable.Range(0, 3).Select(i => Agent("slow" + i, new ScriptedChatClient().Then(async (_, ct) =>
        {
            if (Interlocked.Increment(ref started) == 1)
            {
                await cancel.CancelAsync();
            }

            await Task.Delay(Timeout.Infinite, ct);
            return new ChatResponse();
        }))).ToList();
        var fanOut = new ConcurrentOrchestration(agents, maxParallelism: 1);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => fanOut.RunAsync("q", cancel.Token));

        Assert.Equal(1, started);
    }

    [Fact]
    public void Create_DuplicateNamesOrNoAgents_Refused()
    {
        Assert.Throws<ArgumentException>(() => new SequentialOrchestration([]));
        Assert.Throws<ArgumentException>(() => new ConcurrentOrchestration([Agent("a", new ScriptedChatClient()), Agent("a", new ScriptedChatClient())]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConcurrentOrchestration([Agent("a", new ScriptedChatClient())], maxParallelism: 0));
    }

    private static ChatAgent Agent(string name, ScriptedChatClient client) => new(client, new AgentOptions { Name = name });

    /// <summary>Lets calls through once <c>expected</c> of them are inside at the same time, and records the peak.</summary>
    private sealed class ConcurrencyGate(int expected)
    {
        private readonly TaskCompletionSource _full = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _inside;
        private int _peak;

        public int Peak => Volatile.Read(ref _peak);

        public async Task EnterAsync(CancellationToken cancellationToken)
        {
            var now = Interlocked.Increment(ref _inside);
            int peak;
            while (now > (peak = Volatile.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, now, peak) != peak)
            {
            }

            if (now >= expected)
            {
                _full.TrySetResult();
            }

            await _full.Task.WaitAsync(cancellationToken);
        }

        public void Exit() => Interlocked.Decrement(ref _inside);
    }
}
