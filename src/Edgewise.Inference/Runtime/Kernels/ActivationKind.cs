using Edgewise.Numerics;

namespace Edgewise.Inference.Runtime.Kernels;

/// <summary>
/// How activations are rounded before they meet a weight type, as ggml's CPU backend does for its dot products:
/// F16 weights see F16 activations, legacy quants Q8_0 activations, K-quants Q8_K activations. Rounding the
/// activations the same way (then computing in float) reproduces llama.cpp's results to float rounding.
/// </summary>
internal enum ActivationKind
{
    /// <summary>Activations stay float32.</summary>
    Float,

    /// <summary>Rounded to IEEE half.</summary>
    Half,

    /// <summary>Rounded to bfloat16.</summary>
    BFloat16,

    /// <summary>Quantized to Q8_0 per 32 values and expanded back.</summary>
    Q8Zero,

    /// <summary>Quantized to Q8_K per 256 values and expanded back.</summary>
    Q8K,
}

/// <summary>Maps weight types to the activation rounding ggml pairs them with.</summary>
internal static class ActivationKinds
{
    public static ActivationKind For(TensorType weightType) => weightType switch
    {
        TensorType.F16 => ActivationKind.Half,
        TensorType.BF16 => ActivationKind.BFloat16,
        TensorType.Q4_0 or TensorType.Q4_1 or TensorType.Q5_0 or TensorType.Q5_1 or TensorType.Q8_0 => ActivationKind.Q8Zero,
        TensorType.Q2_K or TensorType.Q3_K or TensorType.Q4_K or TensorType.Q5_K or TensorType.Q6_K => ActivationKind.Q8K,
        _ => ActivationKind.Float,
    };

    /// <summary>Rounds <paramref name="src"/> into <paramref name="dst"/> as <paramref name="kind"/> prescribes.</summary>
    /// <param name="kind">The rounding.</param>
    /// <param name="src">One activation row.</param>
    /// <param name="dst">Output, same length.</param>
    /// <param name="bytes">Scratch of at least 2 × length bytes for the quantized forms.</param>
    public static void Round(ActivationKind kind, ReadOnlySpan<float> src, Span<float> dst, Span<byte> bytes)
    {
        switch (kind)
        {
            case ActivationKind.Half:
                for (var i = 0; i < src.Length; i++)
                {
                    dst[i] = Fp16.ToSingle(Fp16.FromSingle(src[i]));
                }

                break;
            case ActivationKind.BFloat16:
                for (var i = 0; i < src.Length; i++)
                {
                    dst[i] = Bf16.ToSingle(Bf16.FromSingle(src[i]));
                }

                break;
            case ActivationKind.Q8Zero:
                Requantize(TensorType.Q8_0, src, dst, bytes);
                break;
            case ActivationKind.Q8K:
                Requantize(TensorType.Q8_K, src, dst, bytes);
                break;
            default:
                src.CopyTo(dst);
                break;
        }
    }

    private static void Requantize(TensorType type, ReadOnlySpan<float> src, Span<float> dst, Span<byte> bytes)
    {
        var q = bytes[..(int)TensorTypeInfo.Get(type).RowBytes(src.Length)];
        Quantize.ActivationRow(type, src, q);
        Dequantize.Row(type, q, dst[..src.Length]);
    }
}
