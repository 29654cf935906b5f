using Edgewise.Models.Management;
using Edgewise.Server.Alerts;
using Edgewise.Server.Metrics;
using Edgewise.Server.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Edgewise.Server;

/// <summary>Observability wiring: request spans and records, model call spans, meter export, alerts, stats.</summary>
public static partial class EdgewiseServer
{
    static partial void AddObservabilityServices(IServiceCollection services, ServerOptions options)
    {
        AlertEngine.Validate(options.Alerts);
        if (options.Telemetry.RequestLogCapacity < 1)
        {
            throw new ServerConfigurationException("telemetry.request_log_capacity must be at least 1.");
        }

        var clock = options.Clock ?? TimeProvider.System;
        var recorder = new ModelCallRecorder(clock);

        // Every model the manager loads gets a telemetry decorator around its chat client (spans, tokens, failures).
        var inner = options.Loader is TelemetryModelLoader wrapped ? wrapped.Inner : options.Loader ?? new LocalModelLoader();
        options.Loader = new TelemetryModelLoader(inner, recorder);

        services.AddSingleton(clock);
        services.AddSingleton(recorder);
        services.AddSingleton(options.Telemetry);
        services.AddSingleton(options.Alerts);
        services.AddSingleton(new RequestLog(options.Telemetry.RequestLogCapacity));
        services.AddSingleton<RequestTelemetry>();
        services.AddSingleton<MeterExport>();
        services.AddSingleton<AlertEngine>();
        services.AddSingleton<IMetricsSource>(sp => sp.GetRequiredService<ModelCallRecorder>());
        services.AddSingleton<IMetricsSource>(sp => sp.GetRequiredService<MeterExport>());
        services.AddSingleton<IMetricsSource>(sp => sp.GetRequiredService<AlertEngine>());
        services.AddHostedService<OtlpTraceExport>();
        services.AddHostedService<AlertService>();
    }

    static partial void UseObservability(WebApplication app)
    {
        app.Services.GetRequiredService<MeterExport>();
        var telemetry = app.Services.GetRequiredService<RequestTelemetry>();
        app.Use((context, next) => telemetry.InvokeAsync(context, next));
        app.MapObservability();
    }
}
