using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Edgewise.Server.Alerts;
using Edgewise.Server.Tests.Metrics;
using Edgewise.Server.Tests.Support;

namespace Edgewise.Server.Tests.Alerts;

public sealed class AlertTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Evaluate_ErrorRateAtThreshold_FiresOnceCountsAndListsThenResolvesAfterTheWindow()
    {
        var clock = new ManualClock(Start);
        await using var server = await LiveServer.StartAsync(new ScriptedChatClient((_, _, ct) => MetricsScrapeTests.Failing(ct)), o => Configure(o, clock, new AlertRule { Name = "errors", Metric = AlertMetric.ErrorRate, Threshold = 0.5, MinRequests = 2 }));
        var engine = server.Service<AlertEngine>();
        Assert.Equal(500, (int)(await server.PostChatAsync(LiveServer.Chat())).StatusCode);
        Assert.Empty(engine.Evaluate());
        Assert.Equal(500, (int)(await server.PostChatAsync(LiveServer.Chat())).StatusCode);

        var fired = Assert.Single(engine.Evaluate());
        Assert.Empty(engine.Evaluate());

        Assert.Equal(("errors", "firing", 1.0), (fired.Rule, fired.State, fired.Value));
        var text = await MetricsScrapeTests.ScrapeAsync(server);
        Assert.Contains("edgewise_alerts_total{rule=\"errors\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("edgewise_alert_firing{rule=\"errors\"} 1\n", text, StringComparison.Ordinal);
        var listed = await AlertsAsync(server);
        var rule = Assert.Single(listed.GetProperty("rules").EnumerateArray());
        Assert.Equal("errors", rule.GetProperty("name").GetString());
        Assert.Equal("error_rate", rule.GetProperty("metric").GetString());
        Assert.True(rule.GetProperty("firing").GetBoolean());
        Assert.Equal("firing", listed.GetProperty("events")[0].GetProperty("state").GetString());

        clock.Advance(TimeSpan.FromMinutes(6));
        var resolved = Assert.Single(engine.Evaluate());
        Assert.Equal("resolved", resolved.State);
        Assert.Contains("edgewise_alert_firing{rule=\"errors\"} 0\n", await MetricsScrapeTests.ScrapeAsync(server), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Evaluate_RuleWithFor_FiresOnlyOnceTheBreachLastedThatLong()
    {
        var clock = new ManualClock(Start);
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("a"), o => Configure(o, clock, new AlertRule { Name = "slow", Metric = AlertMetric.P95LatencySeconds, Threshold = 0, MinRequests = 1, For = TimeSpan.FromMinutes(1) }));
        var engine = server.Service<AlertEngine>();
        (await server.PostChatAsync(LiveServer.Chat())).EnsureSuccessStatusCode();

        Assert.Empty(engine.Evaluate());
        clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Empty(engine.Evaluate());
        clock.Advance(TimeSpan.FromSeconds(31));

        Assert.Equal("firing", Assert.Single(engine.Evaluate()).State);
    }

    [Fact]
    public async Task Evaluate_MemoryRuleWithUnloadAction_UnloadsIdleModels()
    {
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("a"), o => Configure(o, new ManualClock(Start), new AlertRule { Name = "memory", Metric = AlertMetric.MemoryUse, Threshold = 0, Action = AlertAction.UnloadIdleModels }));
        var host = server.Service<global::Edgewise.Server.Hosting.ModelHost>();
        (await server.PostChatAsync(LiveServer.Chat())).EnsureSuccessStatusCode();
        Assert.Single(host.Manager.Loaded);

        var fired = Assert.Single(server.Service<AlertEngine>().Evaluate());

        Assert.Equal("unloaded 1 idle model(s)", fired.Action);
        Assert.Empty(host.Manager.Loaded);
    }

    [Fact]
    public async Task Evaluate_QueueDepthRule_FiresWhileRequestsWait()
    {
        var gate = new TaskCompletionSource();
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Gated(gate.Task), o =>
        {
            Configure(o, new ManualClock(Start), new AlertRule { Name = "queue", Metric = AlertMetric.QueueDepth, Threshold = 1 });
            o.Admission.ParallelSequences = 1;
        });
        var engine = server.Service<AlertEngine>();
        var first = server.PostChatAsync(LiveServer.Chat());
        var second = server.PostChatAsync(LiveServer.Chat());
        await LiveServer.WaitUntilAsync(() => server.Service<global::Edgewise.Server.Admission.AdmissionQueue>().Snapshot().Any(q => q.Queued == 1));

        var fired = Assert.Single(engine.Evaluate());
        gate.SetResult();
        (await first).EnsureSuccessStatusCode();
        (await second).EnsureSuccessStatusCode();

        Assert.Equal((1.0, "firing"), (fired.Value, fired.State));
        Assert.Equal("resolved", Assert.Single(engine.Evaluate()).State);
    }

    [Fact]
    public async Task Evaluate_ModelFailuresRule_FiresOnFailedGenerations()
    {
        await using var server = await LiveServer.StartAsync(new ScriptedChatClient((_, _, ct) => MetricsScrapeTests.Failing(ct)), o => Configure(o, new ManualClock(Start), new AlertRule { Name = "health", Metric = AlertMetric.ModelFailures, Threshold = 2 }));
        var engine = server.Service<AlertEngine>();
        await server.PostChatAsync(LiveServer.Chat());
        Assert.Empty(engine.Evaluate());
        await server.PostChatAsync(LiveServer.Chat());

        Assert.Equal(2.0, Assert.Single(engine.Evaluate()).Value);
    }

    [Fact]
    public async Task AdminAlerts_NoRulesConfigured_ListsTheDefaults()
    {
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("a"));

        var listed = await AlertsAsync(server);

        var names = listed.GetProperty("rules").EnumerateArray().Select(r => r.GetProperty("name").GetString()).ToList();
        Assert.Equal(AlertRule.Defaults.Select(r => r.Name), names);
        Assert.Equal(["high_latency", "high_error_rate", "memory_pressure", "queue_backlog", "model_unhealthy"], names);
        Assert.All(listed.GetProperty("rules").EnumerateArray(), r => Assert.False(r.GetProperty("firing").GetBoolean()));
    }

    [Fact]
    public async Task AdminAlerts_KeysConfigured_NeedsAKey()
    {
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("a"), o => o.ApiKeys.Add("alert-key"));

        Assert.Equal(HttpStatusCode.Unauthorized, (await server.Client.GetAsync("/admin/alerts", TestContext.Current.CancellationToken)).StatusCode);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/alerts");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "alert-key");
        Assert.Equal(HttpStatusCode.OK, (await server.Client.SendAsync(request, TestContext.Current.CancellationToken)).StatusCode);
    }

    [Fact]
    public void Build_DuplicateRuleNames_IsRefused()
    {
        var options = LiveServer.NewOptions();
        options.Alerts.Rules.Add(new AlertRule { Name = "x", Metric = AlertMetric.QueueDepth, Threshold = 1 });
        options.Alerts.Rules.Add(new AlertRule { Name = "x", Metric = AlertMetric.ErrorRate, Threshold = 1 });

        Assert.Throws<ServerConfigurationException>(() => EdgewiseServer.Build(options));
    }

    private static void Configure(ServerOptions options, ManualClock clock, AlertRule rule)
    {
        options.Clock = clock;
        options.Alerts.EvaluationInterval = TimeSpan.FromHours(1);
        options.Alerts.Rules.Add(rule);
    }

    private static async Task<JsonElement> AlertsAsync(LiveServer server)
    {
        var response = await server.Client.GetAsync("/admin/alerts", TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
    }
}
