using System.Text.Json;
using Edgewise.Server.Alerts;
using Edgewise.Server.Tests.Agents;
using Edgewise.Server.Tests.Support;
using Microsoft.Extensions.AI;

namespace Edgewise.Server.Tests.Alerts;

/// <summary>Alert action degrade_agents: agents with a degraded_model run on it while the rule fires, and are back after.</summary>
public sealed class AgentDegradeTests
{
    private const string Yaml = """
        models:
          small:
            path: MODEL
          tiny:
            path: MODEL
        agents:
          helper:
            model: small
            degraded_model: tiny
          steady:
            model: small
        """;

    [Fact]
    public async Task Run_DegradeAgentsFiring_AgentRunsOnItsDegradedModelUntilTheRuleResolves()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
        var models = new Dictionary<string, IChatClient> { ["small"] = AgentScripts.Echo(), ["tiny"] = ScriptedChatClient.Text("tiny answer") };
        await using var server = await AgentServer.StartAsync(Yaml.Replace("MODEL", AgentServer.ModelPath, StringComparison.Ordinal), models, configure: o =>
        {
            o.Clock = clock;
            o.Alerts.EvaluationInterval = TimeSpan.FromHours(1);
            o.Alerts.Rules.Add(new AlertRule { Name = "slow", Metric = AlertMetric.P95LatencySeconds, Threshold = 0, MinRequests = 1, Action = AlertAction.DegradeAgents });
        });
        var engine = AgentServer.Service<AlertEngine>(server.App);

        var before = await server.RunAsync("helper", "hello");
        var fired = Assert.Single(engine.Evaluate());
        var during = await server.RunAsync("helper", "hello");
        var steady = await server.RunAsync("steady", "hello");
        clock.Advance(TimeSpan.FromMinutes(6));
        var resolved = Assert.Single(engine.Evaluate());
        var after = await server.RunAsync("helper", "hello");

        Assert.Equal("echo: hello (1 messages)", before.GetProperty("output").GetString());
        Assert.DoesNotContain("degraded", Kinds(before));
        Assert.Equal(("firing", "agents on their degraded models"), (fired.State, fired.Action));
        Assert.Equal("tiny answer", during.GetProperty("output").GetString());
        var note = Assert.Single(during.GetProperty("events").EnumerateArray(), e => e.GetProperty("kind").GetString() == "degraded");
        Assert.Contains("'tiny' instead of 'small'", note.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("echo: hello (1 messages)", steady.GetProperty("output").GetString());
        Assert.Equal(("resolved", "agents back on their models"), (resolved.State, resolved.Action));
        Assert.Equal("echo: hello (1 messages)", after.GetProperty("output").GetString());
        Assert.DoesNotContain("degraded", Kinds(after));
    }

    [Fact]
    public void Parse_DegradedModelNotAModelsEntry_ErrorNamesTheKey()
    {
        var yaml = Yaml.Replace("MODEL", AgentServer.ModelPath, StringComparison.Ordinal).Replace("degraded_model: tiny", "degraded_model: nosuch", StringComparison.Ordinal);

        var error = Assert.Throws<Edgewise.Configuration.ConfigException>(() =>
            Edgewise.Agents.Configuration.EdgewiseConfig.Parse(yaml, "edgewise.yaml", new Edgewise.Agents.Configuration.ToolRegistry()));

        Assert.Contains("degraded_model", error.Message, StringComparison.Ordinal);
        Assert.Contains("nosuch", error.Message, StringComparison.Ordinal);
    }

    private static List<string?> Kinds(JsonElement run) =>
        run.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("kind").GetString()).ToList();
}
