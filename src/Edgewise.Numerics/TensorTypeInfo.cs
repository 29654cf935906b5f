namespace Edgewise.Numerics;

/// <summary>
/// Storage geometry of a <see cref="TensorType"/>: how many elements form one block and how many bytes the
/// block takes. Rows of a tensor are whole numbers of blocks.
/// </summary>
public sealed class TensorTypeInfo
{
    private static readonly TensorTypeInfo[] s_byId = Build();

    private TensorTypeInfo(TensorType type, string name, int blockSize, int bytesPerBlock)
    {
        Type = type;
        Name = name;
        BlockSize = blockSize;
        BytesPerBlock = bytesPerBlock;
    }

    /// <summary>The type described.</summary>
    public TensorType Type { get; }

    /// <summary>The conventional name, e.g. <c>"Q4_K"</c>, <c>"F16"</c>, <c>"BF16"</c>.</summary>
    public string Name { get; }

    /// <summary>Elements per block (1 for the float types).</summary>
    public int BlockSize { get; }

    /// <summary>Bytes per block.</summary>
    public int BytesPerBlock { get; }

    /// <summary>Whether the type stores elements in quantized blocks (block size above 1).</summary>
    public bool IsQuantized => BlockSize > 1;

    /// <summary>Every type this library knows, in ascending id order.</summary>
    public static IReadOnlyList<TensorTypeInfo> All { get; } = Array.FindAll(s_byId, static t => t is not null);

    /// <summary>Returns the geometry of <paramref name="type"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a type this library knows.</exception>
    public static TensorTypeInfo Get(TensorType type) =>
        TryGet(type, out var info) ? info : throw new ArgumentOutOfRangeException(nameof(type), "Unknown tensor type.");

    /// <summary>Looks up the geometry of <paramref name="type"/>; false for values this library does not know.</summary>
    public static bool TryGet(TensorType type, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TensorTypeInfo? info)
    {
        var id = (int)type;
        info = (uint)id < (uint)s_byId.Length ? s_byId[id] : null;
        return info is not null;
    }

    /// <summary>Looks up a type by its name (ordinal, case-insensitive), e.g. <c>"q4_k"</c>.</summary>
    public static bool TryGetByName(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TensorTypeInfo? info)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (var candidate in All)
        {
            if (string.Equals(candidate.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                info = candidate;
                return true;
            }
        }

        info = null;
        return false;
    }

    /// <summary>Bytes taken by <paramref name="elements"/> consecutive elements (one row).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="elements"/> is negative.</exception>
    /// <exception cref="ArgumentException"><paramref name="elements"/> is not a multiple of <see cref="BlockSize"/>.</exception>
    /// <exception cref="OverflowException">The byte count does not fit in a <see cref="long"/>.</exception>
    public long RowBytes(long elements)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(elements);
        if (elements % BlockSize != 0)
        {
            throw new ArgumentException("The element count is not a multiple of the block size.", nameof(elements));
        }

        return checked(elements / BlockSize * BytesPerBlock);
    }

    /// <summary>
    /// Computes <see cref="RowBytes(long)"/> without throwing: false when <paramref name="elements"/> is negative,
    /// not a multiple of the block size, or the byte count overflows.
    /// </summary>
    public bool TryGetRowBytes(long elements, out long bytes)
    {
        bytes = 0;
        if (elements < 0 || elements % BlockSize != 0)
        {
            return false;
        }

        var blocks = elements / BlockSize;
        if (blocks > long.MaxValue / BytesPerBlock)
        {
            return false;
        }

        bytes = blocks * BytesPerBlock;
        return true;
    }

    /// <inheritdoc/>
    public override string ToString() => Name;

    private static TensorTypeInfo[] Build()
    {
        var table = new TensorTypeInfo[(int)TensorType.BF16 + 1];
        void Add(TensorType type, string name, int blockSize, int bytes) => table[(int)type] = new(type, name, blockSize, bytes);

        Add(TensorType.F32, "F32", 1, 4);
        Add(TensorType.F16, "F16", 1, 2);
        Add(TensorType.Q4_0, "Q4_0", 32, 18);
        Add(TensorType.Q4_1, "Q4_1", 32, 20);
        Add(TensorType.Q5_0, "Q5_0", 32, 22);
        Add(TensorType.Q5_1, "Q5_1", 32, 24);
        Add(TensorType.Q8_0, "Q8_0", 32, 34);
        Add(TensorType.Q8_1, "Q8_1", 32, 36);
        Add(TensorType.Q2_K, "Q2_K", 256, 84);
        Add(TensorType.Q3_K, "Q3_K", 256, 110);
        Add(TensorType.Q4_K, "Q4_K", 256, 144);
        Add(TensorType.Q5_K, "Q5_K", 256, 176);
        Add(TensorType.Q6_K, "Q6_K", 256, 210);
        Add(TensorType.Q8_K, "Q8_K", 256, 292);
        Add(TensorType.BF16, "BF16", 1, 2);
        return table;
    }
}
