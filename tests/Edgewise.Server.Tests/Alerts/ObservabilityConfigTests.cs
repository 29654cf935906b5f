using Edgewise.Configuration;
using Edgewise.Server.Alerts;
using Edgewise.Server.Configuration;

namespace Edgewise.Server.Tests.Alerts;

/// <summary>The telemetry and alerts sections of edgewise.yaml.</summary>
public sealed class ObservabilityConfigTests
{
    [Fact]
    public void Parse_TelemetryAndAlerts_SetsOptions()
    {
        var options = new ServerOptions();

        ServerConfigReader.Parse(
            """
            telemetry:
              otlp_endpoint: http://127.0.0.1:4318
              service_name: kiosk
              request_log_capacity: 500
              export_interval: 2s
            alerts:
              window: 10m
              evaluation_interval: 30s
              rules:
                - { name: slow, metric: p95_latency_seconds, threshold: 20, for: 1m, min_requests: 5 }
                - name: memory
                  metric: memory_use
                  threshold: 0.85
                  action: unload_idle_models
                - { name: busy, metric: queue_depth, threshold: 8, action: degrade_agents }
            """,
            "edgewise.yaml",
            options);

        Assert.Equal(new Uri("http://127.0.0.1:4318"), options.Telemetry.OtlpEndpoint);
        Assert.Equal("kiosk", options.Telemetry.ServiceName);
        Assert.Equal(500, options.Telemetry.RequestLogCapacity);
        Assert.Equal(TimeSpan.FromSeconds(2), options.Telemetry.ExportInterval);
        Assert.Equal(TimeSpan.FromMinutes(10), options.Alerts.Window);
        Assert.Equal(TimeSpan.FromSeconds(30), options.Alerts.EvaluationInterval);
        Assert.Collection(
            options.Alerts.Rules,
            r => Assert.Equal(("slow", AlertMetric.P95LatencySeconds, 20.0, TimeSpan.FromMinutes(1), 5, AlertAction.None), (r.Name, r.Metric, r.Threshold, r.For, r.MinRequests, r.Action)),
            r => Assert.Equal(("memory", AlertMetric.MemoryUse, 0.85, AlertAction.UnloadIdleModels), (r.Name, r.Metric, r.Threshold, r.Action)),
            r => Assert.Equal(("busy", AlertAction.DegradeAgents), (r.Name, r.Action)));
    }

    [Fact]
    public void Parse_NoSections_KeepsDefaults()
    {
        var options = new ServerOptions();

        ServerConfigReader.Parse("server:\n  port: 9000\n", "edgewise.yaml", options);

        Assert.Null(options.Telemetry.OtlpEndpoint);
        Assert.Empty(options.Alerts.Rules);
        Assert.True(options.Alerts.Enabled);
    }

    [Theory]
    [InlineData("alerts:\n  rules:\n    - { name: x, metric: cpu, threshold: 1 }\n", 3, "alerts.rules[0].metric")]
    [InlineData("alerts:\n  rules:\n    - { name: x, metric: error_rate }\n", 3, "alerts.rules[0]")]
    [InlineData("alerts:\n  rules:\n    - { name: x, metric: error_rate, threshold: -1 }\n", 3, "alerts.rules[0].threshold")]
    [InlineData("alerts:\n  rules:\n    - { name: x, metric: queue_depth, threshold: 1, action: reboot }\n", 3, "alerts.rules[0].action")]
    [InlineData("alerts:\n  rules:\n    - { name: x, metric: queue_depth, threshold: 1 }\n    - { name: x, metric: error_rate, threshold: 1 }\n", 4, "alerts.rules[1]")]
    [InlineData("alerts:\n  window: soon\n", 2, "alerts.window")]
    [InlineData("telemetry:\n  otlp_endpoint: ftp://collector\n", 2, "telemetry.otlp_endpoint")]
    [InlineData("telemetry:\n  exporter: zipkin\n", 2, "telemetry.exporter")]
    public void Parse_BadSetting_ErrorNamesLineAndKey(string yaml, int line, string key)
    {
        var error = Assert.Throws<ConfigException>(() => ServerConfigReader.Parse(yaml, "edgewise.yaml", new ServerOptions()));

        Assert.Contains($"edgewise.yaml:{line}", error.Message, StringComparison.Ordinal);
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }
}
