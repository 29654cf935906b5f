using Edgewise.Agents.Configuration;
using Edgewise.Agents.Diagnostics;
using Edgewise.Configuration;
using Microsoft.Extensions.AI;

namespace Edgewise.Agents.Tests;

public sealed class OfflineFirstTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Run_OwnRemoteBackendOffline_ContinuesOnTheLocalModelAndSaysSo(bool streaming)
    {
        using var metrics = new MetricRecorder();
        var name = "offline-" + streaming;
        var remote = new ScriptedChatClient().Then((_, _) => throw new HttpRequestException("no route to host"));
        var local = new ScriptedChatClient().ThenText("answered on the device");
        var agent = new ChatAgent(remote, new AgentOptions { Name = name, Fallback = new FallbackOptions(local, "small") });
        var session = new AgentSession();

        var result = await RunHelper.RunAsync(agent, "is the vpn up?", session, streaming);

        Assert.Equal("answered on the device", result.Output);
        Assert.Equal(AgentFinishReason.Stop, result.FinishReason);
        Assert.Equal(["user", "assistant"], session.Messages.Select(m => m.Role.Value));
        Assert.Contains(result.Events, e => e.Kind == AgentRunEventKind.Fallback && e.Detail == "model backend unreachable; continued on local model small");
        Assert.Equal(1, metrics.Sum(AgentMetrics.BackendFallbacksName, ("agent", name)));
    }

    [Fact]
    public async Task Run_BackendOfflineAndEscalationOffline_StillAnswersLocally()
    {
        var remote = new ScriptedChatClient().Then((_, _) => throw new HttpRequestException("down"));
        var big = new ScriptedChatClient().Then((_, _) => throw new HttpRequestException("down too"));
        var local = new ScriptedChatClient().ThenText("local");
        var agent = new ChatAgent(remote, new AgentOptions { Fallback = new FallbackOptions(local, "small"), Escalation = new EscalationOptions(big, "big") });

        var result = await agent.RunAsync("q", new AgentSession(), new AgentRunOptions { Escalate = true }, TestContext.Current.CancellationToken);

        Assert.Equal("local", result.Output);
        Assert.Equal(["escalation", "escalation", "fallback"], result.Events.Where(e => e.Kind == AgentRunEventKind.Escalation || e.Kind == AgentRunEventKind.Fallback).Select(e => e.Kind.Value));
    }

    [Fact]
    public async Task Run_BackendOfflineWithoutFallback_TheFailureSurfaces()
    {
        var agent = new ChatAgent(new ScriptedChatClient().Then((_, _) => throw new HttpRequestException("down")), new AgentOptions());

        await Assert.ThrowsAsync<HttpRequestException>(() => agent.RunAsync("q", new AgentSession(), cancellationToken: TestContext.Current.CancellationToken));
    }

    [Fact]
    public void CreateAgentOptions_FallbackEntry_ResolvedThroughTheModelMap()
    {
        var config = EdgewiseConfig.Parse("models:\n  remote: {path: a.gguf}\n  small: {path: b.gguf}\nagents:\n  a: {model: remote, fallback: small, private: true}\n", "edgewise.yaml", new ToolRegistry());
        using var small = new ScriptedChatClient();

        var options = config.CreateAgentOptions("a", new ToolRegistry(), escalationTarget: name => name == "small" ? small : throw new InvalidOperationException(name));

        Assert.Equal("small", options.Fallback!.LocalName);
        Assert.Same(small, options.Fallback.Local);
        var e = Assert.Throws<ConfigException>(() => EdgewiseConfig.Parse("models:\n  remote: {path: a.gguf}\nagents:\n  a: {model: remote, fallback: nope}\n", "edgewise.yaml", new ToolRegistry()));
        Assert.Equal("agents.a.fallback", e.KeyPath);
    }
}
