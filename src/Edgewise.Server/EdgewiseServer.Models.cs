using System.Globalization;
using Edgewise.Agents.Configuration;
using Edgewise.Inference;
using Edgewise.Inference.Runtime;
using Edgewise.Models;
using Edgewise.Models.Management;
using Edgewise.Models.Remote;
using Edgewise.Server.Hosting;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Edgewise.Server;

/// <summary>Registers the models of <c>edgewise.yaml</c> with their settings, and preloads the ones marked <c>preload</c>.</summary>
public static partial class EdgewiseServer
{
    /// <summary>
    /// File entries become <see cref="ServerOptions.Models"/>; store aliases and remote endpoints are answered by a
    /// <see cref="ConfiguredModelResolver"/> placed in front of <see cref="ServerOptions.FallbackResolver"/>, so
    /// <c>model: NAME</c> in a request reaches every entry through the same <see cref="ModelManager"/> path.
    /// </summary>
    static partial void ApplyModelConfiguration(ServerOptions options)
    {
        options.Loader ??= new LocalModelLoader { Warning = static message => Console.Error.WriteLine("warning: " + message) };
        if (options.Configuration is not { } config)
        {
            return;
        }

        var taken = new HashSet<string>(options.Models.Select(m => m.Name), StringComparer.Ordinal);
        var configured = new Dictionary<string, ConfiguredModel>(StringComparer.Ordinal);
        foreach (var (name, model) in config.Models)
        {
            if (!taken.Add(name))
            {
                throw ConfigError(config, model, string.Empty, "a model named '" + name + "' is also given on the command line; rename one of them");
            }

            var settings = ToSettings(config, model);
            if (model.Path is not null)
            {
                options.Models.Add(new ServerModel(name, config.ResolveModelSource(model), settings));
            }
            else
            {
                if (model.Alias is { } alias && options.ModelManager is { } manager)
                {
                    // The store resolver plans memory with these settings (context, sequences, KV type).
                    manager.Models[alias] = settings;
                }

                configured[name] = new ConfiguredModel(name, model.Alias, settings);
            }
        }

        if (configured.Count > 0)
        {
            options.FallbackResolver = new ConfiguredModelResolver(configured.Values, options.FallbackResolver);
        }
    }

    /// <summary>
    /// Loads every registered model marked <c>preload</c>, one after another in the background (readiness reports
    /// loading meanwhile); remote models get a health check, and on local ones each configured agent's system prompt is
    /// warmed into the prefix cache. Failures are logged; the server keeps serving.
    /// </summary>
    internal static Task PreloadModelsAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var resolver = services.GetRequiredService<RegisteredModelResolver>();
        var names = resolver.PreloadNames.ToList();
        if (names.Count == 0)
        {
            return Task.CompletedTask;
        }

        var manager = services.GetRequiredService<ModelManager>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Edgewise.Server.Preload");
        var config = services.GetRequiredService<ServerOptions>().Configuration;
        return Task.Run(() => ModelPreload.RunAsync(names, manager, config, logger, cancellationToken), cancellationToken);
    }

    private static ModelSettings ToSettings(EdgewiseConfig config, ModelConfig model)
    {
        var settings = new ModelSettings
        {
            ContextLength = model.Context,
            Threads = model.Threads,
            ParallelSequences = model.Parallel,
            KvCacheType = model.KvCache switch
            {
                "f32" => KvCacheType.F32,
                "f16" => KvCacheType.F16,
                _ => null,
            },
            KeepAlive = model.KeepAlive,
            Pinned = model.Pin,
            MemoryLock = model.MemoryLock,
            Preload = model.Preload,
        };
        foreach (var backend in model.IsRemote ? ConfiguredBackends.For(config, model) : [])
        {
            settings.RemoteBackends.Add(backend);
        }

        return settings;
    }

    private static ServerConfigurationException ConfigError(EdgewiseConfig config, ModelConfig model, string key, string problem) =>
        new(string.Create(CultureInfo.InvariantCulture, $"{config.File}:{model.Line}: models.{model.Name}{key}: {problem}"));
}

/// <summary>The preload loop: lease each model once and let its keep-alive (or pin) decide how long it stays.</summary>
internal static partial class ModelPreload
{
    public static async Task RunAsync(IReadOnlyList<string> names, ModelManager manager, EdgewiseConfig? config, ILogger logger, CancellationToken cancellationToken)
    {
        foreach (var name in names)
        {
            try
            {
                using var lease = await manager.AcquireAsync(name, cancellationToken: cancellationToken).ConfigureAwait(false);
                if (lease.ChatClient.GetService(typeof(BackendPoolChatClient)) is BackendPoolChatClient remote)
                {
                    foreach (var status in await remote.CheckHealthAsync(cancellationToken).ConfigureAwait(false))
                    {
                        LogBackend(logger, name, status.Name, status.Healthy);
                    }
                }
                else if (lease.ChatClient.GetService(typeof(LocalChatClient)) is LocalChatClient local && config is not null)
                {
                    await WarmAgentPromptsAsync(name, local, config, logger, cancellationToken).ConfigureAwait(false);
                }

                LogPreloaded(logger, name);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogPreloadFailed(logger, name, e);
            }
        }
    }

    /// <summary>
    /// Warms the system prompt (the instructions) of every agent that runs on <paramref name="model"/>. Agents with tools
    /// add a notice and tool definitions after it, so for them only the shared leading blocks are reused.
    /// </summary>
    internal static async Task<int> WarmAgentPromptsAsync(string model, LocalChatClient client, EdgewiseConfig config, ILogger logger, CancellationToken cancellationToken)
    {
        var warmed = 0;
        foreach (var agent in config.Agents.Values)
        {
            if (!string.Equals(agent.Model, model, StringComparison.Ordinal) || string.IsNullOrEmpty(agent.Instructions))
            {
                continue;
            }

            try
            {
                var tokens = await client.WarmPrefixAsync([new ChatMessage(ChatRole.System, agent.Instructions)], null, cancellationToken).ConfigureAwait(false);
                LogWarmed(logger, agent.Name, model, tokens);
                warmed += tokens;
            }
            catch (ContextLimitExceededException e)
            {
                LogWarmFailed(logger, agent.Name, model, e);
            }
        }

        return warmed;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Warmed {Tokens} prompt tokens of agent {Agent} on model {Model}")]
    private static partial void LogWarmed(ILogger logger, string agent, string model, int tokens);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Warming the prompt of agent {Agent} on model {Model} failed")]
    private static partial void LogWarmFailed(ILogger logger, string agent, string model, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Preloaded model {Model}")]
    private static partial void LogPreloaded(ILogger logger, string model);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Preloading model {Model} failed")]
    private static partial void LogPreloadFailed(ILogger logger, string model, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model {Model}: remote backend {Backend} healthy={Healthy}")]
    private static partial void LogBackend(ILogger logger, string model, string backend, bool healthy);
}
