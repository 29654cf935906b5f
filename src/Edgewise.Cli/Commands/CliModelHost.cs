using System.Collections.Concurrent;
using Edgewise.Agents.Configuration;
using Edgewise.Hosting;
using Edgewise.Models;
using Edgewise.Models.Hardware;
using Edgewise.Models.Management;
using Edgewise.Models.Storage;
using Microsoft.Extensions.AI;

namespace Edgewise.Cli.Commands;

/// <summary>
/// The models of one CLI command (<c>run</c>, <c>chat</c>), hosted the way <c>edgewise serve</c> hosts them: resolved by
/// <see cref="HostedModels"/> with their entry's settings (context, threads, parallel, kv_cache, mlock, remote backends
/// and failover), leased from a <see cref="ModelManager"/> whose <see cref="HostedModelLoader"/> loads local and remote
/// models alike. A model is loaded on its first use and held until the command ends.
/// </summary>
internal sealed class CliModelHost : IDisposable
{
    private readonly ModelManager _manager;
    private readonly Dictionary<string, ModelLease> _leases = new(StringComparer.Ordinal);
    private readonly CancellationToken _cancellationToken;

    private CliModelHost(IModelResolver resolver, ModelManagerOptions options, CliConsole console, CancellationToken cancellationToken)
    {
        _cancellationToken = cancellationToken;
        var local = new LocalModelLoader { Warning = message => console.Error.WriteLine("warning: " + message) };
        _manager = new ModelManager(resolver, new HostedModelLoader(local, new Models.Management.RemoteModelLoader()), new SystemHardwareProbe(), options);
    }

    /// <summary>The models of <paramref name="config"/>: a store alias is pulled on first use when missing, a file must exist.</summary>
    public static CliModelHost ForConfiguration(EdgewiseConfig config, CliConsole console, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(config);
        var options = NewOptions();
        foreach (var (alias, settings) in HostedModels.AliasSettings(config.ModelsSection))
        {
            options.Models[alias] = settings;
        }

        var store = new Lazy<IModelResolver>(() => new StoreModelResolver(ModelStore.OpenDefault(), options));
        var hosted = HostedModels.CreateResolver([], config.ModelsSection, new LazyResolver(store));
        return new CliModelHost(new LocatingResolver(config, hosted, console, cancellationToken), options, console, cancellationToken);
    }

    /// <summary>One model file, served as <paramref name="name"/> with <paramref name="settings"/>.</summary>
    public static CliModelHost ForFile(string name, string path, ModelSettings settings, CliConsole console, CancellationToken cancellationToken) =>
        new(new RegisteredModelResolver([new ModelFile(name, path, settings)], null), NewOptions(), console, cancellationToken);

    /// <summary>
    /// The manager's options for one user whose leases are held until the command ends: waiting 30 s for another lease to
    /// free memory could only time out, so a model that does not fit beside those already loaded is refused after 2 s.
    /// </summary>
    private static ModelManagerOptions NewOptions() => new() { LoadWaitTimeout = TimeSpan.FromSeconds(2) };

    /// <summary>The client of model <paramref name="name"/>, loading (or connecting) it now if needed.</summary>
    /// <exception cref="ModelException">The model is unknown, does not fit in memory, or its file is not a runnable model.</exception>
    public IChatClient Get(string name) => Lease(name).ChatClient;

    /// <summary>The lease of model <paramref name="name"/>, taken on first use and held until <see cref="Dispose"/>.</summary>
    public ModelLease Lease(string name)
    {
        if (!_leases.TryGetValue(name, out var lease))
        {
            lease = _manager.AcquireAsync(name, cancellationToken: _cancellationToken).GetAwaiter().GetResult();
            _leases[name] = lease;
        }

        return lease;
    }

    public void Dispose()
    {
        foreach (var lease in _leases.Values)
        {
            lease.Dispose();
        }

        _leases.Clear();
        _manager.Dispose();
    }

    /// <summary>Finds (or pulls) a local entry's file before the hosted resolver plans it, as every CLI command does.</summary>
    private sealed class LocatingResolver(EdgewiseConfig config, IModelResolver hosted, CliConsole console, CancellationToken cancellationToken) : IModelResolver
    {
        private readonly ConcurrentDictionary<string, bool> _located = new(StringComparer.Ordinal);

        public ModelDescriptor Resolve(string name)
        {
            if (config.Models.TryGetValue(name, out var model) && !model.IsRemote && !_located.ContainsKey(name))
            {
                ModelStoreCommands.ResolveModelPath(config.ResolveModelSource(model), console, cancellationToken);
                _located[name] = true;
            }

            return hosted.Resolve(name);
        }
    }

    /// <summary>Opens the model store only when a name reaches it.</summary>
    private sealed class LazyResolver(Lazy<IModelResolver> inner) : IModelResolver
    {
        public ModelDescriptor Resolve(string name) => inner.Value.Resolve(name);

        public ModelDescriptor Resolve(string name, ModelSettings? entrySettings) => inner.Value.Resolve(name, entrySettings);
    }
}
