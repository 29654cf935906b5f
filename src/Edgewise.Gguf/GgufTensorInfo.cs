namespace Edgewise.Gguf;

/// <summary>One entry of the tensor directory, already validated against the file.</summary>
public sealed class GgufTensorInfo
{
    /// <summary>Creates a tensor descriptor.</summary>
    public GgufTensorInfo(string name, GgmlType type, long[] dimensions, long offset, long byteSize)
    {
        ArgumentNullException.ThrowIfNull(dimensions);
        Name = name;
        Type = type;
        Dimensions = dimensions;
        Offset = offset;
        ByteSize = byteSize;
        long count = 1;
        foreach (var d in dimensions)
        {
            count = checked(count * d);
        }

        ElementCount = count;
    }

    /// <summary>Tensor name, e.g. <c>blk.0.attn_q.weight</c>.</summary>
    public string Name { get; }

    /// <summary>Storage type.</summary>
    public GgmlType Type { get; }

    /// <summary>Dimensions, innermost (row length, ne[0]) first, as GGUF stores them.</summary>
    public IReadOnlyList<long> Dimensions { get; }

    /// <summary>Offset of the data relative to the start of the data section.</summary>
    public long Offset { get; }

    /// <summary>Bytes of data.</summary>
    public long ByteSize { get; }

    /// <summary>Total number of elements.</summary>
    public long ElementCount { get; }

    /// <summary>Row length (ne[0]).</summary>
    public long Columns => Dimensions[0];

    /// <summary>Number of rows (product of the outer dimensions).</summary>
    public long Rows => ElementCount / Dimensions[0];

    /// <inheritdoc/>
    public override string ToString() => $"{Name} {Type} [{string.Join(", ", Dimensions)}]";
}
