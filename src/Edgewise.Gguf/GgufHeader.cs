namespace Edgewise.Gguf;

/// <summary>The parsed and validated header, metadata and tensor directory of a GGUF file.</summary>
public sealed class GgufHeader
{
    private readonly Dictionary<string, GgufTensorInfo> _byName;

    internal GgufHeader(int version, GgufMetadata metadata, List<GgufTensorInfo> tensors, int alignment, long dataOffset, long headerLength, long fileLength)
    {
        Version = version;
        Metadata = metadata;
        Tensors = tensors;
        Alignment = alignment;
        DataOffset = dataOffset;
        HeaderLength = headerLength;
        FileLength = fileLength;
        _byName = new Dictionary<string, GgufTensorInfo>(tensors.Count, StringComparer.Ordinal);
        foreach (var t in tensors)
        {
            _byName[t.Name] = t;
        }
    }

    /// <summary>GGUF version (2 or 3).</summary>
    public int Version { get; }

    /// <summary>Metadata in file order.</summary>
    public GgufMetadata Metadata { get; }

    /// <summary>Tensor directory in file order.</summary>
    public IReadOnlyList<GgufTensorInfo> Tensors { get; }

    /// <summary>Data alignment.</summary>
    public int Alignment { get; }

    /// <summary>Absolute offset of the data section.</summary>
    public long DataOffset { get; }

    /// <summary>Bytes of header, metadata and tensor directory (before alignment padding).</summary>
    public long HeaderLength { get; }

    /// <summary>Total file length.</summary>
    public long FileLength { get; }

    /// <summary>The tensor named <paramref name="name"/>, or null.</summary>
    public GgufTensorInfo? FindTensor(string name) => _byName.GetValueOrDefault(name);

    /// <summary><c>general.architecture</c>, or null.</summary>
    public string? Architecture => Metadata.GetString(GgufKeys.General.Architecture);
}
