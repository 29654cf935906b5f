using Edgewise.Hosting;
using Edgewise.Models.Hardware;
using Edgewise.Models.Management;
using Edgewise.Server.Admission;
using Edgewise.Server.Agents;
using Edgewise.Server.Alerts;
using Edgewise.Server.Health;
using Edgewise.Server.Hosting;
using Edgewise.Server.Http;
using Edgewise.Server.Metrics;
using Edgewise.Server.Ollama;
using Edgewise.Server.Security;
using Edgewise.Server.Telemetry;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Edgewise.Server;

/// <summary>
/// The services of the Edgewise server, in the ASP.NET Core style: each <c>AddEdgewiseXxx</c> registers one concern's
/// services from <see cref="ServerOptions"/>, which it only reads. Services find each other through the container, so
/// the order of the calls does not matter. <see cref="EdgewiseServer.Build"/> calls all of them.
/// </summary>
public static class EdgewiseServiceCollectionExtensions
{
    /// <summary>
    /// The server's core: its options, state and drain, request guard (keys, hosts, limits), admission and metrics (with
    /// the metrics stage of every model's pipeline, <see cref="MetricsChatClient"/>).
    /// </summary>
    public static IServiceCollection AddEdgewiseServer(this IServiceCollection services, ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        services.AddSingleton(options);
        // What ASP.NET Core serializes itself through the HTTP JSON options (Results.Problem's ProblemDetails, anything a
        // route returns without contracts) resolves from the server's generated contracts only: the native-AOT binary
        // has no reflection-based ones, and with none here either a type missing from ServerJsonContext fails in the
        // JIT build's tests too instead of only in the binary.
        services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.TypeInfoResolverChain.Clear();
            json.SerializerOptions.TypeInfoResolverChain.Add(ServerJsonContext.Default);
        });
        services.AddSingleton<ServerState>();
        services.AddSingleton<IHostLifetime, DrainingLifetime>();
        services.AddSingleton<ServerMetrics>();
        services.AddSingleton(new HostPolicy(options));
        services.AddSingleton(new ApiKeyValidator(options.ApiKeys));
        services.AddSingleton<RequestGuard>();
        services.AddSingleton(sp => new AdmissionQueue(options.Admission, sp.GetRequiredService<ServerMetrics>()));
        services.AddSingleton(sp => new ModelClientStage((builder, _) => builder.UseMetrics(sp.GetRequiredService<ServerMetrics>())));
        services.AddHttpContextAccessor();
        services.AddSingleton<OllamaPull>();
        services.AddSingleton<OllamaListing>();
        return services;
    }

    /// <summary>
    /// The models: <see cref="ServerOptions.Models"/> and the <c>models:</c> of <see cref="ServerOptions.Configuration"/>
    /// (mapped by <see cref="HostedModels"/>), the <see cref="ModelManager"/> that leases them, and its loader — local and
    /// remote models through one <see cref="HostedModelLoader"/>, behind the same <see cref="ChatClientPipeline"/> and the
    /// same load and unload log lines.
    /// </summary>
    /// <exception cref="ServerConfigurationException">A configured model has the name of a command-line one.</exception>
    public static IServiceCollection AddEdgewiseModels(this IServiceCollection services, ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        RegisteredModelResolver resolver;
        try
        {
            resolver = HostedModels.CreateResolver(
                options.Models.Select(m => new ModelFile(m.Name, m.Path, m.Settings) { Preload = m.Preload }), options.Configuration?.ModelsSection, options.FallbackResolver, options.Admission.ParallelSequences);
        }
        catch (ModelConfigurationException e)
        {
            throw new ServerConfigurationException(e.Message, e);
        }

        services.AddSingleton(resolver);
        services.AddSingleton(new RemoteModelLoader(options.RemoteBackends));
        services.AddSingleton<IMetricsSource, BackendPoolMetrics>();

        // The stages every model's client runs behind, from the services that registered one (observability: UseTelemetry).
        services.AddSingleton(sp => ChatClientPipeline.Of(sp.GetServices<ModelClientStage>().Select(s => s.Configure)));
        services.AddSingleton(sp => new ModelManager(
            resolver,
            new TrackingModelLoader(
                new HostedModelLoader(
                    options.Loader ?? new LocalModelLoader { Warning = static message => Console.Error.WriteLine("warning: " + message) },
                    sp.GetRequiredService<RemoteModelLoader>(),
                    sp.GetRequiredService<ChatClientPipeline>()),
                sp.GetRequiredService<ServerState>(),
                sp.GetService<ModelCallRecorder>(),
                sp.GetRequiredService<ILoggerFactory>().CreateLogger("Edgewise.Models")),
            options.Memory ?? new SystemHardwareProbe(options.DataDirectory),
            options.ModelManager));
        services.AddSingleton<ModelHost>();
        services.AddSingleton<Generation.GenerationHandler>();
        return services;
    }

    /// <summary>
    /// Observability: request spans and records (<c>/admin/stats</c>), a telemetry stage in every model's pipeline (model
    /// call spans, tokens, failures; local and remote alike), meter export, alerts and the OTLP trace export.
    /// </summary>
    /// <exception cref="ServerConfigurationException">An alert rule or the request log capacity is invalid.</exception>
    public static IServiceCollection AddEdgewiseObservability(this IServiceCollection services, ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        AlertEngine.Validate(options.Alerts);
        if (options.Telemetry.RequestLogCapacity < 1)
        {
            throw new ServerConfigurationException("telemetry.request_log_capacity must be at least 1.");
        }

        var clock = options.Clock ?? TimeProvider.System;
        var recorder = new ModelCallRecorder(clock);
        services.AddSingleton(clock);
        services.AddSingleton(recorder);
        services.AddSingleton(new ModelClientStage((builder, model) => builder.UseTelemetry(model.Name, recorder)));
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
        return services;
    }

    /// <summary>The agent and session routes' services: sessions and their storage, the agent catalog and runner.</summary>
    public static IServiceCollection AddEdgewiseAgents(this IServiceCollection services, ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        services.AddSingleton<AgentSessions>();
        services.AddSingleton<AgentCatalog>();
        services.AddSingleton<AgentRunner>();
        services.AddHostedService<AgentStorageService>();
        return services;
    }

    /// <summary>Measures each model call (tokens, time to first token, generation time) into <paramref name="metrics"/>.</summary>
    internal static ChatClientBuilder UseMetrics(this ChatClientBuilder builder, ServerMetrics metrics) =>
        builder.Use(inner => new MetricsChatClient(inner, metrics));

    /// <summary>Wraps each model's client in a <see cref="TelemetryChatClient"/> for <paramref name="model"/>.</summary>
    internal static ChatClientBuilder UseTelemetry(this ChatClientBuilder builder, string model, ModelCallRecorder recorder) =>
        builder.Use(inner => new TelemetryChatClient(inner, model, recorder));
}

/// <summary>A stage of every hosted model's <see cref="ChatClientPipeline"/>, registered by the service that needs it.</summary>
/// <param name="Configure">Adds the stage's decorators for one model.</param>
public sealed record ModelClientStage(Action<ChatClientBuilder, ModelDescriptor> Configure);
