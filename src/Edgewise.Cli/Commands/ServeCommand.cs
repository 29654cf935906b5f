using System.CommandLine;
using Edgewise.Agents.Configuration;
using Edgewise.Configuration;
using Edgewise.Gguf;
using Edgewise.Hosting;
using Edgewise.Inference.Model;
using Edgewise.Models.Management;
using Edgewise.Models.Storage;
using Edgewise.Server;
using Edgewise.Server.Configuration;
using Edgewise.Server.Logging;
using Edgewise.Server.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Edgewise.Cli.Commands;

/// <summary>
/// <c>edgewise serve</c>: runs the HTTP server (OpenAI- and Ollama-compatible APIs, health, metrics) until SIGTERM or
/// Ctrl+C, then drains: readiness turns 503 at once, in-flight requests get up to the shutdown timeout (30 s), and the
/// process exits 0 (S01). <c>--config</c> loads edgewise.yaml (models, agents and the server section); flags override it.
/// </summary>
internal static class ServeCommand
{
    /// <summary>Exit code when the server cannot start for a reason outside its arguments (port taken, unusable database).</summary>
    private const int StartFailure = 1;

    public static Command Create(CliConsole console)
    {
        var host = new Option<string?>("--host") { Description = "Address to bind (default 127.0.0.1, or server.host of the config; anything beyond loopback needs API keys)." };
        var port = new Option<int?>("--port") { Description = "Port (default 11435, or server.port of the config)." };
        var models = new Option<string[]>("--model", "-m") { Description = "GGUF file or model name/alias to serve (repeatable); served as the file name without .gguf, or the alias.", AllowMultipleArgumentsPerToken = false };
        var config = new Option<string?>("--config") { Description = "edgewise.yaml: its models and agents, and its server section (profile, keys, hosts, TLS, limits); flags override it." };
        var keyEnv = new Option<string>("--api-key-env") { Description = "Environment variable holding comma-separated API keys (added to the config's).", DefaultValueFactory = _ => EdgewiseServer.ApiKeysEnvironmentVariable };
        var parallel = new Option<int?>("--parallel") { Description = "Requests generating at once per model (default 4); models without a parallel setting decode that many sequences together." };
        var logLevel = new Option<string>("--log-level")
        {
            Description = "Least severe log events written to stderr: trace, debug, info (one line per request and per model load/unload), warning, error, critical or none. Stack traces only at debug and trace.",
            DefaultValueFactory = _ => "info",
        };
        logLevel.AcceptOnlyFromAmong([.. LogLevels.Keys]);
        var logFormat = new Option<string>("--log-format") { Description = "text (one readable line per event) or json (one JSON object per line).", DefaultValueFactory = _ => "text" };
        logFormat.AcceptOnlyFromAmong("text", "json");
        var noConsole = new Option<bool>("--no-console") { Description = "Do not serve the web console at / (the API routes stay)." };
        var command = new Command("serve", "Serve models over OpenAI- and Ollama-compatible HTTP APIs, and the web console at /.") { host, port, models, config, keyEnv, parallel, logLevel, logFormat, noConsole };
        command.SetAction(async (r, cancel) =>
        {
            ServerOptions options;
            try
            {
                options = Options(r.GetValue(models) ?? [], console, cancel);
                if (r.GetValue(config) is { } path)
                {
                    options.Configuration = EdgewiseConfig.Load(path, new ToolRegistry());
                    ServerConfigReader.Load(path, options);

                    // A request naming a configured alias's store model directly runs with the entry's settings too.
                    foreach (var (alias, settings) in HostedModels.AliasSettings(options.Configuration.ModelsSection))
                    {
                        options.ModelManager!.Models[alias] = settings;
                    }
                }

                options.LogLevel = LogLevels[r.GetValue(logLevel)!];
                options.LogFormat = r.GetValue(logFormat) == "json" ? LogFormat.Json : LogFormat.Text;
                options.Host = r.GetValue(host) ?? options.Host;
                options.Port = r.GetValue(port) ?? options.Port;
                if (r.GetValue(parallel) is { } sequences)
                {
                    // The same rule as server.limits.parallel: 0 or a negative count cannot run anything, and a count
                    // far beyond the cap would start and then refuse every request for want of KV memory.
                    if (sequences is < AdmissionOptions.MinParallelSequences or > AdmissionOptions.MaxParallelSequences)
                    {
                        throw new CliException($"--parallel must be between {AdmissionOptions.MinParallelSequences} and {AdmissionOptions.MaxParallelSequences} (got {sequences.ToString(System.Globalization.CultureInfo.InvariantCulture)})");
                    }

                    options.Admission.ParallelSequences = sequences;
                }

                options.Console = !r.GetValue(noConsole);
                options.ModelManager!.DefaultParallelSequences = options.Admission.ParallelSequences;
                foreach (var key in EdgewiseServer.ParseApiKeys(Environment.GetEnvironmentVariable(r.GetValue(keyEnv)!)))
                {
                    options.ApiKeys.Add(key);
                }

                ValidateModelFiles(options);
            }
            catch (ConfigException e)
            {
                console.Error.WriteLine($"error: {e.Message}");
                return CliConsole.UsageError;
            }
            catch (Exception e) when (e is CliException or Models.ModelException)
            {
                return ModelStoreCommands.Guard(console, () => throw e);
            }

            return await RunAsync(options, console).ConfigureAwait(false);
        });
        return command;
    }

    private static readonly Dictionary<string, LogLevel> LogLevels = new(StringComparer.Ordinal)
    {
        ["trace"] = LogLevel.Trace,
        ["debug"] = LogLevel.Debug,
        ["info"] = LogLevel.Information,
        ["warning"] = LogLevel.Warning,
        ["error"] = LogLevel.Error,
        ["critical"] = LogLevel.Critical,
        ["none"] = LogLevel.None,
    };

    /// <summary>
    /// Every model file named on the command line or in the config gets the engine's full validation before anything
    /// listens: a file that cannot run (0 bytes, a head count of 0, an unsupported tokenizer, a FIFO) stops the start
    /// with one line naming the model and the reason, instead of being listed and then answering 503 to every request.
    /// </summary>
    private static void ValidateModelFiles(ServerOptions options)
    {
        var files = options.Models.Select(m => (m.Name, m.Path))
            .Concat(options.Configuration is { } config ? config.Models.Values.Where(m => m.Path is not null).Select(m => (m.Name, config.ResolveModelSource(m))) : []);
        foreach (var (name, path) in files)
        {
            try
            {
                ModelValidator.ValidateFile(path);
            }
            catch (InvalidModelFileException e)
            {
                throw new CliException($"model {name}: {e.Message}", e.Code, CliConsole.Verification);
            }
        }

        // Validation parses each file's whole header: a 151k-token vocabulary leaves about 30 MB of strings and large
        // arrays behind, in generations an idle server never collects. One full, compacting collection here, before
        // anything listens, gives that memory back instead of carrying it for the server's lifetime.
        if (files.Any())
        {
            System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        }
    }

    private static ServerOptions Options(string[] models, CliConsole console, CancellationToken cancel)
    {
        var manager = new ModelManagerOptions();
        var store = ModelStore.OpenDefault();
        var options = new ServerOptions
        {
            ModelManager = manager,
            FallbackResolver = new StoreModelResolver(store, manager),
            DataDirectory = store.Root,
            Store = store,
        };
        foreach (var model in models)
        {
            var path = ModelStoreCommands.ResolveModelPath(model, console, cancel);
            var name = File.Exists(model) ? Path.GetFileNameWithoutExtension(model) : model;
            
            // A model named on the command line is what this server is for: load it at start (readiness says
            // "loading" meanwhile) rather than on the first request.
            options.Models.Add(new ServerModel(name, Path.GetFullPath(path)) { Preload = true });
        }

        return options;
    }

    private static async Task<int> RunAsync(ServerOptions options, CliConsole console)
    {
        WebApplication app;
        try
        {
            app = EdgewiseServer.Build(options);
        }
        catch (ServerConfigurationException e)
        {
            console.Error.WriteLine($"error: {e.Message}");
            return CliConsole.UsageError;
        }

        await using (app.ConfigureAwait(false))
        {
            try
            {
                await app.StartAsync().ConfigureAwait(false);
            }
            catch (IOException)
            {
                console.Error.WriteLine($"error: cannot listen on {options.Host}:{options.Port} (address in use or not available).");
                return StartFailure;
            }
            catch (StorageException e)
            {
                // P03: a garbage, corrupt, read-only or newer-schema agents.db refuses the start with one line; the
                // file is left as it is.
                console.Error.WriteLine($"error: {options.Agents.DatabasePath ?? Path.Combine(EdgewiseHome.Resolve(), AgentServerOptions.DefaultDatabaseFileName)}: {e.Message} ({e.Code})");
                return StartFailure;
            }

            foreach (var url in app.Urls)
            {
                console.Out.WriteLine($"Edgewise listening on {url} (OpenAI API at {url}/v1)");
            }

            var files = options.Models.Select(m => m.Name)
                .Concat(options.Configuration?.Models.Values.Where(m => m.Path is not null).Select(m => m.Name) ?? []);
            foreach (var name in files)
            {
                console.Out.WriteLine($"  model: {name}");
            }

            if (options.Console)
            {
                console.Out.WriteLine($"  console: {app.Urls.FirstOrDefault()}/");
            }

            console.Out.WriteLine(options.ApiKeys.Count > 0 ? "  API keys required" : "  no API keys (loopback only)");
            console.Out.WriteLine(options.Profile == ServerProfile.Production ? "  profile: production" : "  profile: development");
            await app.WaitForShutdownAsync().ConfigureAwait(false);
        }

        return 0;
    }
}
