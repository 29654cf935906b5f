using System.Net;
using Edgewise.Hosting;
using Edgewise.Models.Hardware;
using Edgewise.Models.Management;
using Edgewise.Server.Admission;
using Edgewise.Server.WebConsole;
using Edgewise.Server.Health;
using Edgewise.Server.Hosting;
using Edgewise.Server.Http;
using Edgewise.Server.Logging;
using Edgewise.Server.Metrics;
using Edgewise.Server.Ollama;
using Edgewise.Server.OpenAi;
using Edgewise.Server.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Edgewise.Server;

/// <summary>Builds the Edgewise HTTP server: the composition root of endpoints, limits, admission, health and metrics.</summary>
public static partial class EdgewiseServer
{
    /// <summary>The environment variable holding API keys, comma-separated.</summary>
    public const string ApiKeysEnvironmentVariable = "EDGEWISE_API_KEYS";

    /// <summary>The shortest API key accepted when the server listens beyond loopback.</summary>
    public const int MinimumApiKeyLength = 16;

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
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(EdgewiseServer).Assembly.GetName().Name });
        ConfigureLogging(builder.Logging, options);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
            kestrel.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            kestrel.Limits.MaxRequestHeaderCount = 100;
            var c = options.Connections;
            kestrel.Limits.RequestHeadersTimeout = c.HeadersTimeout;
            kestrel.Limits.KeepAliveTimeout = c.KeepAliveTimeout;
            kestrel.Limits.MaxConcurrentConnections = c.MaxConnections;
            kestrel.Limits.MaxConcurrentUpgradedConnections = c.MaxConnections;
            kestrel.Limits.MinRequestBodyDataRate = new MinDataRate(c.MinDataRateBytesPerSecond, c.MinDataRateGracePeriod);
            kestrel.Limits.MinResponseDataRate = new MinDataRate(c.MinDataRateBytesPerSecond, c.MinDataRateGracePeriod);
            kestrel.Limits.MaxResponseBufferSize = c.MaxResponseBufferBytes;
            Listen(kestrel, options);
        });
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = options.ShutdownTimeout);
        builder.Services.AddRequestDecompression();
        builder.Services
            .AddEdgewiseServer(options)
            .AddEdgewiseModels(options)
            .AddEdgewiseObservability(options)
            .AddEdgewiseAgents(options);

        var app = builder.Build();
        var state = app.Services.GetRequiredService<ServerState>();
        app.Lifetime.ApplicationStopping.Register(state.BeginDrain);
        // Readiness says "loading" from the first moment the server listens until every preloaded model is in and
        // warmed up, so a balancer or client that waits for it meets a model that answers at full speed.
        if (app.Services.GetRequiredService<RegisteredModelResolver>().PreloadNames.Any())
        {
            state.LoadStarted();
            app.Lifetime.ApplicationStarted.Register(() => _ = PreloadThenReadyAsync());
        }

        async Task PreloadThenReadyAsync()
        {
            try
            {
                await PreloadModelsAsync(app.Services, app.Lifetime.ApplicationStopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopped before the preload ran: nothing to report.
            }
            finally
            {
                state.LoadEnded();
            }
        }

        var guard = app.Services.GetRequiredService<RequestGuard>();
        app.UseRouting();
        app.UseEdgewiseObservability();
        app.Use((context, next) => guard.InvokeAsync(context, next));
        app.UseRequestDecompression();
        app.MapHealth();
        app.MapMetrics();
        app.MapOpenAi();
        app.MapCompletions();
        app.MapOllama();
        app.MapEdgewiseAgents();
        app.MapConsoleApi();
        if (options.Console)
        {
            app.MapConsole();
        }

        return app;
    }

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

        // A key that can be guessed is no key: beyond loopback every configured key must be long enough that trying
        // them over the network is hopeless (16 characters of a generated key carry far more than 64 bits).
        if (!HostPolicy.IsLoopback(options.Host) && options.ApiKeys.FirstOrDefault(k => !string.IsNullOrWhiteSpace(k) && k.Trim().Length < MinimumApiKeyLength) is { } shortKey)
        {
            throw new ServerConfigurationException(
                $"Refusing to listen beyond loopback with an API key of {shortKey.Trim().Length} characters: every key must have at least {MinimumApiKeyLength} (edgewise keys create makes one).");
        }

        if (options.Profile == ServerProfile.Production && keys == 0)
        {
            throw new ServerConfigurationException(
                $"The production profile requires API keys, even on loopback: set {ApiKeysEnvironmentVariable} or server.api_keys.");
        }

        if (options.Profile == ServerProfile.Production && options.AllowedOrigins.Count > 0)
        {
            throw new ServerConfigurationException("The production profile serves no browser origins (CORS): remove allowed_origins or use the development profile.");
        }

        var c = options.Connections;
        if (c.HeadersTimeout <= TimeSpan.Zero || c.KeepAliveTimeout <= TimeSpan.Zero || c.MaxConnections < 1 || c.MinDataRateBytesPerSecond <= 0
            || c.MinDataRateGracePeriod <= TimeSpan.FromSeconds(1) || c.MaxResponseBufferBytes < 1 || options.ShutdownTimeout < TimeSpan.Zero)
        {
            throw new ServerConfigurationException("Connection limits must be positive and the data-rate grace period longer than 1 s.");
        }

        if (options.Certificate is { HasPrivateKey: false })
        {
            throw new ServerConfigurationException("The TLS certificate has no private key.");
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

    /// <summary>
    /// Writes log events to standard error, one line each (<see cref="ServerLogFormatter"/>), from
    /// <see cref="ServerOptions.LogLevel"/> up; the framework's own events only from Warning unless Debug is asked for.
    /// </summary>
    private static void ConfigureLogging(ILoggingBuilder logging, ServerOptions options)
    {
        var level = options.LogLevel;
        var framework = level <= LogLevel.Debug ? level : (LogLevel)Math.Max((int)level, (int)LogLevel.Warning);
        logging.ClearProviders();
        logging.SetMinimumLevel(level);
        logging.AddFilter("Microsoft", framework);
        logging.AddFilter("System", framework);

        // A start that fails (port in use, unusable agents.db) is reported in one line by whoever called StartAsync;
        // the host's own "hosting failed to start" entry would repeat it (with the stack trace at debug).
        if (level > LogLevel.Debug)
        {
            logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        }
        logging.AddConsole(console =>
        {
            console.FormatterName = ServerLogFormatter.FormatterName;
            console.LogToStandardErrorThreshold = LogLevel.Trace;
        });
        // Registered by hand rather than with AddConsoleFormatter<,>, which also binds the formatter's options from the
        // Logging configuration section by reflection (not available in the native-AOT binary); the options come from
        // ServerOptions only.
        logging.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ConsoleFormatter, ServerLogFormatter>());
        logging.Services.Configure<ServerLogFormatterOptions>(formatter =>
        {
            formatter.Format = options.LogFormat;
            formatter.StackTraces = level <= LogLevel.Debug;
        });
    }

    private static void Listen(KestrelServerOptions kestrel, ServerOptions options)
    {
        var certificate = options.Certificate;
        void Configure(ListenOptions listen)
        {
            if (certificate is not null)
            {
                listen.UseHttps(certificate);
            }
        }

        if (HostPolicy.IsWildcard(options.Host))
        {
            kestrel.ListenAnyIP(options.Port, Configure);
        }
        else if (string.Equals(options.Host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            kestrel.ListenLocalhost(options.Port, Configure);
        }
        else
        {
            kestrel.Listen(IPAddress.Parse(options.Host.Trim('[', ']')), options.Port, Configure);
        }
    }
}
