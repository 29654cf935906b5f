using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using Edgewise.Server.Tests.Support;
using Microsoft.Extensions.AI;

namespace Edgewise.Server.Tests.Metrics;

public sealed class MetricsScrapeTests
{
    [Fact]
    public async Task Scrape_AfterChats_ReportsRoutesLatencyFirstTokenTokensModelsAndMemory()
    {
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("a", "b"));
        (await server.PostChatAsync(LiveServer.Chat())).EnsureSuccessStatusCode();
        var stream = await server.PostChatAsync(LiveServer.Chat(extra: ",\"stream\":true"));
        await stream.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Equal(404, (int)(await server.PostChatAsync(LiveServer.Chat("nope"))).StatusCode);

        var text = await ScrapeAsync(server);

        Assert.Contains("edgewise_http_requests_total{route=\"/v1/chat/completions\",method=\"POST\",status=\"200\"} 2\n", text, StringComparison.Ordinal);
        Assert.Contains("edgewise_http_requests_total{route=\"/v1/chat/completions\",method=\"POST\",status=\"404\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("edgewise_http_request_duration_seconds_count{route=\"/v1/chat/completions\"} 3\n", text, StringComparison.Ordinal);
        Assert.Contains("edgewise_time_to_first_token_seconds_count 1\n", text, StringComparison.Ordinal);
        Assert.Contains("edgewise_completion_tokens_total 4\n", text, StringComparison.Ordinal);
        Assert.Contains("edgewise_prompt_tokens_total 10\n", text, StringComparison.Ordinal);
        Assert.Contains("edgewise_loaded_models 1\n", text, StringComparison.Ordinal);
        Assert.Contains("edgewise_loaded_model_memory_bytes{model=\"test\"}", text, StringComparison.Ordinal);
        Assert.Contains("edgewise_model_calls_total{model=\"test\"} 2\n", text, StringComparison.Ordinal);
        Assert.Contains("edgewise_model_call_failures_total{model=\"test\"} 0\n", text, StringComparison.Ordinal);
        Assert.Contains("edgewise_model_memory_budget_bytes ", text, StringComparison.Ordinal);
        Assert.Contains("edgewise_queue_depth{model=\"test\"} 0\n", text, StringComparison.Ordinal);
        Assert.Contains("edgewise_rejections_total{reason=\"queue_full\"} 0\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE edgewise_generation_tokens_per_second histogram\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE edgewise_alerts_total counter\n", text, StringComparison.Ordinal);
        AssertWellFormed(text);
    }

    [Fact]
    public async Task Scrape_FailingModel_CountsCallFailures()
    {
        await using var server = await LiveServer.StartAsync(new ScriptedChatClient((_, _, ct) => Failing(ct)));

        Assert.Equal(500, (int)(await server.PostChatAsync(LiveServer.Chat())).StatusCode);

        var text = await ScrapeAsync(server);
        Assert.Contains("edgewise_model_call_failures_total{model=\"test\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("edgewise_http_requests_total{route=\"/v1/chat/completions\",method=\"POST\",status=\"500\"} 1\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scrape_EdgewiseMeters_ExportsCountersGaugesAndHistograms()
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        using var meter = new Meter("Edgewise.Tests." + id);
        using var other = new Meter("Other.Tests." + id);
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("a"));
        var counter = meter.CreateCounter<long>($"edgewise_test_{id}_escalations_total", description: "Escalations.");
        var plain = meter.CreateCounter<int>($"edgewise.test.{id}.handoffs");
        var histogram = meter.CreateHistogram<double>($"edgewise_test_{id}_tool_seconds", unit: "s");
        var level = 7;
        meter.CreateObservableGauge($"edgewise_test_{id}_level", () => level);
        other.CreateCounter<long>($"other_test_{id}_total").Add(1);

        counter.Add(2, new KeyValuePair<string, object?>("agent", "triage"), new KeyValuePair<string, object?>("reason", "low_confidence"));
        counter.Add(1, new KeyValuePair<string, object?>("reason", "low_confidence"), new KeyValuePair<string, object?>("agent", "triage"));
        plain.Add(4);
        histogram.Record(0.2);
        histogram.Record(3);

        var text = await ScrapeAsync(server);

        Assert.Contains($"# TYPE edgewise_test_{id}_escalations_total counter\n", text, StringComparison.Ordinal);
        Assert.Contains($"edgewise_test_{id}_escalations_total{{agent=\"triage\",reason=\"low_confidence\"}} 3\n", text, StringComparison.Ordinal);
        Assert.Contains($"edgewise_test_{id}_handoffs_total 4\n", text, StringComparison.Ordinal);
        Assert.Contains($"edgewise_test_{id}_tool_seconds_bucket{{le=\"0.25\"}} 1\n", text, StringComparison.Ordinal);
        Assert.Contains($"edgewise_test_{id}_tool_seconds_count 2\n", text, StringComparison.Ordinal);
        Assert.Contains($"edgewise_test_{id}_level 7\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain($"other_test_{id}", text, StringComparison.Ordinal);
        AssertWellFormed(text);
    }

    [Fact]
    public async Task Scrape_ObservableGaugeOfDisposedMeter_SeriesGoneNotStale()
    {
        // A loaded model's gauges (its prefix cache) live on a meter disposed when the model unloads; the scrape after
        // that must not keep showing the last value read.
        var id = Guid.NewGuid().ToString("N")[..8];
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("a"));
        var meter = new Meter("Edgewise.Tests." + id);
        var level = 7L;
        meter.CreateObservableGauge($"edgewise_test_{id}_held_bytes", () => new Measurement<long>(level, new KeyValuePair<string, object?>("model", "m")));

        var first = await ScrapeAsync(server);
        level = 9;
        var second = await ScrapeAsync(server);
        meter.Dispose();
        var third = await ScrapeAsync(server);

        Assert.Contains($"edgewise_test_{id}_held_bytes{{model=\"m\"}} 7\n", first, StringComparison.Ordinal);
        Assert.Contains($"edgewise_test_{id}_held_bytes{{model=\"m\"}} 9\n", second, StringComparison.Ordinal);
        Assert.DoesNotContain($"edgewise_test_{id}_held_bytes{{", third, StringComparison.Ordinal);
        AssertWellFormed(third);
    }

    [Fact]
    public async Task Scrape_MeterWithTooManyLabelSets_KeepsTheSeriesBounded()
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        using var meter = new Meter("Edgewise.Tests." + id);
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("a"));
        var counter = meter.CreateCounter<long>($"edgewise_test_{id}_sessions_total");
        for (var i = 0; i < 600; i++)
        {
            counter.Add(1, new KeyValuePair<string, object?>("session", i));
        }

        var text = await ScrapeAsync(server);

        var series = text.Split('\n').Count(l => l.StartsWith($"edgewise_test_{id}_sessions_total{{", StringComparison.Ordinal));
        Assert.Equal(500, series);
        Assert.Matches(@"edgewise_meter_series_dropped_total [1-9][0-9]*\n", text);
    }

    [Fact]
    public async Task Scrape_RealModel_ReportsPrefixCacheBlocksBytesAndCapacity()
    {
        // The prefix cache keeps the KV entries of every distinct prompt up to its byte budget, so a server's memory
        // grows while it fills; these gauges tell that bounded growth apart from a leak (the R03 soak waits for them).
        var name = "prefix-" + Guid.NewGuid().ToString("N")[..8];
        await using var server = await LiveServer.StartRealAsync(name, "ref-qwen2-Q4_K_M.gguf");
        await ChatAsync(0);
        var first = Gauges(await ScrapeAsync(server), name);
        await ChatAsync(1);
        await ChatAsync(2);
        var after = Gauges(await ScrapeAsync(server), name);

        Assert.Equal(64L << 20, after.Capacity);
        Assert.True(first.Blocks >= 1, $"blocks after one prompt: {first.Blocks}");
        Assert.True(after.Blocks > first.Blocks, $"blocks after one prompt {first.Blocks}, after three distinct prompts {after.Blocks}");
        Assert.Equal(first.Bytes / first.Blocks * after.Blocks, after.Bytes);
        Assert.True(after.Bytes <= after.Capacity);

        async Task ChatAsync(int i)
        {
            var body = $$"""{"model":"{{name}}","messages":[{"role":"user","content":"Distinct prompt number {{i}}, long enough to fill at least one block of sixteen tokens"}],"max_tokens":2,"temperature":0}""";
            using var response = await server.Client.PostAsync("/v1/chat/completions", LiveServer.Json(body), TestContext.Current.CancellationToken);
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        }
    }

    private static (long Blocks, long Bytes, long Capacity) Gauges(string text, string model)
    {
        long Value(string metric)
        {
            var prefix = $"{metric}{{model=\"{model}\"}} ";
            var line = text.Split('\n').SingleOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
            Assert.True(line is not null, $"no {prefix.Trim()} in /metrics");
            return long.Parse(line.AsSpan(prefix.Length), System.Globalization.CultureInfo.InvariantCulture);
        }

        return (Value("edgewise_prefix_cache_blocks"), Value("edgewise_prefix_cache_bytes"), Value("edgewise_prefix_cache_capacity_bytes"));
    }

    internal static async Task<string> ScrapeAsync(LiveServer server, string? key = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        if (key is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        }

        var response = await server.Client.SendAsync(request, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        return await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>Every line is a comment or <c>name{labels} number</c>, and no series appears twice.</summary>
    private static void AssertWellFormed(string text)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var types = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                Assert.True(types.Add(line.Split(' ')[2]), "metric declared twice: " + line);
                continue;
            }

            if (line.StartsWith('#'))
            {
                continue;
            }

            Assert.Matches(@"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? (-?[0-9.eE+-]+|\+Inf|NaN)$", line);
            var series = line[..line.LastIndexOf(' ')];
            Assert.True(seen.Add(series), "series written twice: " + series);
        }
    }

    internal static async IAsyncEnumerable<ChatResponseUpdate> Failing([EnumeratorCancellation] CancellationToken ct)
    {
        await Task.Yield();
        if (!ct.IsCancellationRequested)
        {
            throw new InvalidOperationException("engine fault");
        }

        yield break;
    }
}
