using Edgewise.Gguf;
using Edgewise.Inference.Architectures;
using Edgewise.Inference.Runtime;

namespace Edgewise.Inference.Model;

/// <summary>
/// A loaded model: its validated hyperparameters and its weights, bound by name and read in place from the memory
/// map, except the matrices whose kernels run faster on a re-laid copy made at load (Q4_0, Q5_0 and Q8_0 on CPUs with AVX-VNNI; see
/// <see cref="Numerics.WeightPacking"/>). Immutable and shareable across threads; per-request state lives in a
/// <see cref="Context"/>. Dispose after every context made from it is done.
/// </summary>
public sealed class LocalModel : IDisposable
{
    private readonly GgufFile _file;
    private readonly bool _ownsFile;
    private readonly ModelWeights _weights;
    private readonly Lazy<Tokenization.Tokenizer> _tokenizer;

    private LocalModel(GgufFile file, bool ownsFile, bool repack)
    {
        Hyperparameters = ModelValidator.ValidateWeights(file).Hyperparameters;
        _tokenizer = new Lazy<Tokenization.Tokenizer>(() => Tokenization.Tokenizer.FromGguf(file.Metadata));
        _weights = Hyperparameters.Architecture.Bind(new WeightBinder(file), Hyperparameters);
        if (repack)
        {
            try
            {
                RepackedBytes = _weights.Repack(SystemMemory.Read().Available);
                ReleasedFileBytes = _weights.ReleaseReplacedPages(file);
            }
            catch
            {
                _weights.Dispose();
                throw;
            }
        }

        _file = file;
        _ownsFile = ownsFile;
        WeightKinds = [.. _weights.Matrices()
            .GroupBy(m => (m.Type, m.Layout))
            .Select(g => new WeightKind(g.Key.Type, g.Key.Layout, g.Count(), g.Sum(m => (long)m.RowBytes * m.Rows)))
            .OrderByDescending(k => k.Bytes)];
    }

    /// <summary>
    /// The matrices the forward pass multiplies by, grouped by storage type and by the layout they are read in here
    /// (re-laid at load or in place), largest share first: with <see cref="Numerics.KernelDispatch"/>, which kernels a
    /// measurement of this model ran.
    /// </summary>
    public IReadOnlyList<WeightKind> WeightKinds { get; }

    /// <summary>
    /// Bytes allocated at load for weights copied into a faster layout (held in memory besides the mapped file); 0 when
    /// none, including when the copies would not have left a quarter of the available memory free.
    /// </summary>
    public long RepackedBytes { get; }

    /// <summary>
    /// Bytes of the mapped file released from this process's resident memory after <see cref="RepackedBytes"/> were
    /// copied (whole 2 MiB blocks that only re-laid matrices occupied); the file's cached pages stay with the OS.
    /// </summary>
    public long ReleasedFileBytes { get; }

    /// <summary>The hyperparameters.</summary>
    public ModelHyperparameters Hyperparameters { get; }

    /// <summary>The model's tokenizer, built and checked on first use (once; every caller shares it).</summary>
    /// <exception cref="InvalidModelFileException">The tokenizer metadata is invalid (<c>vocab.*</c>).</exception>
    public Tokenization.Tokenizer Tokenizer => _tokenizer.Value;

    /// <summary>The architecture.</summary>
    public ModelArchitecture Architecture => Hyperparameters.Architecture;

    /// <summary>The file's metadata (tokenizer, chat template, names).</summary>
    public GgufMetadata Metadata => _file.Metadata;

    /// <summary><c>general.name</c>, or null.</summary>
    public string? Name => _file.Metadata.GetString(GgufKeys.General.Name);

    /// <summary>Opens, validates and binds the GGUF model at <paramref name="path"/>.</summary>
    /// <param name="path">The GGUF file.</param>
    /// <param name="repack">Whether to copy the matrices that run faster in another layout on this CPU (see
    /// <see cref="RepackedBytes"/>); false reads every weight in place from the mapped file.</param>
    /// <exception cref="InvalidModelFileException">The file is malformed, its architecture is not supported, or its tensors disagree with its hyperparameters.</exception>
    public static LocalModel Load(string path, bool repack = true)
    {
        var file = GgufFile.Open(path);
        try
        {
            return new LocalModel(file, ownsFile: true, repack);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Validates and binds an already open file; with <paramref name="ownsFile"/> the model disposes it.</summary>
    /// <param name="file">The open GGUF file.</param>
    /// <param name="ownsFile">Whether disposing the model disposes the file.</param>
    /// <param name="repack">As for <see cref="Load(string, bool)"/>.</param>
    /// <exception cref="InvalidModelFileException">The architecture is not supported or the tensors disagree with the hyperparameters.</exception>
    public static LocalModel Load(GgufFile file, bool ownsFile, bool repack = true)
    {
        ArgumentNullException.ThrowIfNull(file);
        return new LocalModel(file, ownsFile, repack);
    }

    /// <summary>Creates a context: KV cache, scratch and logits buffers, allocated now.</summary>
    public Context CreateContext(ContextOptions? options = null) => new(this, _weights, options ?? new ContextOptions());

    /// <inheritdoc/>
    public void Dispose()
    {
        _weights.Dispose();
        if (_ownsFile)
        {
            _file.Dispose();
        }
    }
}
