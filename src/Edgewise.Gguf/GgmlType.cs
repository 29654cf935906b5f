namespace Edgewise.Gguf;

/// <summary>
/// Tensor storage types as numbered by ggml (the numbers are the on-disk ids). Removed ids (4, 5, 31–33, 36–38)
/// are deliberately absent: files that use them are rejected.
/// </summary>
#pragma warning disable CA1707 // The names are ggml's own (Q4_K, IQ2_XXS): renaming them would hide that.
public enum GgmlType
{
    /// <summary>32-bit float.</summary>
    F32 = 0,

    /// <summary>IEEE half.</summary>
    F16 = 1,

    /// <summary>4-bit, 32-element blocks, one f16 scale.</summary>
    Q4_0 = 2,

    /// <summary>4-bit, 32-element blocks, f16 scale and min.</summary>
    Q4_1 = 3,

    /// <summary>5-bit, 32-element blocks, one f16 scale.</summary>
    Q5_0 = 6,

    /// <summary>5-bit, 32-element blocks, f16 scale and min.</summary>
    Q5_1 = 7,

    /// <summary>8-bit, 32-element blocks, one f16 scale.</summary>
    Q8_0 = 8,

    /// <summary>8-bit, 32-element blocks, f16 scale and sum.</summary>
    Q8_1 = 9,

    /// <summary>2-bit K-quant, 256-element super-blocks.</summary>
    Q2_K = 10,

    /// <summary>3-bit K-quant.</summary>
    Q3_K = 11,

    /// <summary>4-bit K-quant.</summary>
    Q4_K = 12,

    /// <summary>5-bit K-quant.</summary>
    Q5_K = 13,

    /// <summary>6-bit K-quant.</summary>
    Q6_K = 14,

    /// <summary>8-bit K-quant (activations).</summary>
    Q8_K = 15,

    /// <summary>Importance-matrix 2-bit (xxs).</summary>
    IQ2_XXS = 16,

    /// <summary>Importance-matrix 2-bit (xs).</summary>
    IQ2_XS = 17,

    /// <summary>Importance-matrix 3-bit (xxs).</summary>
    IQ3_XXS = 18,

    /// <summary>Importance-matrix 1-bit (s).</summary>
    IQ1_S = 19,

    /// <summary>Non-linear 4-bit, 32-element blocks.</summary>
    IQ4_NL = 20,

    /// <summary>Importance-matrix 3-bit (s).</summary>
    IQ3_S = 21,

    /// <summary>Importance-matrix 2-bit (s).</summary>
    IQ2_S = 22,

    /// <summary>Non-linear 4-bit, 256-element super-blocks.</summary>
    IQ4_XS = 23,

    /// <summary>8-bit integer.</summary>
    I8 = 24,

    /// <summary>16-bit integer.</summary>
    I16 = 25,

    /// <summary>32-bit integer.</summary>
    I32 = 26,

    /// <summary>64-bit integer.</summary>
    I64 = 27,

    /// <summary>64-bit float.</summary>
    F64 = 28,

    /// <summary>Importance-matrix 1-bit (m).</summary>
    IQ1_M = 29,

    /// <summary>bfloat16.</summary>
    BF16 = 30,

    /// <summary>Ternary 1.6-bit.</summary>
    TQ1_0 = 34,

    /// <summary>Ternary 2-bit.</summary>
    TQ2_0 = 35,

    /// <summary>Microscaling FP4.</summary>
    MXFP4 = 39,
}
#pragma warning restore CA1707

/// <summary>Block geometry of each <see cref="GgmlType"/>: what the loader needs to size tensors.</summary>
public static class GgmlTypeTraits
{
    private static readonly (int BlockSize, int BlockBytes)[] s_table = Build();

    /// <summary>True when <paramref name="id"/> is a type this build knows (removed ids are not).</summary>
    public static bool IsKnown(long id) => id >= 0 && id < s_table.Length && s_table[id].BlockSize != 0;

    /// <summary>Elements per block (1 for plain types).</summary>
    public static int BlockSize(GgmlType type) => Entry(type).BlockSize;

    /// <summary>Bytes per block.</summary>
    public static int BlockBytes(GgmlType type) => Entry(type).BlockBytes;

    /// <summary>Bytes taken by <paramref name="elements"/> values of <paramref name="type"/> (a multiple of the block size).</summary>
    /// <exception cref="OverflowException">The size does not fit in 64 bits.</exception>
    public static long RowBytes(GgmlType type, long elements)
    {
        var (blockSize, blockBytes) = Entry(type);
        return checked(elements / blockSize * blockBytes);
    }

    /// <summary>ggml's name for the type, e.g. <c>Q4_K</c>.</summary>
    public static string Name(GgmlType type) => type.ToString();

    private static (int BlockSize, int BlockBytes) Entry(GgmlType type) =>
        IsKnown((long)type) ? s_table[(int)type] : throw new ArgumentOutOfRangeException(nameof(type));

    private static (int, int)[] Build()
    {
        var t = new (int, int)[40];
        t[(int)GgmlType.F32] = (1, 4);
        t[(int)GgmlType.F16] = (1, 2);
        t[(int)GgmlType.Q4_0] = (32, 18);
        t[(int)GgmlType.Q4_1] = (32, 20);
        t[(int)GgmlType.Q5_0] = (32, 22);
        t[(int)GgmlType.Q5_1] = (32, 24);
        t[(int)GgmlType.Q8_0] = (32, 34);
        t[(int)GgmlType.Q8_1] = (32, 36);
        t[(int)GgmlType.Q2_K] = (256, 84);
        t[(int)GgmlType.Q3_K] = (256, 110);
        t[(int)GgmlType.Q4_K] = (256, 144);
        t[(int)GgmlType.Q5_K] = (256, 176);
        t[(int)GgmlType.Q6_K] = (256, 210);
        t[(int)GgmlType.Q8_K] = (256, 292);
        t[(int)GgmlType.IQ2_XXS] = (256, 66);
        t[(int)GgmlType.IQ2_XS] = (256, 74);
        t[(int)GgmlType.IQ3_XXS] = (256, 98);
        t[(int)GgmlType.IQ1_S] = (256, 50);
        t[(int)GgmlType.IQ4_NL] = (32, 18);
        t[(int)GgmlType.IQ3_S] = (256, 110);
        t[(int)GgmlType.IQ2_S] = (256, 82);
        t[(int)GgmlType.IQ4_XS] = (256, 136);
        t[(int)GgmlType.I8] = (1, 1);
        t[(int)GgmlType.I16] = (1, 2);
        t[(int)GgmlType.I32] = (1, 4);
        t[(int)GgmlType.I64] = (1, 8);
        t[(int)GgmlType.F64] = (1, 8);
        t[(int)GgmlType.IQ1_M] = (256, 56);
        t[(int)GgmlType.BF16] = (1, 2);
        t[(int)GgmlType.TQ1_0] = (256, 54);
        t[(int)GgmlType.TQ2_0] = (256, 66);
        t[(int)GgmlType.MXFP4] = (32, 17);
        return t;
    }
}
