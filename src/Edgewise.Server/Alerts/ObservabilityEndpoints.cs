using Edgewise.Server.Http;
using Edgewise.Server.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Edgewise.Server.Alerts;

/// <summary>
/// The admin routes of observability, behind the API key like every route but liveness: <c>GET /admin/alerts</c>
/// (rules, their state and recent events) and <c>GET /admin/stats?minutes=N</c> (<see cref="ServerStats"/>).
/// </summary>
internal static class ObservabilityEndpoints
{
    /// <summary>The longest window <c>/admin/stats</c> accepts: one week.</summary>
    public const double MaxMinutes = 7 * 24 * 60;

    public static IEndpointRouteBuilder MapObservability(this IEndpointRouteBuilder app)
    {
        app.MapGet("/admin/alerts", Alerts);
        app.MapGet("/admin/stats", Stats);
        return app;
    }

    private static IResult Alerts(AlertEngine engine)
    {
        var rules = engine.Statuses().Select(s => new AlertRuleDto(
            s.Rule.Name,
            MetricName(s.Rule.Metric),
            s.Rule.Threshold,
            s.Rule.For.TotalSeconds,
            s.Rule.MinRequests,
            AlertEngine.ActionName(s.Rule.Action),
            s.Firing,
            s.Value,
            s.Since,
            s.FiredCount)).ToList();
        var events = engine.Events().Select(e => new AlertEventDto(e.At, e.Rule, e.State, e.Value, e.Threshold, e.Action)).ToList();
        var alerts = new AlertsDto(engine.Options.Enabled, engine.Options.Window.TotalSeconds, engine.Options.EvaluationInterval.TotalSeconds, rules, events);
        return Results.Json(alerts, ServerJsonContext.Info<AlertsDto>(ServerJsonContext.WireOptions));
    }

    private static IResult Stats(HttpContext context, RequestLog log, TimeProvider clock)
    {
        var minutes = 5.0;
        if (context.Request.Query.TryGetValue("minutes", out var text))
        {
            if (!double.TryParse(text.ToString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out minutes)
                || !double.IsFinite(minutes) || minutes <= 0 || minutes > MaxMinutes)
            {
                return Results.Problem(title: "minutes must be a number above 0 and at most 10080.", statusCode: StatusCodes.Status400BadRequest);
            }
        }

        var now = clock.GetUtcNow();
        var records = log.Since(now.AddMinutes(-minutes));
        var truncated = log.Total > log.Capacity && records.Count >= log.Capacity;
        return Results.Json(StatsCalculator.Summarize(records, minutes, now, truncated), ServerJsonContext.Info<ServerStats>(ServerJsonContext.WireOptions));
    }

    /// <summary><c>GET /admin/alerts</c>: the alert configuration, each rule with its state, and the recent events.</summary>
    internal sealed record AlertsDto(bool Enabled, double WindowSeconds, double EvaluationIntervalSeconds, IReadOnlyList<AlertRuleDto> Rules, IReadOnlyList<AlertEventDto> Events);

    /// <summary>One rule of <see cref="AlertsDto"/>.</summary>
    internal sealed record AlertRuleDto(
        string Name,
        string Metric,
        double Threshold,
        double ForSeconds,
        int MinRequests,
        string Action,
        bool Firing,
        double? Value,
        DateTimeOffset? Since,
        long FiredCount);

    /// <summary>One event of <see cref="AlertsDto"/>.</summary>
    internal sealed record AlertEventDto(DateTimeOffset At, string Rule, string State, double? Value, double Threshold, string? Action);

    /// <summary>The configuration spelling of <paramref name="metric"/>.</summary>
    public static string MetricName(AlertMetric metric) => metric switch
    {
        AlertMetric.P95LatencySeconds => "p95_latency_seconds",
        AlertMetric.ErrorRate => "error_rate",
        AlertMetric.MemoryUse => "memory_use",
        AlertMetric.QueueDepth => "queue_depth",
        _ => "model_failures",
    };
}
