using System.Collections.Concurrent;
using Edgewise.Gguf;
using Edgewise.Gguf.Architectures;
using Edgewise.Models;
using Edgewise.Models.Hardware;
using Edgewise.Models.Management;

namespace Edgewise.Server.Hosting;

/// <summary>
/// Resolves the models registered at start (<see cref="ServerOptions.Models"/>) by their exact name, then asks the
/// fallback resolver (the model store, in <c>edgewise serve</c>). Memory is planned like the store does: weights plus
/// an F16 KV cache at the configured context for the configured sequences, plus overhead.
/// </summary>
internal sealed class RegisteredModelResolver : IModelResolver
{
    private readonly Dictionary<string, ServerModel> _models;
    private readonly IModelResolver? _fallback;
    private readonly ConcurrentDictionary<string, ModelDescriptor> _descriptors = new(StringComparer.Ordinal);

    public RegisteredModelResolver(IEnumerable<ServerModel> models, IModelResolver? fallback)
    {
        _models = new Dictionary<string, ServerModel>(StringComparer.Ordinal);
        foreach (var model in models)
        {
            if (!_models.TryAdd(model.Name, model))
            {
                throw new ServerConfigurationException("Two models were registered under the same name.");
            }
        }

        _fallback = fallback;
    }

    /// <summary>The registered names, in registration order.</summary>
    public IEnumerable<string> Names => _models.Keys;

    public ModelDescriptor Resolve(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_models.TryGetValue(name, out var model))
        {
            return _descriptors.GetOrAdd(name, _ =>
            {
                var settings = model.Settings ?? new ModelSettings();
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
            var kvPerToken = 2L * hp.BlockCount * (hp.KeyValueLength + (long)hp.ValueLength);
            var context = settings.ContextLength ?? Math.Min(hp.ContextLength, VariantSelector.DefaultContextLength);
            return VariantSelector.MemoryNeeded(info.Length, kvPerToken, context, settings.ParallelSequences ?? 1);
        }
        catch (InvalidModelFileException e)
        {
            throw new ModelException(ModelErrorCodes.InvalidModelFile, "The model file is not a runnable GGUF model.", e);
        }
    }
}
