using System.Globalization;
using System.Text;
using Edgewise.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Edgewise.Server.Metrics;

/// <summary><c>GET /metrics</c> in the Prometheus text format; behind the API key like every route but liveness (H20).</summary>
internal static class MetricsEndpoints
{
    public static IEndpointRouteBuilder MapMetrics(this IEndpointRouteBuilder app)
    {
        app.MapGet("/metrics", Scrape);
        return app;
    }

    private static IResult Scrape(HttpContext context, ServerMetrics metrics, ModelHost host)
    {
        var text = new StringBuilder(8192);
        metrics.WriteTo(
            text,
            host.Admission.Snapshot(),
            host.Manager.Loaded.Select(m => (m.Name, m.MemoryBytes, m.Leases)));
        PrometheusText.Header(text, "edgewise_model_memory_used_bytes", "gauge", "Planned memory of all loaded models.");
        text.Append(CultureInfo.InvariantCulture, $"edgewise_model_memory_used_bytes {host.Manager.UsedBytes}\n");
        PrometheusText.Header(text, "edgewise_model_memory_budget_bytes", "gauge", "The memory budget for loaded models.");
        text.Append(CultureInfo.InvariantCulture, $"edgewise_model_memory_budget_bytes {host.Manager.MemoryBudgetBytes}\n");
        foreach (var source in context.RequestServices.GetServices<IMetricsSource>())
        {
            source.WriteTo(text);
        }

        return Results.Text(text.ToString(), "text/plain; version=0.0.4; charset=utf-8", Encoding.UTF8);
    }
}
