using Edgewise.Agents.Configuration;
using Edgewise.Inference;
using Edgewise.Inference.Runtime;
using Edgewise.Models.Management;
using Edgewise.Models.Remote;
using Edgewise.Hosting;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Edgewise.Server;

/// <summary>Preloads the models marked <c>preload</c>.</summary>
public static partial class EdgewiseServer
{
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
                else if (lease.ChatClient.GetService(typeof(LocalChatClient)) is LocalChatClient local)
                {
                    await WarmUpAsync(name, local, logger, cancellationToken).ConfigureAwait(false);
                    if (config is not null)
                    {
                        await WarmAgentPromptsAsync(name, local, config, logger, cancellationToken).ConfigureAwait(false);
                    }
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

    /// <summary>Decode steps of a warm-up generation under tiered compilation: past the count for promoting a method to optimized code (30 calls).</summary>
    internal const int WarmUpTokens = 40;

    /// <summary>Decode steps of the one warm-up generation where code is compiled once: enough to have read every weight.</summary>
    internal const int CompiledWarmUpTokens = 2;

    /// <summary>Warm-up generations; see <see cref="WarmUpAsync"/>.</summary>
    private const int WarmUpPasses = 2;

    /// <summary>The pause after each warm-up generation: past the runtime's 100 ms call-counting delay, with time for the background compiler.</summary>
    private static readonly TimeSpan WarmUpPause = TimeSpan.FromMilliseconds(300);

    /// <summary>
    /// Runs short greedy generations on the engine itself, not through the model's pipeline (no metrics, telemetry or
    /// log line of a request), so that the prompt, decode, sampling and detokenizing paths have been compiled and
    /// promoted by the just-in-time compiler before the first request arrives, which then runs at full speed. Where
    /// code is compiled once, fully optimized (the native binary, or the <c>edgewise</c> command, which turns tiered
    /// compilation off), one generation of <see cref="CompiledWarmUpTokens"/> tokens is enough: it compiles the paths
    /// (just in time) and reads every weight, so the mapped file's pages are in memory before the first request instead
    /// of being faulted in during its prompt. Returns the tokens generated.
    /// </summary>
    internal static async Task<int> WarmUpAsync(string model, LocalChatClient client, ILogger logger, CancellationToken cancellationToken)
    {
        var tiered = System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeCompiled
            && (!AppContext.TryGetSwitch("System.Runtime.TieredCompilation", out var enabled) || enabled);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var tokens = 0;
        var options = new ChatOptions { MaxOutputTokens = tiered ? WarmUpTokens : CompiledWarmUpTokens, Temperature = 0 };
        for (var pass = 0; pass < (tiered ? WarmUpPasses : 1); pass++)
        {
            // The runtime starts counting calls only once no new method has been compiled for 100 ms, and compiles the
            // optimized code in the background: the first pass compiles the paths, the pause lets counting start, the
            // second pass makes the hot methods' 30 calls, and the last pause lets their optimized code be installed.
            await foreach (var update in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "Count from one to twenty.")], options, cancellationToken).ConfigureAwait(false))
            {
                if (update.Contents.OfType<UsageContent>().FirstOrDefault()?.Details.OutputTokenCount is { } generated)
                {
                    tokens += (int)generated;
                }
            }

            if (tiered)
            {
                await Task.Delay(WarmUpPause, cancellationToken).ConfigureAwait(false);
            }
        }

        LogWarmedUp(logger, model, tokens, (long)System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return tokens;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Warmed up model {Model}: {Tokens} tokens generated in {Milliseconds} ms")]
    private static partial void LogWarmedUp(ILogger logger, string model, int tokens, long milliseconds);

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
