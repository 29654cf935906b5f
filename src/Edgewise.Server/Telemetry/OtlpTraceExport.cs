using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Edgewise.Server.Telemetry;

/// <summary>
/// Exports the spans of <see cref="EdgewiseActivitySource"/> (and any other <c>Edgewise.*</c> source) over OTLP/HTTP
/// protobuf while the server runs, when an endpoint is configured. The OpenTelemetry SDK's batch processor holds a
/// bounded queue and drops spans when it is full, so a slow or absent collector never blocks a request.
/// </summary>
internal sealed partial class OtlpTraceExport(TelemetryOptions options, ILogger<OtlpTraceExport> logger) : IHostedService, IDisposable
{
    private TracerProvider? _provider;

    /// <summary>The traces address in effect: the option, else the environment variable, with <c>/v1/traces</c> appended.</summary>
    public static Uri? ResolveEndpoint(TelemetryOptions options, Func<string, string?> environment)
    {
        var configured = options.OtlpEndpoint;
        if (configured is null && environment(TelemetryOptions.EndpointEnvironmentVariable) is { Length: > 0 } text)
        {
            configured = Uri.TryCreate(text, UriKind.Absolute, out var parsed) ? parsed : null;
        }

        if (configured is null)
        {
            return null;
        }

        var path = configured.AbsolutePath.TrimEnd('/');
        return path.EndsWith("/v1/traces", StringComparison.Ordinal)
            ? configured
            : new UriBuilder(configured) { Path = path + "/v1/traces" }.Uri;
    }

    /// <summary>The service name in effect: the option, else <c>OTEL_SERVICE_NAME</c>, else "edgewise".</summary>
    public static string ResolveServiceName(TelemetryOptions options, Func<string, string?> environment) =>
        options.ServiceName is { Length: > 0 } name ? name
        : environment(TelemetryOptions.ServiceNameEnvironmentVariable) is { Length: > 0 } env ? env
        : TelemetryOptions.DefaultServiceName;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var endpoint = ResolveEndpoint(options, Environment.GetEnvironmentVariable);
        if (endpoint is null)
        {
            return Task.CompletedTask;
        }

        var service = ResolveServiceName(options, Environment.GetEnvironmentVariable);
        _provider = Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(ResourceBuilder.CreateDefault().AddService(service, serviceVersion: typeof(OtlpTraceExport).Assembly.GetName().Version?.ToString()))
            .AddSource("Edgewise.*")
            .AddOtlpExporter(o =>
            {
                o.Endpoint = endpoint;
                o.Protocol = OtlpExportProtocol.HttpProtobuf;
                o.ExportProcessorType = ExportProcessorType.Batch;
                o.BatchExportProcessorOptions.MaxQueueSize = Math.Max(1, options.MaxQueueSize);
                o.BatchExportProcessorOptions.MaxExportBatchSize = Math.Clamp(options.MaxExportBatchSize, 1, Math.Max(1, options.MaxQueueSize));
                o.BatchExportProcessorOptions.ScheduledDelayMilliseconds = (int)Math.Clamp(options.ExportInterval.TotalMilliseconds, 1, int.MaxValue);
            })
            .Build();
        LogExporting(logger, endpoint.GetLeftPart(UriPartial.Path), service);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _provider?.ForceFlush(5000);
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _provider?.Dispose();
        _provider = null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Exporting traces over OTLP to {Endpoint} as {Service}")]
    private static partial void LogExporting(ILogger logger, string endpoint, string service);
}
