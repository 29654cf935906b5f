using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Edgewise.Numerics.Kernels;

/// <summary>
/// Matrix products for F16 weights. ggml rounds the activations to F16 and multiplies in float; here they are rounded
/// and widened back to float once per call, so the inner loop widens only the weights: sign-extend each fp16 to 32
/// bits, shift the exponent and mantissa into place, keep the sign, and rescale by 2^112 (exact for zeros,
/// subnormals and normals), then one fused multiply-add. A row holding an fp16 infinity or NaN (its widened magnitude
/// reaches 2^16) is recomputed by the scalar reference so the special values come out as IEEE arithmetic gives them.
/// Tokens go 32 at a time and four per widened weight vector; a single token (decode) takes the widest vectors.
/// </summary>
internal static unsafe class F16MatVec
{
    private const int TokenTile = 32;
    private const float TwoPow112 = 5.192296858534828e33f;

    /// <summary>Whether this CPU runs these kernels.</summary>
    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

    /// <summary>Bytes of one prepared activation row (floats, padded to 64 bytes).</summary>
    public static int PreparedBytes(int cols) => ((cols * 4) + 63) & ~63;

    /// <summary>Rounds one activation row to fp16 and back, as ggml's F16 dot products see it.</summary>
    public static void Prepare(ReadOnlySpan<float> input, float* destination)
    {
        for (var i = 0; i < input.Length; i++)
        {
            destination[i] = Simd.Half(Fp16.FromSingle(input[i]));
        }
    }

    /// <summary>
    /// output[t·<paramref name="outStride"/> + r] for rows [<paramref name="r0"/>, <paramref name="r1"/>) and every token;
    /// <paramref name="wide"/> lets a single token use 512-bit vectors (the <see cref="SimdPath.Vector512"/> rung).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows(
        byte* weights, long rowBytes, int r0, int r1, int cols, byte* activations, int actStride, int tokens, float* output, long outStride, bool wide)
    {
        for (var t0 = 0; t0 < tokens; t0 += TokenTile)
        {
            var t1 = Math.Min(tokens, t0 + TokenTile);
            for (var r = r0; r < r1; r++)
            {
                var row = (ushort*)(weights + (r * rowBytes));
                var t = t0;
                for (; t + 4 <= t1; t += 4)
                {
                    var x = (float*)(activations + ((long)t * actStride));
                    var sums = Dot4(row, cols, x, (float*)((byte*)x + actStride), (float*)((byte*)x + (2 * actStride)), (float*)((byte*)x + (3 * actStride)));
                    for (var k = 0; k < 4; k++)
                    {
                        var value = sums.GetElement(k);
                        output[((t + k) * outStride) + r] = float.IsNaN(sums.GetElement(4)) ? Reference(row, (float*)(activations + ((long)(t + k) * actStride)), cols) : value;
                    }
                }

                for (; t < t1; t++)
                {
                    var x = (float*)(activations + ((long)t * actStride));
                    output[(t * outStride) + r] = t1 - t0 == 1 && tokens == 1 ? Dot1(row, cols, x, wide) : Single(row, cols, x);
                }
            }
        }
    }

    /// <summary>A batch token outside a four-token tile, with the tile's arithmetic (so its result does not depend on its place).</summary>
    private static float Single(ushort* row, int cols, float* x)
    {
        var sums = Dot4(row, cols, x, x, x, x);
        return float.IsNaN(sums.GetElement(4)) ? Reference(row, x, cols) : sums.GetElement(0);
    }

    /// <summary>Eight fp16 values at <paramref name="h"/> widened to floats (specials give magnitudes ≥ 2^16).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Widen8(ushort* h)
    {
        var wide = Avx2.ConvertToVector256Int32((short*)h);
        return (Avx2.ShiftLeftLogical(wide, 13) & Vector256.Create(unchecked((int)0x8FFFE000))).AsSingle() * Vector256.Create(TwoPow112);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Widen16(ushort* h)
    {
        var wide = Avx512F.ConvertToVector512Int32(Vector256.Load((short*)h));
        return (Avx512F.ShiftLeftLogical(wide, 13) & Vector512.Create(unchecked((int)0x8FFFE000))).AsSingle() * Vector512.Create(TwoPow112);
    }

    private static float Dot1(ushort* w, int cols, float* x, bool wide)
    {
        var i = 0;
        float sum;
        float peak;
        if (wide && Vector512.IsHardwareAccelerated && Avx512F.IsSupported)
        {
            var acc0 = Vector512<float>.Zero;
            var acc1 = Vector512<float>.Zero;
            var max = Vector512<float>.Zero;
            for (; i + 32 <= cols; i += 32)
            {
                var f0 = Widen16(w + i);
                var f1 = Widen16(w + i + 16);
                acc0 = Avx512F.FusedMultiplyAdd(f0, Vector512.Load(x + i), acc0);
                acc1 = Avx512F.FusedMultiplyAdd(f1, Vector512.Load(x + i + 16), acc1);
                max = Vector512.Max(max, Vector512.Max(Vector512.Abs(f0), Vector512.Abs(f1)));
            }

            sum = Simd.Sum(acc0 + acc1);
            peak = MaxOf(max);
        }
        else
        {
            var acc0 = Vector256<float>.Zero;
            var acc1 = Vector256<float>.Zero;
            var max = Vector256<float>.Zero;
            for (; i + 16 <= cols; i += 16)
            {
                var f0 = Widen8(w + i);
                var f1 = Widen8(w + i + 8);
                acc0 = Fma.MultiplyAdd(f0, Avx.LoadVector256(x + i), acc0);
                acc1 = Fma.MultiplyAdd(f1, Avx.LoadVector256(x + i + 8), acc1);
                max = Vector256.Max(max, Vector256.Max(Vector256.Abs(f0), Vector256.Abs(f1)));
            }

            sum = Simd.Sum(acc0 + acc1);
            peak = MaxOf(max);
        }

        for (; i < cols; i++)
        {
            var v = Simd.Half(w[i]);
            sum += v * x[i];
            peak = Math.Max(peak, Math.Abs(v));
        }

        return peak >= 65536f || float.IsNaN(peak) ? Reference(w, x, cols) : sum;
    }

    /// <summary>Four dot products of one weight row; element 4 is NaN when the row holds an fp16 special.</summary>
    private static Vector256<float> Dot4(ushort* w, int cols, float* x0, float* x1, float* x2, float* x3)
    {
        var acc0 = Vector256<float>.Zero;
        var acc1 = Vector256<float>.Zero;
        var acc2 = Vector256<float>.Zero;
        var acc3 = Vector256<float>.Zero;
        var max = Vector256<float>.Zero;
        var i = 0;
        for (; i + 8 <= cols; i += 8)
        {
            var f = Widen8(w + i);
            acc0 = Fma.MultiplyAdd(f, Avx.LoadVector256(x0 + i), acc0);
            acc1 = Fma.MultiplyAdd(f, Avx.LoadVector256(x1 + i), acc1);
            acc2 = Fma.MultiplyAdd(f, Avx.LoadVector256(x2 + i), acc2);
            acc3 = Fma.MultiplyAdd(f, Avx.LoadVector256(x3 + i), acc3);
            max = Vector256.Max(max, Vector256.Abs(f));
        }

        float s0 = Simd.Sum(acc0), s1 = Simd.Sum(acc1), s2 = Simd.Sum(acc2), s3 = Simd.Sum(acc3);
        var peak = MaxOf(max);
        for (; i < cols; i++)
        {
            var v = Simd.Half(w[i]);
            s0 += v * x0[i];
            s1 += v * x1[i];
            s2 += v * x2[i];
            s3 += v * x3[i];
            peak = Math.Max(peak, Math.Abs(v));
        }

        var special = peak >= 65536f || float.IsNaN(peak) ? float.NaN : 0f;
        return Vector256.Create(s0, s1, s2, s3, special, 0, 0, 0);
    }

    private static float MaxOf(Vector256<float> v)
    {
        var m = Vector128.Max(v.GetLower(), v.GetUpper());
        return Math.Max(Math.Max(m.GetElement(0), m.GetElement(1)), Math.Max(m.GetElement(2), m.GetElement(3)));
    }

    private static float MaxOf(Vector512<float> v) => MaxOf(Vector256.Max(v.GetLower(), v.GetUpper()));

    /// <summary>The scalar reference (double accumulation), for rows with fp16 infinities or NaNs.</summary>
    private static float Reference(ushort* w, float* x, int cols)
    {
        var sum = 0.0;
        for (var i = 0; i < cols; i++)
        {
            sum += Fp16.ToSingle(w[i]) * x[i];
        }

        return (float)sum;
    }
}
