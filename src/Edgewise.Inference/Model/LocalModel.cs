using Edgewise.Gguf;
using Edgewise.Gguf.Architectures;
using Edgewise.Inference.Architectures;
using Edgewise.Inference.Runtime;

namespace Edgewise.Inference.Model;

/// <summary>
/// A loaded model: its validated hyperparameters and its weights, bound by name and read in place from the memory
/// map. Immutable and shareable across threads; per-request state lives in a <see cref="Context"/>. Dispose after
/// every context made from it is done.
/// </summary>
public sealed class LocalModel : IDisposable
{
    private readonly GgufFile _file;
    private readonly bool _ownsFile;
    private readonly ModelWeights _weights;

    private LocalModel(GgufFile file, bool ownsFile)
    {
        var layout = ModelTensorLayout.Validate(file.Header);
        Hyperparameters = layout.Hyperparameters;
        Definition = ArchitectureDefinition.For(Hyperparameters.Architecture);
        _weights = Definition.Bind(new WeightBinder(file), Hyperparameters);
        _file = file;
        _ownsFile = ownsFile;
    }

    /// <summary>The hyperparameters.</summary>
    public ModelHyperparameters Hyperparameters { get; }

    /// <summary>The architecture.</summary>
    public ModelArchitecture Architecture => Hyperparameters.Architecture;

    /// <summary>The file's metadata (tokenizer, chat template, names).</summary>
    public GgufMetadata Metadata => _file.Metadata;

    /// <summary><c>general.name</c>, or null.</summary>
    public string? Name => _file.Metadata.GetString(GgufKeys.General.Name);

    internal ArchitectureDefinition Definition { get; }

    /// <summary>Opens, validates and binds the GGUF model at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidModelFileException">The file is malformed, its architecture is not supported, or its tensors disagree with its hyperparameters.</exception>
    public static LocalModel Load(string path)
    {
        var file = GgufFile.Open(path);
        try
        {
            return new LocalModel(file, ownsFile: true);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Validates and binds an already open file; with <paramref name="ownsFile"/> the model disposes it.</summary>
    /// <exception cref="InvalidModelFileException">The architecture is not supported or the tensors disagree with the hyperparameters.</exception>
    public static LocalModel Load(GgufFile file, bool ownsFile)
    {
        ArgumentNullException.ThrowIfNull(file);
        return new LocalModel(file, ownsFile);
    }

    /// <summary>Creates a context: KV cache, scratch and logits buffers, allocated now.</summary>
    public Context CreateContext(ContextOptions? options = null) => new(this, _weights, options ?? new ContextOptions());

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_ownsFile)
        {
            _file.Dispose();
        }
    }
}
