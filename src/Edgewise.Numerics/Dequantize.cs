using Edgewise.Numerics.Formats;

namespace Edgewise.Numerics;

/// <summary>Converts rows of stored tensor data to float32, bit-exact with ggml's reference dequantizers.</summary>
public static class Dequantize
{
    /// <summary>
    /// Decodes <paramref name="dst"/>.Length elements of <paramref name="type"/> from <paramref name="src"/>.
    /// </summary>
    /// <param name="type">The storage type of <paramref name="src"/>.</param>
    /// <param name="src">Exactly <see cref="TensorTypeInfo.RowBytes(long)"/> bytes for <paramref name="dst"/>.Length elements.</param>
    /// <param name="dst">The output; its length must be a multiple of the type's block size.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="type"/> is not a known type.</exception>
    /// <exception cref="ArgumentException">The lengths do not fit the type's block geometry.</exception>
    public static void Row(TensorType type, ReadOnlySpan<byte> src, Span<float> dst)
    {
        RowGeometry.Check(type, dst.Length, nameof(dst), src.Length, nameof(src));
        if (VectorDequantize.Best is { } path && VectorDequantize.TryRow(type, src, dst, path))
        {
            return;
        }

        Scalar(type, src, dst);
    }

    /// <summary>The scalar dequantizers (the definition the vector paths are tested against); lengths already checked.</summary>
    internal static void Scalar(TensorType type, ReadOnlySpan<byte> src, Span<float> dst)
    {
        switch (type)
        {
            case TensorType.F32: FloatFormats.DequantizeF32(src, dst); break;
            case TensorType.F16: FloatFormats.DequantizeF16(src, dst); break;
            case TensorType.BF16: FloatFormats.DequantizeBf16(src, dst); break;
            case TensorType.Q4_0: Q4Legacy.DequantizeQ40(src, dst); break;
            case TensorType.Q4_1: Q4Legacy.DequantizeQ41(src, dst); break;
            case TensorType.Q5_0: Q5Legacy.DequantizeQ50(src, dst); break;
            case TensorType.Q5_1: Q5Legacy.DequantizeQ51(src, dst); break;
            case TensorType.Q8_0: Q80.Dequantize(src, dst); break;
            case TensorType.Q8_1: Q80.DequantizeQ81(src, dst); break;
            case TensorType.Q2_K: Q2K.Dequantize(src, dst); break;
            case TensorType.Q3_K: Q3K.Dequantize(src, dst); break;
            case TensorType.Q4_K: Q4K.Dequantize(src, dst); break;
            case TensorType.Q5_K: Q5K.Dequantize(src, dst); break;
            case TensorType.Q6_K: Q6K.Dequantize(src, dst); break;
            case TensorType.Q8_K: Q8K.Dequantize(src, dst); break;
            default: throw new ArgumentOutOfRangeException(nameof(type), "Unknown tensor type.");
        }
    }
}
