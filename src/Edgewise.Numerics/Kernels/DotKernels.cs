namespace Edgewise.Numerics.Kernels;

/// <summary>
/// One dot-product kernel: weight row bytes, activation row bytes, and a count (blocks for quantized types, elements
/// for float types).
/// </summary>
internal readonly unsafe struct DotKernel
{
    public DotKernel(delegate*<ref byte, ref byte, int, float> function, int elementsPerUnit)
    {
        Function = function;
        ElementsPerUnit = elementsPerUnit;
    }

    /// <summary>The kernel; null when the weight type has no dot product.</summary>
    public delegate*<ref byte, ref byte, int, float> Function { get; }

    /// <summary>Elements per count unit: the block size (1 for float types).</summary>
    public int ElementsPerUnit { get; }

    public bool IsValid => Function != null;

    public float Invoke(ref byte weights, ref byte activations, int cols) => Function(ref weights, ref activations, cols / ElementsPerUnit);
}

/// <summary>The kernel table: weight type × <see cref="SimdPath"/>.</summary>
internal static unsafe class DotKernels
{
    /// <summary>The activation type ggml pairs with each weight type, or null when the type has no dot product.</summary>
    public static TensorType? ActivationType(TensorType weightType) => weightType switch
    {
        TensorType.F32 => TensorType.F32,
        TensorType.F16 => TensorType.F16,
        TensorType.BF16 => TensorType.BF16,
        TensorType.Q4_0 or TensorType.Q5_0 or TensorType.Q8_0 => TensorType.Q8_0,
        TensorType.Q4_1 or TensorType.Q5_1 => TensorType.Q8_1,
        TensorType.Q2_K or TensorType.Q3_K or TensorType.Q4_K or TensorType.Q5_K or TensorType.Q6_K => TensorType.Q8_K,
        _ => null,
    };

    /// <summary>The kernel for <paramref name="weightType"/> on <paramref name="path"/>; invalid when there is none.</summary>
    public static DotKernel Get(TensorType weightType, SimdPath path)
    {
        var block = weightType is TensorType.F32 or TensorType.F16 or TensorType.BF16 ? 1
            : weightType is TensorType.Q2_K or TensorType.Q3_K or TensorType.Q4_K or TensorType.Q5_K or TensorType.Q6_K ? 256 : 32;
        return new DotKernel(Select(weightType, path), block);
    }

    private static delegate*<ref byte, ref byte, int, float> Select(TensorType type, SimdPath path) => path switch
    {
        SimdPath.Scalar => type switch
        {
            TensorType.F32 => &FloatDot.ScalarF32,
            TensorType.F16 => &FloatDot.ScalarF16,
            TensorType.BF16 => &FloatDot.ScalarBf16,
            TensorType.Q8_0 => &Q80Dot.Scalar,
            TensorType.Q4_0 => &Q4LegacyDot.ScalarQ40,
            TensorType.Q4_1 => &Q4LegacyDot.ScalarQ41,
            TensorType.Q5_0 => &Q5LegacyDot.ScalarQ50,
            TensorType.Q5_1 => &Q5LegacyDot.ScalarQ51,
            TensorType.Q2_K => &Q23KDot.ScalarQ2K,
            TensorType.Q3_K => &Q23KDot.ScalarQ3K,
            TensorType.Q4_K => &Q4KDot.ScalarQ4K,
            TensorType.Q5_K => &Q4KDot.ScalarQ5K,
            TensorType.Q6_K => &Q6KDot.Scalar,
            _ => null,
        },
        SimdPath.Vector128 => type switch
        {
            TensorType.F32 => &FloatDot.Vector128F32,
            TensorType.F16 => &FloatDot.Vector128F16,
            TensorType.BF16 => &FloatDot.Vector128Bf16,
            TensorType.Q8_0 => &Q80Dot.Vector128Path,
            TensorType.Q4_0 => &Q4LegacyDot.Vector128Q40,
            TensorType.Q4_1 => &Q4LegacyDot.Vector128Q41,
            TensorType.Q5_0 => &Q5LegacyDot.Vector128Q50,
            TensorType.Q5_1 => &Q5LegacyDot.Vector128Q51,
            TensorType.Q2_K => &Q23KDot.Vector128Q2K,
            TensorType.Q3_K => &Q23KDot.Vector128Q3K,
            TensorType.Q4_K => &Q4KDot.Vector128Q4K,
            TensorType.Q5_K => &Q4KDot.Vector128Q5K,
            TensorType.Q6_K => &Q6KDot.Vector128Path,
            _ => null,
        },
        SimdPath.Vector256 => type switch
        {
            TensorType.F32 => &FloatDot.Vector256F32,
            TensorType.F16 => &FloatDot.Vector256F16,
            TensorType.BF16 => &FloatDot.Vector256Bf16,
            TensorType.Q8_0 => &Q80Dot.Vector256Path,
            TensorType.Q4_0 => &Q4LegacyDot.Vector256Q40,
            TensorType.Q4_1 => &Q4LegacyDot.Vector256Q41,
            TensorType.Q5_0 => &Q5LegacyDot.Vector256Q50,
            TensorType.Q5_1 => &Q5LegacyDot.Vector256Q51,
            TensorType.Q2_K => &Q23KDot.Vector256Q2K,
            TensorType.Q3_K => &Q23KDot.Vector256Q3K,
            TensorType.Q4_K => &Q4KDot.Vector256Q4K,
            TensorType.Q5_K => &Q4KDot.Vector256Q5K,
            TensorType.Q6_K => &Q6KDot.Vector256Path,
            _ => null,
        },
        _ => type switch
        {
            TensorType.F32 => &FloatDot.Vector512F32,
            TensorType.F16 => &FloatDot.Vector512F16,
            TensorType.BF16 => &FloatDot.Vector512Bf16,
            TensorType.Q8_0 => &Q80Dot.Vector512Path,
            TensorType.Q4_0 => &Q4LegacyDot.Vector512Q40,
            TensorType.Q4_1 => &Q4LegacyDot.Vector512Q41,
            TensorType.Q5_0 => &Q5LegacyDot.Vector512Q50,
            TensorType.Q5_1 => &Q5LegacyDot.Vector512Q51,
            TensorType.Q2_K => &Q23KDot.Vector512Q2K,
            TensorType.Q3_K => &Q23KDot.Vector512Q3K,
            TensorType.Q4_K => &Q4KDot.Vector512Q4K,
            TensorType.Q5_K => &Q4KDot.Vector512Q5K,
            TensorType.Q6_K => &Q6KDot.Vector512Path,
            _ => null,
        },
    };
}
