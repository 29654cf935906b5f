using System.Runtime.CompilerServices;

namespace Edgewise.Numerics.Kernels;

/// <summary>
/// Matrix products for F16 weights. ggml rounds the activations to F16 and multiplies in float; here they are rounded
/// and widened back to float once per call, so the kernels widen only the weights: sign-extend each fp16 to 32 bits,
/// shift the exponent and mantissa into place, keep the sign, and rescale by 2^112 (exact for zeros, subnormals and
/// normals), then fused multiply-adds. A row holding an fp16 infinity or NaN is recomputed by the scalar reference so
/// the special values come out as IEEE arithmetic gives them. A single token (decode) streams the rows through
/// <see cref="F16Decode"/>; several tokens (a prompt batch) go through <see cref="F16Panel"/>, which widens a panel of
/// rows once and reuses it for a tile of tokens.
/// </summary>
internal static unsafe class F16MatVec
{
    /// <summary>Whether this CPU runs these kernels.</summary>
    public static bool IsSupported => System.Runtime.Intrinsics.X86.Avx2.IsSupported && System.Runtime.Intrinsics.X86.Fma.IsSupported;

    /// <summary>Bytes of one prepared activation row (floats, zero-padded to 64 bytes).</summary>
    public static int PreparedBytes(int cols) => ((cols * 4) + 63) & ~63;

    /// <summary>
    /// Rounds one activation row to fp16 and back, as ggml's F16 dot products see it, and zeroes the padding up to
    /// <see cref="PreparedBytes"/>.
    /// </summary>
    public static void Prepare(ReadOnlySpan<float> input, float* destination)
    {
        for (var i = 0; i < input.Length; i++)
        {
            destination[i] = Simd.Half(Fp16.FromSingle(input[i]));
        }

        new Span<float>(destination + input.Length, (PreparedBytes(input.Length) / 4) - input.Length).Clear();
    }

    /// <summary>
    /// output[t·<paramref name="outStride"/> + r] for rows [<paramref name="r0"/>, <paramref name="r1"/>) and every token;
    /// <paramref name="wide"/> lets the kernels use 512-bit vectors (the <see cref="SimdPath.Vector512"/> rung).
    /// </summary>
    public static void Rows(
        byte* weights, long rowBytes, int r0, int r1, int cols, byte* activations, int actStride, int tokens, float* output, long outStride, bool wide)
    {
        if (tokens == 1)
        {
            F16Decode.Rows(weights, rowBytes, r0, r1, cols, (float*)activations, output, wide);
        }
        else
        {
            F16Panel.Rows(weights, rowBytes, r0, r1, cols, activations, actStride, tokens, output, outStride, wide);
        }
    }

    /// <summary>Whether an fp16 is an infinity or NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsSpecial(ushort h) => (h & 0x7C00) == 0x7C00;

    /// <summary>Whether a row holds an fp16 infinity or NaN.</summary>
    public static bool HasSpecial(ushort* row, int cols)
    {
        for (var i = 0; i < cols; i++)
        {
            if (IsSpecial(row[i]))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The scalar reference (double accumulation), for rows with fp16 infinities or NaNs.</summary>
    public static float Reference(ushort* w, float* x, int cols)
    {
        var sum = 0.0;
        for (var i = 0; i < cols; i++)
        {
            sum += Fp16.ToSingle(w[i]) * x[i];
        }

        return (float)sum;
    }
}
