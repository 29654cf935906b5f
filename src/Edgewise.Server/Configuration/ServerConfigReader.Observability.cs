using System.Globalization;
using Edgewise.Configuration;
using Edgewise.Server.Alerts;

namespace Edgewise.Server.Configuration;

/// <summary>The <c>telemetry</c> and <c>alerts</c> sections of <c>edgewise.yaml</c>.</summary>
/// <example>
/// <code>
/// telemetry:
///   otlp_endpoint: http://127.0.0.1:4318
///   service_name: edgewise-kiosk
/// alerts:
///   window: 5m
///   evaluation_interval: 15s
///   rules:
///     - { name: slow, metric: p95_latency_seconds, threshold: 20, for: 1m, min_requests: 10 }
///     - { name: memory, metric: memory_use, threshold: 0.9, action: unload_idle_models }
///     - { name: slow, metric: p95_latency_seconds, threshold: 20, action: degrade_agents }
/// </code>
/// </example>
public static partial class ServerConfigReader
{
    private static readonly string[] s_telemetryKeys = ["otlp_endpoint", "service_name", "request_log_capacity", "max_queue_size", "export_interval"];
    private static readonly string[] s_alertKeys = ["enabled", "window", "evaluation_interval", "rules"];
    private static readonly string[] s_ruleKeys = ["name", "metric", "threshold", "for", "min_requests", "action"];

    /// <summary>Reads the <c>telemetry</c> and <c>alerts</c> sections from the document root.</summary>
    private static void ReadObservability(YamlNodeReader root, ServerOptions options)
    {
        foreach (var (key, value) in root.Mapping())
        {
            if (value.IsNull)
            {
                continue;
            }

            if (key == "telemetry")
            {
                ReadTelemetry(value, options);
            }
            else if (key == "alerts")
            {
                ReadAlerts(value, options.Alerts);
            }
        }
    }

    private static void ReadTelemetry(YamlNodeReader section, ServerOptions options)
    {
        var telemetry = options.Telemetry;
        foreach (var (key, value) in section.Mapping(s_telemetryKeys))
        {
            switch (key)
            {
                case "otlp_endpoint":
                    telemetry.OtlpEndpoint = Uri.TryCreate(value.String(), UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
                        ? uri
                        : throw value.Error("expected an http(s) address such as http://127.0.0.1:4318");
                    break;
                case "service_name": telemetry.ServiceName = value.String(); break;
                case "request_log_capacity": telemetry.RequestLogCapacity = value.Int(1, 1_000_000); break;
                case "max_queue_size": telemetry.MaxQueueSize = value.Int(1, 1_000_000); break;
                case "export_interval": telemetry.ExportInterval = value.Duration(); break;
            }
        }
    }

    private static void ReadAlerts(YamlNodeReader section, AlertOptions alerts)
    {
        foreach (var (key, value) in section.Mapping(s_alertKeys))
        {
            switch (key)
            {
                case "enabled": alerts.Enabled = value.Bool(); break;
                case "window": alerts.Window = value.Duration(); break;
                case "evaluation_interval": alerts.EvaluationInterval = value.Duration(); break;
                case "rules":
                    foreach (var item in value.Sequence())
                    {
                        var rule = ReadRule(item);
                        if (alerts.Rules.Any(r => r.Name == rule.Name))
                        {
                            throw item.Error($"a rule named '{rule.Name}' is already defined");
                        }

                        alerts.Rules.Add(rule);
                    }

                    break;
            }
        }
    }

    private static AlertRule ReadRule(YamlNodeReader node)
    {
        string? name = null;
        AlertMetric? metric = null;
        double? threshold = null;
        var wait = TimeSpan.Zero;
        var minRequests = 10;
        var action = AlertAction.None;
        foreach (var (key, value) in node.Mapping(s_ruleKeys))
        {
            switch (key)
            {
                case "name": name = value.String(); break;
                case "metric": metric = Metric(value); break;
                case "threshold": threshold = Number(value); break;
                case "for": wait = value.Duration(); break;
                case "min_requests": minRequests = value.Int(0, 1_000_000); break;
                case "action":
                    action = value.String() switch
                    {
                        "none" => AlertAction.None,
                        "unload_idle_models" => AlertAction.UnloadIdleModels,
                        "degrade_agents" => AlertAction.DegradeAgents,
                        _ => throw value.Error("expected none, unload_idle_models or degrade_agents"),
                    };
                    break;
            }
        }

        return new AlertRule
        {
            Name = name is { Length: > 0 } ? name : throw node.Error("a rule needs a name"),
            Metric = metric ?? throw node.Error("a rule needs a metric: p95_latency_seconds, error_rate, memory_use, queue_depth or model_failures"),
            Threshold = threshold ?? throw node.Error("a rule needs a threshold"),
            For = wait,
            MinRequests = minRequests,
            Action = action,
        };
    }

    private static AlertMetric Metric(YamlNodeReader value) => value.String() switch
    {
        "p95_latency_seconds" => AlertMetric.P95LatencySeconds,
        "error_rate" => AlertMetric.ErrorRate,
        "memory_use" => AlertMetric.MemoryUse,
        "queue_depth" => AlertMetric.QueueDepth,
        "model_failures" => AlertMetric.ModelFailures,
        _ => throw value.Error("expected p95_latency_seconds, error_rate, memory_use, queue_depth or model_failures"),
    };

    private static double Number(YamlNodeReader value) =>
        double.TryParse(value.String(), NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && double.IsFinite(n) && n >= 0
            ? n
            : throw value.Error("expected a number of 0 or more");
}
