namespace Edgewise.Inference.Runtime;

/// <summary>Settings of a <see cref="Context"/>. A null property means "default", as documented on each.</summary>
public sealed class ContextOptions
{
    /// <summary>
    /// Default context length when the model's training context is longer; memory planning (variant choice, model
    /// budgets) assumes it too when no context is configured.
    /// </summary>
    public const int DefaultMaxContextLength = 4096;

    /// <summary>Default tokens per forward batch.</summary>
    public const int DefaultBatchSize = 512;

    private int? _contextLength;
    private int? _batchSize;
    private int? _sequenceCount;
    private int? _maxLogitRows;
    private int? _threads;

    /// <summary>Positions per sequence. Default: the model's training context, at most 4096.</summary>
    public int? ContextLength
    {
        get => _contextLength;
        set => _contextLength = Positive(value);
    }

    /// <summary>Most tokens per forward batch (a longer prompt is processed in several). Default 512.</summary>
    public int? BatchSize
    {
        get => _batchSize;
        set => _batchSize = Positive(value);
    }

    /// <summary>Independent sequences, each with its own KV cache of <see cref="ContextLength"/> positions. Default 1.</summary>
    public int? SequenceCount
    {
        get => _sequenceCount;
        set => _sequenceCount = Positive(value);
    }

    /// <summary>
    /// Most positions whose logits one <see cref="Context.Evaluate"/> call can return (each needs vocabulary-size
    /// floats). Default 1: only the last token's logits.
    /// </summary>
    public int? MaxLogitRows
    {
        get => _maxLogitRows;
        set => _maxLogitRows = Positive(value);
    }

    /// <summary>KV cache storage. Default <see cref="KvCacheType.F16"/>.</summary>
    public KvCacheType? KvCacheType { get; set; }

    /// <summary>Worker threads for matrix products and attention. Default: the processor count.</summary>
    public int? Threads
    {
        get => _threads;
        set => _threads = Positive(value);
    }

    private static int? Positive(int? value, [System.Runtime.CompilerServices.CallerMemberName] string name = "") =>
        value is <= 0 ? throw new ArgumentOutOfRangeException(name, "The value must be positive.") : value;
}
