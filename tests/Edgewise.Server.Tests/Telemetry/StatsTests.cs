using System.Net;
using System.Net.Http.Json;
using Edgewise.Server.Telemetry;
using Edgewise.Server.Tests.Alerts;
using Edgewise.Server.Tests.Support;

namespace Edgewise.Server.Tests.Telemetry;

public sealed class StatsTests
{
    [Fact]
    public async Task AdminStats_AfterChats_SummarizesRequestsTokensAndLatencyButNotMonitoring()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("a", "b", "c"), o => o.Clock = clock);
        (await server.PostChatAsync(LiveServer.Chat())).EnsureSuccessStatusCode();
        var stream = await server.PostChatAsync(LiveServer.Chat(extra: ",\"stream\":true"));
        await stream.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotFound, (await server.PostChatAsync(LiveServer.Chat("nope"))).StatusCode);
        (await server.Client.GetAsync("/health/ready", TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        (await server.Client.GetAsync("/metrics", TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();

        var stats = await StatsAsync(server, "?minutes=5");

        Assert.Equal((5.0, 3, 0, 1, 0), (stats.WindowMinutes, stats.Requests, stats.Errors, stats.ClientErrors, stats.Cancelled));
        Assert.Equal((10L, 6L), (stats.InputTokens, stats.OutputTokens));
        Assert.Equal(3, stats.Latency.Count);
        Assert.True(stats.Latency.P50 <= stats.Latency.P95 && stats.Latency.P95 <= stats.Latency.P99);
        Assert.Equal(2, stats.TimeToFirstToken.Count);
        Assert.Equal(6 / 300.0, stats.ThroughputTokensPerSecond, 6);
        var model = Assert.Single(stats.Models);
        Assert.Equal(("test", 2, 6L), (model.Model, model.Requests, model.OutputTokens));
        var route = Assert.Single(stats.Routes);
        Assert.Equal(("/v1/chat/completions", 3), (route.Route, route.Requests));

        clock.Advance(TimeSpan.FromMinutes(6));
        Assert.Equal(0, (await StatsAsync(server, "?minutes=5")).Requests);
        Assert.Equal(3, (await StatsAsync(server, "?minutes=10")).Requests);
    }

    [Theory]
    [InlineData("?minutes=0")]
    [InlineData("?minutes=abc")]
    [InlineData("?minutes=100000")]
    public async Task AdminStats_BadMinutes_Returns400(string query)
    {
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("a"));

        var response = await server.Client.GetAsync("/admin/stats" + query, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task AdminStats_KeysConfigured_NeedsAKey()
    {
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("a"), o => o.ApiKeys.Add("stats-key"));

        var response = await server.Client.GetAsync("/admin/stats", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public void Summarize_HundredRequests_NearestRankPercentiles()
    {
        var now = DateTimeOffset.UnixEpoch;
        var records = Enumerable.Range(1, 100).Select(i => new RequestRecord(now, "/r", i % 10 == 0 ? 500 : 200, i, "m", null, 1, 2, 0.5, false)).ToList();

        var stats = StatsCalculator.Summarize(records, 1, now, truncated: false);

        Assert.Equal((50.0, 95.0, 99.0, 100.0), (stats.Latency.P50!.Value, stats.Latency.P95!.Value, stats.Latency.P99!.Value, stats.Latency.Max!.Value));
        Assert.Equal((10, 0.1), (stats.Errors, stats.ErrorRate));
        Assert.Equal(4.0, stats.TokensPerSecond);
        Assert.Null(stats.TimeToFirstToken.P50);
    }

    [Fact]
    public void RequestLog_Full_OverwritesTheOldest()
    {
        var log = new RequestLog(3);
        for (var i = 0; i < 5; i++)
        {
            log.Add(new RequestRecord(DateTimeOffset.UnixEpoch.AddSeconds(i), "/r", 200, i, null, null, 0, 0, 0, false));
        }

        Assert.Equal([2.0, 3.0, 4.0], log.Since(DateTimeOffset.MinValue).Select(r => r.Seconds));
        Assert.Equal(5, log.Total);
    }

    private static async Task<ServerStats> StatsAsync(LiveServer server, string query)
    {
        var response = await server.Client.GetAsync("/admin/stats" + query, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<ServerStats>(ServerStats.JsonOptions, TestContext.Current.CancellationToken))!;
    }
}
