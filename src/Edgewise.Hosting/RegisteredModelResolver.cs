using System.Collections.Concurrent;
using Edgewise.Gguf;
using Edgewise.Inference.Architectures;
using Edgewise.Inference.Runtime;
using Edgewise.Models;
using Edgewise.Models.Hardware;
using Edgewise.Models.Management;

namespace Edgewise.Hosting;

/// <summary>
/// Resolves the model files registered at start (<c>--model</c>, <c>path:</c> entries of edgewise.yaml) by their exact
/// name, then asks the fallback resolver (configured aliases and remote endpoints, then the model store). Memory is
/// planned like the store does: weights plus a KV cache (F16, or F32 at twice the size) at the configured context for the
/// configured sequences, plus overhead. <see cref="HostedModels.CreateResolver"/> builds one for a configuration.
/// </summary>
public sealed class RegisteredModelResolver : IModelResolver
{
    private readonly Dictionary<string, ModelFile> _models;
    private readonly IModelResolver? _fallback;
    private readonly int _defaultParallel;
    private readonly ConcurrentDictionary<string, ModelDescriptor> _descriptors = new(StringComparer.Ordinal);

    /// <param name="models">The models registered at start.</param>
    /// <param name="fallback">Resolves other names; null for none.</param>
    /// <param name="defaultParallel">
    /// Sequences the engine decodes together for a registered model whose settings leave it unset: the admission limit,
    /// so that the requests admitted at once are batched instead of waiting for each other.
    /// </param>
    /// <exception cref="ModelConfigurationException">Two models have the same name.</exception>
    public RegisteredModelResolver(IEnumerable<ModelFile> models, IModelResolver? fallback, int defaultParallel = 1)
    {
        ArgumentNullException.ThrowIfNull(models);
        _defaultParallel = defaultParallel;
        _models = new Dictionary<string, ModelFile>(StringComparer.Ordinal);
        foreach (var model in models)
        {
            if (!_models.TryAdd(model.Name, model))
            {
                throw new ModelConfigurationException("Two models were registered under the same name.");
            }
        }

        _fallback = fallback;
    }

    /// <summary>The registered names, in registration order, then the configured aliases and remote models.</summary>
    public IEnumerable<string> Names => _fallback is ConfiguredModelResolver configured ? _models.Keys.Concat(configured.Names) : _models.Keys;

    /// <summary>The names of models marked <see cref="ModelFile.Preload"/> or <see cref="ModelSettings.Preload"/>, in registration order.</summary>
    public IEnumerable<string> PreloadNames =>
        _models.Values.Where(m => m.Preload || m.Settings?.Preload == true).Select(m => m.Name)
            .Concat(_fallback is ConfiguredModelResolver configured ? configured.PreloadNames : []);

    /// <inheritdoc/>
    public ModelDescriptor Resolve(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_models.TryGetValue(name, out var model))
        {
            return _descriptors.GetOrAdd(name, _ =>
            {
                var settings = (model.Settings ?? new ModelSettings()).WithDefaultParallelSequences(_defaultParallel);
                return new ModelDescriptor(model.Name, model.Path, PlanMemory(model.Path, settings), settings);
            });
        }

        return _fallback?.Resolve(name) ?? throw new ModelException(ModelErrorCodes.ModelNotFound, "The model does not exist.");
    }

    private static long PlanMemory(string path, ModelSettings settings)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            return VariantSelector.OverheadBytes;
        }

        try
        {
            using var file = GgufFile.Open(path);
            var hp = ModelTensorLayout.Validate(file.Header).Hyperparameters;
            var kvPerToken = KvCacheSize.BytesPerToken(hp, settings.KvCacheType ?? KvCacheType.F16);
            var context = settings.ContextLength ?? Math.Min(hp.ContextLength, ContextOptions.DefaultMaxContextLength);
            return VariantSelector.MemoryNeeded(info.Length, kvPerToken, context, settings.ParallelSequences ?? 1);
        }
        catch (InvalidModelFileException e)
        {
            // The reader's code and fixed message say why (the CLI prints them; the server answers with its own fixed text).
            throw new ModelException(ModelErrorCodes.InvalidModelFile, $"The model file is not a runnable GGUF model: {e.Code}: {e.Message}", e);
        }
    }
}

/// <summary>An <c>edgewise.yaml</c> entry that is not a file: a store alias (<paramref name="Alias"/>) or a remote model (no alias, remote backends in its settings).</summary>
public sealed record ConfiguredModel(string Name, string? Alias, ModelSettings Settings);

/// <summary>
/// Answers configured store aliases under their entry name with their entry's settings (the inner resolver finds the file
/// and plans its memory with those settings) and configured remote models (no file, no memory from the budget); anything
/// else goes to the inner resolver.
/// </summary>
public sealed class ConfiguredModelResolver(IEnumerable<ConfiguredModel> models, IModelResolver? inner) : IModelResolver
{
    private readonly Dictionary<string, ConfiguredModel> _models = models.ToDictionary(m => m.Name, StringComparer.Ordinal);

    /// <summary>Remote entries, and alias entries whose model is installed (listing never fails on a model not pulled yet).</summary>
    public IEnumerable<string> Names => _models.Values.Where(m => m.Alias is null || Installed(m.Alias)).Select(m => m.Name);

    /// <summary>The entries marked <see cref="ModelSettings.Preload"/>.</summary>
    public IEnumerable<string> PreloadNames => _models.Values.Where(m => m.Settings.Preload).Select(m => m.Name);

    /// <inheritdoc/>
    public ModelDescriptor Resolve(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!_models.TryGetValue(name, out var model))
        {
            return inner?.Resolve(name) ?? throw new ModelException(ModelErrorCodes.ModelNotFound, "The model does not exist.");
        }

        if (model.Alias is not { } alias)
        {
            // No file: the path names the endpoint, so listings that look for a file find none.
            return new ModelDescriptor(model.Name, model.Settings.RemoteBackends[0].Endpoint.AbsoluteUri, 0, model.Settings);
        }

        var found = inner?.Resolve(alias, model.Settings) ?? throw new ModelException(ModelErrorCodes.ModelNotFound, "The model is not installed: run 'edgewise pull NAME'.");
        // The entry's settings, with the sequence count the store resolver planned memory for when the entry sets none.
        return found with { Name = model.Name, Settings = model.Settings.WithDefaultParallelSequences(found.Settings.ParallelSequences ?? 1) };
    }

    private bool Installed(string alias)
    {
        try
        {
            return inner?.Resolve(alias) is not null;
        }
        catch (ModelException)
        {
            return false;
        }
    }
}
