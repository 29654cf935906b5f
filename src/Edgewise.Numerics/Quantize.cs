using Edgewise.Numerics.Formats;
using Edgewise.Numerics.Kernels;

namespace Edgewise.Numerics;

/// <summary>
/// Converts float32 rows to stored tensor data. Weight quantizers reproduce ggml's reference quantizers (what
/// llama-quantize writes without an importance matrix) byte for byte.
/// </summary>
public static class Quantize
{
    /// <summary>Encodes <paramref name="src"/> as <paramref name="type"/> into <paramref name="dst"/>.</summary>
    /// <param name="type">Any <see cref="TensorType"/>.</param>
    /// <param name="src">The elements; the length must be a multiple of the type's block size.</param>
    /// <param name="dst">Exactly <see cref="TensorTypeInfo.RowBytes(long)"/> bytes for <paramref name="src"/>.Length elements.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="type"/> is not a known type.</exception>
    /// <exception cref="ArgumentException">The lengths do not fit the type's block geometry.</exception>
    public static void Row(TensorType type, ReadOnlySpan<float> src, Span<byte> dst)
    {
        RowGeometry.Check(type, src.Length, nameof(src), dst.Length, nameof(dst));
        switch (type)
        {
            case TensorType.F32: FloatFormats.QuantizeF32(src, dst); break;
            case TensorType.F16: FloatFormats.QuantizeF16(src, dst); break;
            case TensorType.BF16: FloatFormats.QuantizeBf16(src, dst); break;
            case TensorType.Q4_0: Q4Legacy.QuantizeQ40(src, dst); break;
            case TensorType.Q4_1: Q4Legacy.QuantizeQ41(src, dst); break;
            case TensorType.Q5_0: Q5Legacy.QuantizeQ50(src, dst); break;
            case TensorType.Q5_1: Q5Legacy.QuantizeQ51(src, dst); break;
            case TensorType.Q8_0: Q80.Quantize(src, dst); break;
            case TensorType.Q8_1: Q80.QuantizeQ81(src, dst); break;
            case TensorType.Q2_K: Q2K.Quantize(src, dst); break;
            case TensorType.Q3_K: Q3K.Quantize(src, dst); break;
            case TensorType.Q4_K: Q4K.Quantize(src, dst); break;
            case TensorType.Q5_K: Q5K.Quantize(src, dst); break;
            case TensorType.Q6_K: Q6K.Quantize(src, dst); break;
            case TensorType.Q8_K: Q8K.Quantize(src, dst); break;
            default: throw new ArgumentOutOfRangeException(nameof(type), "Unknown tensor type.");
        }
    }

    /// <summary>
    /// Quantizes activations the way ggml's x86 CPU backend does before a quantized dot product. For
    /// <see cref="TensorType.Q8_0"/> that differs from <see cref="Row"/>: the multiplier is 127/amax and rounding is
    /// to nearest even (the reference logits in shared/reference were recorded this way). <see cref="TensorType.Q8_1"/>
    /// (for Q4_1/Q5_1 weights) quantizes the same way and adds s = fp16(d·Σq). <see cref="TensorType.Q8_K"/> is the
    /// same as <see cref="Row"/>.
    /// </summary>
    /// <param name="type"><see cref="TensorType.Q8_0"/>, <see cref="TensorType.Q8_1"/> or <see cref="TensorType.Q8_K"/>.</param>
    /// <param name="src">The activations; the length must be a multiple of the type's block size.</param>
    /// <param name="dst">Exactly <see cref="TensorTypeInfo.RowBytes(long)"/> bytes for <paramref name="src"/>.Length elements.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="type"/> is not an activation type.</exception>
    /// <exception cref="ArgumentException">The lengths do not fit the type's block geometry.</exception>
    public static void ActivationRow(TensorType type, ReadOnlySpan<float> src, Span<byte> dst)
    {
        if (type is not (TensorType.Q8_0 or TensorType.Q8_1 or TensorType.Q8_K))
        {
            throw new ArgumentOutOfRangeException(nameof(type), "Activations are quantized to Q8_0, Q8_1 or Q8_K only.");
        }

        RowGeometry.Check(type, src.Length, nameof(src), dst.Length, nameof(dst));
        switch (type)
        {
            case TensorType.Q8_0 when ActivationQuantizer.IsSupported: ActivationQuantizer.Q80Row(src, dst); break;
            case TensorType.Q8_0: Q80.QuantizeActivations(src, dst); break;
            case TensorType.Q8_1: Q80.QuantizeActivationsQ81(src, dst); break;
            case TensorType.Q8_K when ActivationQuantizer.IsSupported: ActivationQuantizer.Q8KRow(src, dst); break;
            default: Q8K.Quantize(src, dst); break;
        }
    }
}
