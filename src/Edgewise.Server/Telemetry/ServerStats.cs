using System.Text.Json;
using System.Text.Json.Serialization;

namespace Edgewise.Server.Telemetry;

/// <summary>What <c>GET /admin/stats?minutes=N</c> answers: the requests that finished in the last N minutes, summarized.</summary>
/// <param name="WindowMinutes">The window asked for.</param>
/// <param name="From">Start of the window.</param>
/// <param name="To">End of the window (now).</param>
/// <param name="Requests">Requests that finished in the window (health, metrics and admin routes not counted).</param>
/// <param name="Errors">Requests answered 5xx.</param>
/// <param name="ClientErrors">Requests answered 4xx.</param>
/// <param name="Cancelled">Requests whose client went away.</param>
/// <param name="ErrorRate">Errors ÷ requests (0 when none).</param>
/// <param name="Latency">Request latency in seconds.</param>
/// <param name="TimeToFirstToken">From arrival to the first generated text, in seconds, over requests that generated.</param>
/// <param name="InputTokens">Prompt tokens.</param>
/// <param name="OutputTokens">Generated tokens.</param>
/// <param name="TokensPerSecond">Decode speed: generated tokens ÷ the time spent generating them (null when none).</param>
/// <param name="ThroughputTokensPerSecond">Generated tokens ÷ the window.</param>
/// <param name="Routes">Per route template.</param>
/// <param name="Models">Per model.</param>
/// <param name="Truncated">Whether the request log had wrapped, so the window may hold fewer requests than were served.</param>
public sealed record ServerStats(
    double WindowMinutes,
    DateTimeOffset From,
    DateTimeOffset To,
    int Requests,
    int Errors,
    int ClientErrors,
    int Cancelled,
    double ErrorRate,
    LatencySummary Latency,
    LatencySummary TimeToFirstToken,
    long InputTokens,
    long OutputTokens,
    double? TokensPerSecond,
    double ThroughputTokensPerSecond,
    IReadOnlyList<RouteStats> Routes,
    IReadOnlyList<ModelStats> Models,
    bool Truncated)
{
    /// <summary>The JSON shape on the wire: snake_case names.</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };
}

/// <summary>Percentiles of a duration in seconds; null when there was no sample.</summary>
/// <param name="Count">Samples.</param>
/// <param name="P50">Median.</param>
/// <param name="P95">95th percentile.</param>
/// <param name="P99">99th percentile.</param>
/// <param name="Max">Largest.</param>
public sealed record LatencySummary(int Count, double? P50, double? P95, double? P99, double? Max);

/// <summary>Requests of one route template.</summary>
/// <param name="Route">The template, e.g. <c>/v1/chat/completions</c>.</param>
/// <param name="Requests">Requests.</param>
/// <param name="Errors">Of them 5xx.</param>
/// <param name="P95">95th percentile latency in seconds.</param>
public sealed record RouteStats(string Route, int Requests, int Errors, double? P95);

/// <summary>Requests that used one model.</summary>
/// <param name="Model">The model.</param>
/// <param name="Requests">Requests.</param>
/// <param name="OutputTokens">Generated tokens.</param>
/// <param name="TokensPerSecond">Decode speed (null when nothing was generated).</param>
public sealed record ModelStats(string Model, int Requests, long OutputTokens, double? TokensPerSecond);

/// <summary>Builds <see cref="ServerStats"/> from request records.</summary>
internal static class StatsCalculator
{
    public static ServerStats Summarize(IReadOnlyList<RequestRecord> records, double minutes, DateTimeOffset now, bool truncated)
    {
        var errors = records.Count(r => r.Status >= 500);
        var output = records.Sum(r => r.OutputTokens);
        var generation = records.Sum(r => r.GenerationSeconds);
        var seconds = minutes * 60;
        var routes = records.GroupBy(r => r.Route, StringComparer.Ordinal)
            .Select(g => new RouteStats(g.Key, g.Count(), g.Count(r => r.Status >= 500), Percentiles.Of(g.Select(r => r.Seconds).ToList(), 0.95)))
            .OrderBy(r => r.Route, StringComparer.Ordinal)
            .ToList();
        var models = records.Where(r => r.Model is not null).GroupBy(r => r.Model!, StringComparer.Ordinal)
            .Select(g => new ModelStats(g.Key, g.Count(), g.Sum(r => r.OutputTokens), Rate(g.Sum(r => r.OutputTokens), g.Sum(r => r.GenerationSeconds))))
            .OrderBy(m => m.Model, StringComparer.Ordinal)
            .ToList();
        return new ServerStats(
            minutes,
            now.AddMinutes(-minutes),
            now,
            records.Count,
            errors,
            records.Count(r => r.Status is >= 400 and < 500),
            records.Count(r => r.Cancelled),
            records.Count == 0 ? 0 : (double)errors / records.Count,
            Summary(records.Select(r => r.Seconds).ToList()),
            Summary(records.Where(r => r.TimeToFirstTokenSeconds is not null).Select(r => r.TimeToFirstTokenSeconds!.Value).ToList()),
            records.Sum(r => r.InputTokens),
            output,
            Rate(output, generation),
            seconds > 0 ? output / seconds : 0,
            routes,
            models,
            truncated);
    }

    private static double? Rate(long tokens, double seconds) => tokens > 0 && seconds > 0 ? tokens / seconds : null;

    private static LatencySummary Summary(List<double> values)
    {
        var p50 = Percentiles.Of(values, 0.50);
        return new LatencySummary(values.Count, p50, Percentiles.Of(values, 0.95), Percentiles.Of(values, 0.99), values.Count == 0 ? null : values[^1]);
    }
}
