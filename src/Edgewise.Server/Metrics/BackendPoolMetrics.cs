using System.Globalization;
using System.Text;
using Edgewise.Models.Management;
using Edgewise.Models.Remote;

namespace Edgewise.Server.Metrics;

/// <summary>
/// Per-backend series of the remote models loaded now: whether each backend is in its pool (up), its requests in flight,
/// and its request and failure counters. A remote model that is not loaded (never used, or past its keep-alive) shows no
/// series; its counters start again at its next load.
/// </summary>
internal sealed class BackendPoolMetrics(RemoteModelLoader remote) : IMetricsSource
{
    public void WriteTo(StringBuilder text)
    {
        var rows = remote.Pools.SelectMany(p => p.Pool.Snapshot().Select(b => (p.Model, Backend: b))).ToList();
        Write(text, rows, "edgewise_backend_up", "gauge", "1 while a remote backend is in its model's pool, 0 after it failed a request or health check, -1 before it was first checked.",
            static b => b.Healthy switch { true => 1, false => 0, null => -1 });
        Write(text, rows, "edgewise_backend_outstanding_requests", "gauge", "Requests a remote backend is answering now (streams count until they end).", static b => b.Outstanding);
        Write(text, rows, "edgewise_backend_requests_total", "counter", "Requests sent to a remote backend since its model was loaded.", static b => b.Requests);
        Write(text, rows, "edgewise_backend_failures_total", "counter", "Requests a remote backend failed (connection, time-out, 5xx, broken stream) since its model was loaded.", static b => b.Failures);
        Write(text, rows, "edgewise_backend_weight", "gauge", "A remote backend's configured share of its pool's requests.", static b => b.Weight);
    }

    private static void Write(StringBuilder text, List<(string Model, BackendSnapshot Backend)> rows, string name, string type, string help, Func<BackendSnapshot, long> value)
    {
        PrometheusText.Header(text, name, type, help);
        foreach (var (model, backend) in rows)
        {
            text.Append(CultureInfo.InvariantCulture, $"{name}{{model=\"{PrometheusText.Escape(model)}\",backend=\"{PrometheusText.Escape(backend.Name)}\",priority=\"{backend.Priority}\"}} {value(backend)}\n");
        }
    }
}
