namespace Edgewise.Gguf;

/// <summary>
/// Absolute caps applied while parsing, on top of the "count × minimum encoded size ≤ remaining bytes" rule
/// (docs/security.md §1.1). They are far above what published models use.
/// </summary>
public static class GgufLimits
{
    /// <summary>Size of the fixed header: magic, version, tensor count, kv count.</summary>
    public const int HeaderBytes = 24;

    /// <summary>Longest metadata key, in bytes.</summary>
    public const int MaxKeyBytes = 65_535;

    /// <summary>Longest string value (other than chat templates), in bytes.</summary>
    public const int MaxStringBytes = 1 << 20;

    /// <summary>
    /// Longest chat template string the parser accepts. The template renderer applies its own, smaller cap and
    /// falls back to a built-in template, so an oversized template does not make the whole model unusable.
    /// </summary>
    public const int MaxChatTemplateBytes = 16 << 20;

    /// <summary>Most elements in one metadata array.</summary>
    public const int MaxArrayElements = 16 << 20;

    /// <summary>Most metadata entries.</summary>
    public const int MaxKeyValues = 1 << 20;

    /// <summary>Most tensors.</summary>
    public const int MaxTensors = 1 << 20;

    /// <summary>Most dimensions of a tensor.</summary>
    public const int MaxDimensions = 4;

    /// <summary>Longest tensor name in bytes (ggml's limit is 64 including the terminator).</summary>
    public const int MaxTensorNameBytes = 63;

    /// <summary>Largest accepted <c>general.alignment</c>.</summary>
    public const int MaxAlignment = 1 << 20;

    /// <summary>Alignment when <c>general.alignment</c> is absent.</summary>
    public const int DefaultAlignment = 32;

    /// <summary>Smallest possible encoding of one key/value pair.</summary>
    public const int MinKeyValueBytes = 14;

    /// <summary>Smallest possible encoding of one tensor-info entry.</summary>
    public const int MinTensorInfoBytes = 33;
}
