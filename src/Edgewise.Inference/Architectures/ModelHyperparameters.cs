using Edgewise.Gguf;

namespace Edgewise.Inference.Architectures;

/// <summary>
/// Typed, range-checked hyperparameters of a transformer model, read from the <c>{arch}.*</c> metadata keys and the
/// presence of a few tensors. Reading does no maths beyond defaults; every value an engine sizes buffers with is
/// checked here, before any allocation.
/// </summary>
public sealed record ModelHyperparameters
{
    /// <summary>Most transformer blocks accepted.</summary>
    public const int MaxBlockCount = 1024;

    /// <summary>Longest context accepted (2^24 tokens).</summary>
    public const int MaxContextLength = 1 << 24;

    /// <summary>Widest hidden size, FFN size or head dimension accepted.</summary>
    public const int MaxWidth = 1 << 20;

    /// <summary>Most attention heads accepted.</summary>
    public const int MaxHeadCount = 4096;

    /// <summary>Largest vocabulary accepted.</summary>
    public const int MaxVocabSize = 1 << 24;

    /// <summary>The architecture (one of <see cref="ModelArchitectures.All"/>).</summary>
    public required ModelArchitecture Architecture { get; init; }

    /// <summary>The GGUF architecture name (the prefix of the hyperparameter keys).</summary>
    public string ArchitectureName => Architecture.Name;

    /// <summary>Training context length (<c>{arch}.context_length</c>).</summary>
    public required int ContextLength { get; init; }

    /// <summary>Hidden size n_embd.</summary>
    public required int EmbeddingLength { get; init; }

    /// <summary>Number of transformer blocks.</summary>
    public required int BlockCount { get; init; }

    /// <summary>FFN inner size n_ff.</summary>
    public required int FeedForwardLength { get; init; }

    /// <summary>Query heads.</summary>
    public required int HeadCount { get; init; }

    /// <summary>Key/value heads (divides <see cref="HeadCount"/>).</summary>
    public required int HeadCountKv { get; init; }

    /// <summary>Per-head size of Q and K (<c>attention.key_length</c>, default n_embd / n_head).</summary>
    public required int HeadDimension { get; init; }

    /// <summary>Per-head size of V (<c>attention.value_length</c>, default n_embd / n_head).</summary>
    public required int ValueHeadDimension { get; init; }

    /// <summary>Rotated dimensions per head (<c>rope.dimension_count</c>, default the head dimension).</summary>
    public required int RopeDimensionCount { get; init; }

    /// <summary>RoPE base θ (<c>rope.freq_base</c>, default 10000).</summary>
    public required float RopeFreqBase { get; init; }

    /// <summary>RMSNorm epsilon.</summary>
    public required float RmsEpsilon { get; init; }

    /// <summary>Vocabulary size: <c>{arch}.vocab_size</c>, else the number of tokenizer tokens.</summary>
    public required int VocabSize { get; init; }

    /// <summary>RoPE scaling.</summary>
    public required RopeScaling RopeScaling { get; init; }

    /// <summary>Sliding attention window, when the file declares one (phi3 reads it but attends causally over all).</summary>
    public int? SlidingWindow { get; init; }

    /// <summary>True when there is no <c>output.weight</c> and the output layer reuses <c>token_embd</c>.</summary>
    public required bool TiedOutput { get; init; }

    /// <summary>Q projection width: heads × head dimension.</summary>
    public int QueryLength => HeadCount * HeadDimension;

    /// <summary>K projection width: KV heads × head dimension.</summary>
    public int KeyValueLength => HeadCountKv * HeadDimension;

    /// <summary>V projection width: KV heads × value head dimension.</summary>
    public int ValueLength => HeadCountKv * ValueHeadDimension;

    /// <summary>Reads and checks the hyperparameters of <paramref name="header"/>.</summary>
    /// <exception cref="InvalidModelFileException">
    /// <c>model.architecture.unsupported</c> for an architecture Edgewise does not run; <c>model.hparams</c> for a
    /// missing or out-of-range value.
    /// </exception>
    public static ModelHyperparameters Read(GgufHeader header)
    {
        ArgumentNullException.ThrowIfNull(header);
        var name = header.Architecture;
        if (!ModelArchitectures.TryParse(name, out var architecture))
        {
            throw Unsupported(name);
        }

        var m = header.Metadata;
        var contextLength = RequireInt(m, GgufKeys.Llm.ContextLength(name!), 1, MaxContextLength, "The context length is missing or out of range.");
        var embedding = RequireInt(m, GgufKeys.Llm.EmbeddingLength(name!), 1, MaxWidth, "The embedding length is missing or out of range.");
        var blocks = RequireInt(m, GgufKeys.Llm.BlockCount(name!), 1, MaxBlockCount, "The block count is missing or out of range.");
        var ffn = RequireInt(m, GgufKeys.Llm.FeedForwardLength(name!), 1, MaxWidth, "The feed-forward length is missing or out of range.");
        var heads = RequireInt(m, GgufKeys.Llm.HeadCount(name!), 1, MaxHeadCount, "The head count is missing or out of range.");
        var kvHeads = OptionalInt(m, GgufKeys.Llm.HeadCountKv(name!), 1, heads, heads, "The KV head count is out of range.");
        if (heads % kvHeads != 0)
        {
            throw Hyperparameter("The head count is not a multiple of the KV head count.");
        }

        var defaultHeadDim = embedding % heads == 0 ? embedding / heads : 0;
        var headDim = OptionalInt(m, GgufKeys.Llm.KeyLength(name!), 1, MaxWidth, defaultHeadDim, "The key length is out of range.");
        var valueDim = OptionalInt(m, GgufKeys.Llm.ValueLength(name!), 1, MaxWidth, defaultHeadDim, "The value length is out of range.");
        if (headDim == 0 || valueDim == 0)
        {
            throw Hyperparameter("The head count does not divide the embedding length.");
        }

        if (headDim != valueDim)
        {
            throw Hyperparameter("Key and value head dimensions differ.");
        }

        var ropeDims = OptionalInt(m, GgufKeys.Llm.RopeDimensionCount(name!), 2, headDim, headDim, "The rope dimension count is out of range.");
        if (ropeDims % 2 != 0)
        {
            throw Hyperparameter("The rope dimension count is odd.");
        }

        var theta = OptionalFloat(m, GgufKeys.Llm.RopeFreqBase(name!), 10000f);
        if (!float.IsFinite(theta) || theta <= 0)
        {
            throw Hyperparameter("The rope frequency base is not a positive finite number.");
        }

        var eps = m.GetDouble(GgufKeys.Llm.RmsEpsilon(name!)) is { } e ? (float)e : float.NaN;
        if (!float.IsFinite(eps) || eps <= 0)
        {
            throw Hyperparameter("The RMS norm epsilon is missing or not a positive finite number.");
        }

        return new ModelHyperparameters
        {
            Architecture = architecture,
            ContextLength = contextLength,
            EmbeddingLength = embedding,
            BlockCount = blocks,
            FeedForwardLength = ffn,
            HeadCount = heads,
            HeadCountKv = kvHeads,
            HeadDimension = headDim,
            ValueHeadDimension = valueDim,
            RopeDimensionCount = ropeDims,
            RopeFreqBase = theta,
            RmsEpsilon = eps,
            VocabSize = ReadVocabSize(m, name!),
            RopeScaling = ReadRopeScaling(header, architecture, name!),
            SlidingWindow = m.Contains(GgufKeys.Llm.SlidingWindow(name!))
                ? OptionalInt(m, GgufKeys.Llm.SlidingWindow(name!), 1, int.MaxValue, 0, "The sliding window is out of range.")
                : null,
            TiedOutput = header.FindTensor(TensorNames.Output) is null,
        };
    }

    private static int ReadVocabSize(GgufMetadata m, string arch)
    {
        var key = GgufKeys.Llm.VocabSize(arch);
        if (m.Contains(key))
        {
            return RequireInt(m, key, 1, MaxVocabSize, "The vocabulary size is out of range.");
        }

        var tokens = m[GgufKeys.Tokenizer.Tokens];
        return tokens is { IsArray: true } && tokens.Count is > 0 and <= MaxVocabSize
            ? tokens.Count
            : throw Hyperparameter("The vocabulary size is missing.");
    }

    private static RopeScaling ReadRopeScaling(GgufHeader header, ModelArchitecture architecture, string arch)
    {
        var m = header.Metadata;
        var original = OptionalInt(m, GgufKeys.Llm.RopeScalingOriginalContext(arch), 0, MaxContextLength, 0, "The original context length is out of range.");
        var attnFactor = OptionalFloat(m, GgufKeys.Llm.RopeScalingAttnFactor(arch), 1f);
        if (!float.IsFinite(attnFactor) || attnFactor <= 0)
        {
            throw Hyperparameter("The rope attention factor is not a positive finite number.");
        }

        // Only an architecture that declares rope_freqs binds it (ModelArchitecture.Bind); one in any other file is ignored.
        if (architecture.DeclaresRopeFrequencies && header.FindTensor(TensorNames.RopeFreqs) is not null)
        {
            return new RopeScaling(RopeScalingKind.FrequencyFactors, original, attnFactor);
        }

        var hasLongRope = header.FindTensor(TensorNames.RopeFactorsLong) is not null
            || header.FindTensor(TensorNames.RopeFactorsShort) is not null;
        if (architecture.UsesLongRope && hasLongRope)
        {
            return new RopeScaling(RopeScalingKind.LongRope, original, attnFactor);
        }

        return attnFactor == 1f && original == 0 ? RopeScaling.None : new RopeScaling(RopeScalingKind.None, original, attnFactor);
    }

    private static int RequireInt(GgufMetadata m, string key, int min, int max, string message)
    {
        var value = m.GetInt64(key);
        return value is { } v && v >= min && v <= max ? (int)v : throw Hyperparameter(message);
    }

    private static int OptionalInt(GgufMetadata m, string key, int min, int max, int fallback, string message)
    {
        if (!m.Contains(key))
        {
            return fallback;
        }

        return RequireInt(m, key, min, max, message);
    }

    private static float OptionalFloat(GgufMetadata m, string key, float fallback)
    {
        if (!m.Contains(key))
        {
            return fallback;
        }

        return m.GetDouble(key) is { } d ? (float)d : float.NaN;
    }

    private static InvalidModelFileException Hyperparameter(string message) =>
        new(GgufErrorCodes.Hyperparameter, -1, message);

    private static InvalidModelFileException Unsupported(string? name)
    {
        if (name is null)
        {
            return new InvalidModelFileException(GgufErrorCodes.ArchitectureUnsupported, -1, "The model file names no architecture.");
        }

        var printable = name.Length is > 0 and <= 32 && name.All(c => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '-' or '_' or '.');
        return new InvalidModelFileException(
            GgufErrorCodes.ArchitectureUnsupported,
            -1,
            printable ? $"The architecture '{name}' is not supported." : "The architecture is not supported.");
    }
}
