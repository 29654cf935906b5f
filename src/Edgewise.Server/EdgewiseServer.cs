using System.Net;
using Edgewise.Models.Hardware;
using Edgewise.Models.Management;
using Edgewise.Server.Admission;
using Edgewise.Server.Health;
using Edgewise.Server.Hosting;
using Edgewise.Server.Http;
using Edgewise.Server.Metrics;
using Edgewise.Server.Ollama;
using Edgewise.Server.OpenAi;
using Edgewise.Server.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Edgewise.Server;

/// <summary>Builds the Edgewise HTTP server: the composition root of endpoints, limits, admission, health and metrics.</summary>
public static partial class EdgewiseServer
{
    /// <summary>The environment variable holding API keys, comma-separated.</summary>
    public const string ApiKeysEnvironmentVariable = "EDGEWISE_API_KEYS";

    /// <summary>Keys from a comma-separated list such as <see cref="ApiKeysEnvironmentVariable"/>'s value.</summary>
    public static IReadOnlyList<string> ParseApiKeys(string? value) =>
        value is null ? [] : value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>
    /// Builds (does not start) the server for <paramref name="options"/>. Call <c>RunAsync</c> or <c>StartAsync</c> on the result.
    /// </summary>
    /// <exception cref="ServerConfigurationException">The settings are unsafe, e.g. a non-loopback bind without API keys (H01).</exception>
    public static WebApplication Build(ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        ApplyModelConfiguration(options);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(EdgewiseServer).Assembly.GetName().Name });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
            kestrel.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            kestrel.Limits.MaxRequestHeaderCount = 100;
            kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(30);
            kestrel.Limits.KeepAliveTimeout = TimeSpan.FromMinutes(2);
            kestrel.Limits.MaxConcurrentConnections = 1024;
            Listen(kestrel, options);
        });
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = options.ShutdownTimeout);
        builder.Services.AddRequestDecompression();
        AddServices(builder.Services, options);

        var app = builder.Build();
        var state = app.Services.GetRequiredService<ServerState>();
        app.Lifetime.ApplicationStopping.Register(state.BeginDrain);
        var guard = app.Services.GetRequiredService<RequestGuard>();
        app.UseRouting();
        UseObservability(app);
        app.Use((context, next) => guard.InvokeAsync(context, next));
        app.UseRequestDecompression();
        app.MapHealth();
        app.MapMetrics();
        app.MapOpenAi();
        app.MapOllama();
        MapAgentEndpoints(app);
        return app;
    }

    /// <summary>Registers the models of <see cref="ServerOptions.Configuration"/> with their settings (EdgewiseServer.Models.cs).</summary>
    static partial void ApplyModelConfiguration(ServerOptions options);

    /// <summary>Adds tracing and alerting middleware and their admin routes (EdgewiseServer.Observability.cs).</summary>
    static partial void UseObservability(WebApplication app);

    /// <summary>Registers the services tracing and alerting need.</summary>
    static partial void AddObservabilityServices(IServiceCollection services, ServerOptions options);

    /// <summary>Maps the agent and session routes (EdgewiseServer.Agents.cs).</summary>
    static partial void MapAgentEndpoints(WebApplication app);

    /// <summary>Registers the services the agent routes need.</summary>
    static partial void AddAgentServices(IServiceCollection services, ServerOptions options);

    private static void Validate(ServerOptions options)
    {
        if (options.Port is < 0 or > 65535)
        {
            throw new ServerConfigurationException("The port must be between 0 and 65535.");
        }

        var keys = options.ApiKeys.Count(k => !string.IsNullOrWhiteSpace(k));
        if (!HostPolicy.IsLoopback(options.Host) && keys == 0)
        {
            throw new ServerConfigurationException(
                $"Refusing to listen beyond loopback without API keys: set {ApiKeysEnvironmentVariable} or configure keys, or bind 127.0.0.1.");
        }

        if (!HostPolicy.IsWildcard(options.Host) && !string.Equals(options.Host, "localhost", StringComparison.OrdinalIgnoreCase) && !IPAddress.TryParse(options.Host.Trim('[', ']'), out _))
        {
            throw new ServerConfigurationException("The host must be an IP address, localhost, or 0.0.0.0/:: for all interfaces.");
        }

        var a = options.Admission;
        if (a.ParallelSequences < 1 || a.QueueLength < 0 || a.PerKeyConcurrency < 1 || a.QueueTimeout <= TimeSpan.Zero || options.MaxRequestBodyBytes < 1 || options.StreamKeepAlive <= TimeSpan.Zero)
        {
            throw new ServerConfigurationException("Admission, body and keep-alive limits must be positive.");
        }
    }

    private static void Listen(Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions kestrel, ServerOptions options)
    {
        if (HostPolicy.IsWildcard(options.Host))
        {
            kestrel.ListenAnyIP(options.Port);
        }
        else if (string.Equals(options.Host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            kestrel.ListenLocalhost(options.Port);
        }
        else
        {
            kestrel.Listen(IPAddress.Parse(options.Host.Trim('[', ']')), options.Port);
        }
    }

    private static void AddServices(IServiceCollection services, ServerOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton<ServerState>();
        services.AddSingleton<ServerMetrics>();
        services.AddSingleton(new HostPolicy(options));
        services.AddSingleton(new ApiKeyValidator(options.ApiKeys));
        services.AddSingleton<RequestGuard>();
        services.AddSingleton(new RegisteredModelResolver(options.Models, options.FallbackResolver));
        services.AddSingleton(sp => new AdmissionQueue(options.Admission, sp.GetRequiredService<ServerMetrics>()));
        services.AddSingleton(sp => new ModelManager(
            sp.GetRequiredService<RegisteredModelResolver>(),
            new TrackingModelLoader(options.Loader ?? new LocalModelLoader(), sp.GetRequiredService<ServerState>()),
            options.Memory ?? new SystemHardwareProbe(options.DataDirectory),
            options.ModelManager));
        services.AddSingleton<ModelHost>();
        AddObservabilityServices(services, options);
        AddAgentServices(services, options);
    }
}
