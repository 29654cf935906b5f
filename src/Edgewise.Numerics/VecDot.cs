using System.Runtime.InteropServices;
using Edgewise.Numerics.Kernels;

namespace Edgewise.Numerics;

/// <summary>
/// Dot products of one weight row with one activation row, computed the way ggml's CPU backend does: activations
/// are first converted to the weight type's partner (<see cref="ActivationType"/>: Q8_0, Q8_1 or Q8_K for quantized
/// weights, F16/BF16 for 16-bit weights, F32 for F32), then quantized rows are multiplied in exact integer arithmetic
/// and scaled in float. The fastest vector path of this CPU is used (AVX-512, AVX2/AVX-VNNI, or portable 128-bit).
/// </summary>
public static class VecDot
{
    /// <summary>Whether <paramref name="weightType"/> has a dot product.</summary>
    public static bool IsSupported(TensorType weightType) => DotKernels.ActivationType(weightType) is not null;

    /// <summary>The type activations are converted to before they meet <paramref name="weightType"/> weights.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The type has no dot product (e.g. Q8_K, Q8_1).</exception>
    public static TensorType ActivationType(TensorType weightType) =>
        DotKernels.ActivationType(weightType) ?? throw new ArgumentOutOfRangeException(nameof(weightType), "This weight type has no dot product.");

    /// <summary>Bytes of one converted activation row of <paramref name="cols"/> elements.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The type has no dot product.</exception>
    /// <exception cref="ArgumentException"><paramref name="cols"/> is not a multiple of the block size.</exception>
    public static int ActivationRowBytes(TensorType weightType, int cols) =>
        checked((int)TensorTypeInfo.Get(ActivationType(weightType)).RowBytes(cols));

    /// <summary>Converts one activation row for <paramref name="weightType"/> weights (what ggml does before its dot products).</summary>
    /// <param name="weightType">The weight type the activations will meet.</param>
    /// <param name="input">The activations; the length must be a multiple of the weight type's block size.</param>
    /// <param name="destination">Exactly <see cref="ActivationRowBytes"/> bytes.</param>
    /// <exception cref="ArgumentOutOfRangeException">The type has no dot product.</exception>
    /// <exception cref="ArgumentException">The lengths do not fit.</exception>
    public static void ConvertActivations(TensorType weightType, ReadOnlySpan<float> input, Span<byte> destination)
    {
        var activationType = ActivationType(weightType);
        var block = TensorTypeInfo.Get(weightType).BlockSize;
        if (input.Length % block != 0)
        {
            throw new ArgumentException("The element count is not a multiple of the weight type's block size.", nameof(input));
        }

        if (activationType is TensorType.Q8_0 or TensorType.Q8_1 or TensorType.Q8_K)
        {
            Quantize.ActivationRow(activationType, input, destination);
        }
        else
        {
            Quantize.Row(activationType, input, destination);
        }
    }

    /// <summary>Σ weight·activation over one row of <paramref name="cols"/> elements.</summary>
    /// <param name="weightType">The storage type of <paramref name="weights"/>.</param>
    /// <param name="weights">Exactly one row: <see cref="TensorTypeInfo.RowBytes(long)"/> bytes of <paramref name="cols"/> elements.</param>
    /// <param name="activations">One row converted by <see cref="ConvertActivations"/>. Quantized activations must lie in
    /// [−127, 127], as the activation quantizers produce.</param>
    /// <param name="cols">Elements in the row; a multiple of the weight type's block size.</param>
    /// <exception cref="ArgumentOutOfRangeException">The type has no dot product, or <paramref name="cols"/> is negative.</exception>
    /// <exception cref="ArgumentException">The lengths do not fit.</exception>
    public static float Compute(TensorType weightType, ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int cols) =>
        Compute(weightType, weights, activations, cols, SimdSupport.Best);

    /// <summary>As <see cref="Compute(TensorType, ReadOnlySpan{byte}, ReadOnlySpan{byte}, int)"/> on a chosen path (test hook).</summary>
    internal static float Compute(TensorType weightType, ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int cols, SimdPath path)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        var activationBytes = ActivationRowBytes(weightType, cols);
        if (weights.Length != TensorTypeInfo.Get(weightType).RowBytes(cols))
        {
            throw new ArgumentException("The byte count does not match one row of this type.", nameof(weights));
        }

        if (activations.Length != activationBytes)
        {
            throw new ArgumentException("The byte count does not match one converted activation row.", nameof(activations));
        }

        if (!SimdSupport.IsSupported(path))
        {
            throw new PlatformNotSupportedException("This vector path does not run on this machine.");
        }

        if (cols == 0)
        {
            return 0;
        }

        return DotKernels.Get(weightType, path).Invoke(
            ref MemoryMarshal.GetReference(weights), ref MemoryMarshal.GetReference(activations), cols);
    }
}
