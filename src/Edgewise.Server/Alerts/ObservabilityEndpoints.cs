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
        var rules = engine.Statuses().Select(s => new
        {
            name = s.Rule.Name,
            metric = MetricName(s.Rule.Metric),
            threshold = s.Rule.Threshold,
            for_seconds = s.Rule.For.TotalSeconds,
            min_requests = s.Rule.MinRequests,
            action = AlertEngine.ActionName(s.Rule.Action),
            firing = s.Firing,
            value = s.Value,
            since = s.Since,
            fired_count = s.FiredCount,
        });
        var events = engine.Events().Select(e => new { at = e.At, rule = e.Rule, state = e.State, value = e.Value, threshold = e.Threshold, action = e.Action });
        return Results.Json(new
        {
            enabled = engine.Options.Enabled,
            window_seconds = engine.Options.Window.TotalSeconds,
            evaluation_interval_seconds = engine.Options.EvaluationInterval.TotalSeconds,
            rules,
            events,
        });
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
        return Results.Json(StatsCalculator.Summarize(records, minutes, now, truncated), ServerStats.JsonOptions);
    }

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
