using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Edgewise.Numerics.Kernels;

/// <summary>
/// Matrix products for F16 weights. ggml rounds the activations to F16 and multiplies in float; here they are rounded
/// and widened back to float once per call (times <see cref="ActivationScale"/>), so the kernels widen only the weights:
/// sign-extend each fp16 to 32 bits, place it times 2^16 with a shift and one logic op, fix zeros and subnormals with
/// one exact fused multiply-add (<see cref="WidenScaled(Vector256{int})"/>: exact, and never a binary32 subnormal,
/// which costs x86 a microcode assist), then fused multiply-adds whose products equal the unscaled ones. A row holding
/// an fp16 infinity or NaN is recomputed by the scalar reference so the special values come out as IEEE arithmetic
/// gives them. A single token (decode) streams the rows through
/// <see cref="F16Decode"/>; several tokens (a prompt batch) go through <see cref="F16Broadcast"/> on 512-bit CPUs (an
/// outer-product tile over transposed activations) and <see cref="F16Panel"/> on 256-bit ones (a widened panel of rows
/// reused for a tile of tokens).
/// </summary>
internal static unsafe class F16MatVec
{
    /// <summary>
    /// The activations are prepared times this (2^-16) and the weights widened times 2^16 (which places
    /// an fp16 exponent with an OR instead of an add), so every product is exactly the unscaled one and the sums keep
    /// their bits; no scaled value comes near the binary32 subnormal range (a nonzero prepared activation is at least 2^-40).
    /// </summary>
    public const float ActivationScale = 1f / 65536f;

    /// <summary>2^16: the weights' scale, which the scalar tail and the reference apply by hand.</summary>
    public const float WeightScale = 65536f;

    /// <summary>Sign, exponent and mantissa of an fp16 shifted left by 13 in a sign-extended lane.</summary>
    private const int FieldMask = unchecked((int)0x8FFF_E000);

    /// <summary>
    /// Exponent field 128: OR-ed onto an fp16 exponent e (below 32) it gives e + 128 = e + 112 + 16, the binary32
    /// exponent of the fp16 value times 2^16, without a carry into the sign (a sign-extended negative lane already has
    /// bit 30 set).
    /// </summary>
    private const int ScaledBias = 0x4000_0000;

    /// <summary>−4.0f: its sign flipped by the lane's sign, the subnormal fix's addend.</summary>
    private const int MinusFour = unchecked((int)0xC080_0000);

    /// <summary>Whether this CPU runs these kernels.</summary>
    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

    /// <summary>Bytes of one prepared activation row (floats, zero-padded to 64 bytes).</summary>
    public static int PreparedBytes(int cols) => ((cols * 4) + 63) & ~63;

    /// <summary>
    /// Rounds one activation row to fp16 and back, as ggml's F16 dot products see it, multiplies it by the power of two
    /// <paramref name="scale"/> (<see cref="ActivationScale"/> for the kernels; a rounded nonzero is at least 2^-24, so a
    /// scale down to 2^-100 stays exact and never makes a binary32 subnormal), and zeroes the padding up to
    /// <see cref="PreparedBytes"/>.
    /// </summary>
    public static void Prepare(ReadOnlySpan<float> input, float* destination, float scale)
    {
        var i = 0;
        var factor = Vector256.Create(scale);
        if (Vector256.IsHardwareAccelerated)
        {
            fixed (float* source = input)
            {
                for (; i + 8 <= input.Length; i += 8)
                {
                    (RoundToHalf(Vector256.Load((uint*)(source + i))).AsSingle() * factor).Store(destination + i);
                }
            }
        }

        for (; i < input.Length; i++)
        {
            destination[i] = Simd.Half(Fp16.FromSingle(input[i])) * scale;
        }

        new Span<float>(destination + input.Length, (PreparedBytes(input.Length) / 4) - input.Length).Clear();
    }

    /// <summary>
    /// Eight floats (as bits) rounded to the nearest fp16, ties to even, and widened back: NaNs become the quiet NaN of
    /// their sign, magnitudes from 65520 up become infinities, normals keep 10 mantissa bits, and magnitudes below 2^-14
    /// are rounded to a multiple of 2^-24 by adding and removing 0.5 (whose ulp is 2^-24).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<uint> RoundToHalf(Vector256<uint> bits)
    {
        var sign = bits & Vector256.Create(0x80000000u);
        var magnitude = bits & Vector256.Create(0x7FFFFFFFu);
        var normal = (magnitude + Vector256.Create(0xFFFu) + (Vector256.ShiftRightLogical(magnitude, 13) & Vector256<uint>.One)) & Vector256.Create(~0x1FFFu);
        var half = Vector256.Create(0.5f);
        var subnormal = ((magnitude.AsSingle() + half) - half).AsUInt32();
        var result = Vector256.ConditionalSelect(Vector256.LessThan(magnitude, Vector256.Create(0x38800000u)), subnormal, normal);
        result = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(magnitude, Vector256.Create(0x477FF000u)), Vector256.Create(0x7F800000u), result);
        result = Vector256.ConditionalSelect(Vector256.GreaterThan(magnitude, Vector256.Create(0x7F800000u)), Vector256.Create(0x7FC00000u), result);
        return result | sign;
    }

    /// <summary>
    /// output[t·<paramref name="outStride"/> + r] for rows [<paramref name="r0"/>, <paramref name="r1"/>) and every token:
    /// one token through <see cref="F16Decode"/> (<paramref name="wide"/> lets it use 512-bit vectors, the
    /// <see cref="SimdPath.Vector512"/> rung; its activation prepared with <see cref="F16Decode.ActivationScale(bool)"/> of
    /// <see cref="F16Decode.RawWidening"/>), several through the 256-bit <see cref="F16Panel"/>. (512-bit prompt
    /// batches go to <see cref="F16Broadcast"/>, which needs activations transposed by <see cref="MatMul"/>.)
    /// </summary>
    public static void Rows(
        byte* weights, long rowBytes, int r0, int r1, int cols, byte* activations, int actStride, int tokens, float* output, long outStride, bool wide)
    {
        if (tokens == 1)
        {
            F16Decode.Rows(weights, rowBytes, r0, r1, cols, (float*)activations, output, wide, F16Decode.RawWidening);
        }
        else
        {
            F16Panel.Rows(weights, rowBytes, r0, r1, cols, activations, actStride, tokens, output, outStride);
        }
    }

    /// <summary>
    /// Sixteen finite halves (sign-extended in int32 lanes) times 2^16. The exponent is placed with one shift and one
    /// ternary logic op (exact for normals; infinities and NaNs come out as large finite values); for an exponent field of zero that gives ±(2 + m/512) where the value is
    /// ±m/256, so those lanes take 2·v ∓ 4, which a fused multiply-add computes exactly (zeros become +0, which adds
    /// nothing to a sum either way). No step holds a binary32 subnormal.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> WidenScaled(Vector512<int> wide)
    {
        var normal = Avx512F.TernaryLogic(wide << 13, Vector512.Create(FieldMask), Vector512.Create(ScaledBias), 0xEA).AsSingle();
        var addend = Avx512F.TernaryLogic(wide, Vector512.Create(int.MinValue), Vector512.Create(MinusFour), 0x6A).AsSingle();
        var low = Avx512F.FusedMultiplyAdd(normal, Vector512.Create(2f), addend);
        var isLow = Vector512.Equals(wide & Vector512.Create(0x7C00), Vector512<int>.Zero).AsSingle();
        return Vector512.ConditionalSelect(isLow, low, normal);
    }

    /// <summary>Eight finite halves times 2^16, as <see cref="WidenScaled(Vector512{int})"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> WidenScaled(Vector256<int> wide)
    {
        var normal = (((wide << 13) & Vector256.Create(FieldMask)) | Vector256.Create(ScaledBias)).AsSingle();
        var addend = ((wide & Vector256.Create(int.MinValue)) ^ Vector256.Create(MinusFour)).AsSingle();
        var low = Fma.MultiplyAdd(normal, Vector256.Create(2f), addend);
        var isLow = Vector256.Equals(wide & Vector256.Create(0x7C00), Vector256<int>.Zero).AsSingle();
        return Vector256.ConditionalSelect(isLow, low, normal);
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

    /// <summary>
    /// The scalar reference (double products and sum), for rows with fp16 infinities or NaNs, against activations
    /// prepared with a power-of-two scale: the double sum times <paramref name="unscale"/> (exact in double), so the
    /// result has the bits of the unscaled reference. The products are double because a scale of 2^112 would take a
    /// large finite product past binary32's range.
    /// </summary>
    public static float Reference(ushort* w, float* x, int cols, double unscale)
    {
        var sum = 0.0;
        for (var i = 0; i < cols; i++)
        {
            sum += (double)Fp16.ToSingle(w[i]) * x[i];
        }

        return (float)(sum * unscale);
    }
}
