namespace Edgewise.Gguf;

/// <summary>Stable error codes carried by <see cref="InvalidModelFileException.Code"/>.</summary>
public static class GgufErrorCodes
{
    /// <summary>Unspecified invalid file.</summary>
    public const string Invalid = "gguf.invalid";

    /// <summary>File shorter than the fixed header.</summary>
    public const string HeaderTruncated = "gguf.header.truncated";

    /// <summary>Magic is not <c>GGUF</c>.</summary>
    public const string HeaderMagic = "gguf.header.magic";

    /// <summary>Unsupported version (only 2 and 3; byte-swapped files are refused).</summary>
    public const string HeaderVersion = "gguf.header.version";

    /// <summary>tensor_count too large for the file or above the cap.</summary>
    public const string HeaderTensorCount = "gguf.header.tensor_count";

    /// <summary>kv_count too large for the file or above the cap.</summary>
    public const string HeaderKvCount = "gguf.header.kv_count";

    /// <summary>Metadata ended before the declared content.</summary>
    public const string Truncated = "gguf.truncated";

    /// <summary>Key empty, too long, or not printable ASCII.</summary>
    public const string KvKey = "gguf.kv.key";

    /// <summary>The same key appears twice.</summary>
    public const string KvDuplicate = "gguf.kv.duplicate";

    /// <summary>Unknown metadata value type.</summary>
    public const string KvType = "gguf.kv.type";

    /// <summary>A string longer than its cap or than the remaining bytes.</summary>
    public const string KvString = "gguf.kv.string";

    /// <summary>An array longer than its cap or than the remaining bytes, or of an invalid element type.</summary>
    public const string KvArray = "gguf.kv.array";

    /// <summary>An array whose element type is itself ARRAY.</summary>
    public const string KvNestedArray = "gguf.kv.nested_array";

    /// <summary>A bool that is neither 0 nor 1.</summary>
    public const string KvBool = "gguf.kv.bool";

    /// <summary>A well-known key has the wrong value type or an invalid value.</summary>
    public const string KvValue = "gguf.kv.value";

    /// <summary><c>general.alignment</c> is zero, not a power of two, too large, or not UINT32.</summary>
    public const string Alignment = "gguf.alignment";

    /// <summary>Tensor name empty, too long, not UTF-8, or duplicated.</summary>
    public const string TensorName = "gguf.tensor.name";

    /// <summary>Unknown or removed tensor type.</summary>
    public const string TensorType = "gguf.tensor.type";

    /// <summary>Bad dimension count, a dimension below 1, or a row that is not a multiple of the block size.</summary>
    public const string TensorShape = "gguf.tensor.shape";

    /// <summary>Element count or byte size overflows.</summary>
    public const string TensorSize = "gguf.tensor.size";

    /// <summary>Tensor offset unaligned, wrapping, or past the end of the file.</summary>
    public const string TensorOffset = "gguf.tensor.offset";

    /// <summary>Two tensors' data ranges overlap.</summary>
    public const string TensorOverlap = "gguf.tensor.overlap";

    /// <summary>The data section is shorter than the tensors need.</summary>
    public const string DataTruncated = "gguf.data.truncated";

    /// <summary>The architecture is not one Edgewise runs.</summary>
    public const string ArchitectureUnsupported = "model.architecture.unsupported";

    /// <summary>A hyperparameter is missing or out of range.</summary>
    public const string Hyperparameter = "model.hparams";

    /// <summary>A required tensor is missing.</summary>
    public const string TensorMissing = "model.tensor.missing";

    /// <summary>A tensor's shape disagrees with the hyperparameters.</summary>
    public const string TensorShapeMismatch = "model.tensor.shape";

    /// <summary>The tokenizer metadata is missing or inconsistent.</summary>
    public const string Vocab = "vocab.invalid";

    /// <summary>The file could not be read.</summary>
    public const string Io = "gguf.io";

    /// <summary>The path is not a regular file (a FIFO, socket, terminal or other device would block or never end).</summary>
    public const string NotRegularFile = "gguf.io.not_regular";
}
