using System.Globalization;
using Edgewise.Configuration;
using Edgewise.Inference.Runtime;
using Edgewise.Models.Management;

namespace Edgewise.Hosting;

/// <summary>
/// The one mapping from the <c>models:</c> entries of <c>edgewise.yaml</c> to what the <see cref="ModelManager"/> hosts:
/// file entries become <see cref="ModelFile"/>s, store aliases and remote endpoints <see cref="ConfiguredModel"/>s, each
/// with the <see cref="ModelSettings"/> of its entry (context, threads, parallel, kv_cache, keep_alive, pin, mlock,
/// preload, remote backends and failover). <c>edgewise serve</c> and the CLI's <c>chat</c> build their resolvers here.
/// </summary>
public static class HostedModels
{
    /// <summary>
    /// The resolver of a host: <paramref name="files"/> (given on the command line) and the configuration's file entries
    /// by exact name, then its aliases and remote entries, then <paramref name="fallback"/> (the model store).
    /// </summary>
    /// <param name="files">Model files registered besides the configuration's.</param>
    /// <param name="models">The <c>models</c> section of the loaded <c>edgewise.yaml</c>, or null.</param>
    /// <param name="fallback">Resolves every other name; null for none.</param>
    /// <param name="defaultParallel">Sequences decoded together for a file model whose settings leave it unset.</param>
    /// <exception cref="ModelConfigurationException">A configured entry has the name of one of <paramref name="files"/>.</exception>
    public static RegisteredModelResolver CreateResolver(IEnumerable<ModelFile> files, ModelsSection? models, IModelResolver? fallback, int defaultParallel = 1)
    {
        ArgumentNullException.ThrowIfNull(files);
        var registered = files.ToList();
        if (models is null)
        {
            return new RegisteredModelResolver(registered, fallback, defaultParallel);
        }

        var taken = new HashSet<string>(registered.Select(m => m.Name), StringComparer.Ordinal);
        var configured = new List<ConfiguredModel>();
        foreach (var (name, model) in models.Models)
        {
            if (!taken.Add(name))
            {
                throw new ModelConfigurationException(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{models.File}:{model.Line}: models.{model.Name}: a model named '{name}' is also given on the command line; rename one of them"));
            }

            var settings = Settings(models, model);
            if (model.Path is not null)
            {
                registered.Add(new ModelFile(name, models.ResolveSource(model), settings));
            }
            else
            {
                configured.Add(new ConfiguredModel(name, model.Alias, settings));
            }
        }

        return new RegisteredModelResolver(registered, configured.Count > 0 ? new ConfiguredModelResolver(configured, fallback) : fallback, defaultParallel);
    }

    /// <summary>The settings of <paramref name="model"/>: its runtime settings, and for a remote entry its backends then those of its failover entries.</summary>
    public static ModelSettings Settings(ModelsSection models, ModelConfig model)
    {
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(model);
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
        foreach (var backend in model.IsRemote ? ConfiguredBackends.For(models, model) : [])
        {
            settings.RemoteBackends.Add(backend);
        }

        return settings;
    }

    /// <summary>
    /// The settings of the configuration's store-alias entries keyed by their alias, for the store resolver's
    /// <see cref="ModelManagerOptions.Models"/>: a request naming the store model itself runs with its entry's settings too.
    /// </summary>
    public static IEnumerable<KeyValuePair<string, ModelSettings>> AliasSettings(ModelsSection models)
    {
        ArgumentNullException.ThrowIfNull(models);
        return models.Models.Values.Where(m => m.Path is null && m.Alias is not null).Select(m => KeyValuePair.Create(m.Alias!, Settings(models, m)));
    }
}
