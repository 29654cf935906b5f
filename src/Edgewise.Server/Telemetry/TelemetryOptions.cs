namespace Edgewise.Server.Telemetry;

/// <summary>
/// Where traces go and how many request records <c>/admin/stats</c> keeps. Spans are exported over OTLP/HTTP
/// (protobuf) only when an endpoint is set here (<c>telemetry.otlp_endpoint</c>) or in
/// <see cref="EndpointEnvironmentVariable"/>; otherwise no span is even created.
/// </summary>
public sealed class TelemetryOptions
{
    /// <summary>The standard OpenTelemetry variable naming the collector's base address.</summary>
    public const string EndpointEnvironmentVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>The standard OpenTelemetry variable naming the service.</summary>
    public const string ServiceNameEnvironmentVariable = "OTEL_SERVICE_NAME";

    /// <summary>The default <see cref="ServiceName"/>.</summary>
    public const string DefaultServiceName = "edgewise";

    /// <summary>
    /// The collector's base address, e.g. <c>http://127.0.0.1:4318</c>; spans are posted to <c>/v1/traces</c> below it
    /// (an address already ending in <c>/v1/traces</c> is used as it is). Null: the environment variable, else no export.
    /// </summary>
    public Uri? OtlpEndpoint { get; set; }

    /// <summary>The <c>service.name</c> resource attribute (default: <see cref="ServiceNameEnvironmentVariable"/>, else "edgewise").</summary>
    public string? ServiceName { get; set; }

    /// <summary>Spans waiting for export at most (default 2048); more are dropped, never blocking a request.</summary>
    public int MaxQueueSize { get; set; } = 2048;

    /// <summary>Spans per export batch (default 512).</summary>
    public int MaxExportBatchSize { get; set; } = 512;

    /// <summary>Delay between exports (default 5 s).</summary>
    public TimeSpan ExportInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Request records kept for <c>/admin/stats</c> and alert windows (default 10,000; the oldest are overwritten).</summary>
    public int RequestLogCapacity { get; set; } = 10_000;
}
