using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Edgewise.Numerics.Kernels;

/// <summary>
/// F16 weight rows × one prepared activation row (decode). Rows go four at a time to share loop overhead, but every
/// row keeps its own two accumulators over the same column steps and the same final reduction, so a row's result does
/// not depend on which rows it was grouped with. Specials are found on the raw halves: shifted left by one (dropping
/// the sign), an fp16 infinity or NaN is at least 0xF800, so one unsigned 16-bit maximum per vector of halves flags
/// them; a flagged row is recomputed by the scalar reference. One thread's memory stream limits a single token's
/// product, so each step asks for its four rows' lines <see cref="PrefetchDistance"/> bytes ahead; past a row's end the
/// request moves to the same row of the next group of four, so a new group's rows are already on their way.
/// </summary>
internal static unsafe class F16Decode
{
    private const ushort SpecialShifted = 0xF800;

    /// <summary>How far ahead in each of the four rows the lines are requested (four rows: four times this in flight).</summary>
    internal const int PrefetchDistance = 768;

    /// <summary>
    /// Asks for the first <see cref="PrefetchDistance"/> bytes of each of the first four rows of [<paramref name="r0"/>,
    /// <paramref name="r1"/>): a chunk's kernel prefetches only ahead of itself.
    /// </summary>
    public static void PrefetchStart(byte* weights, long rowBytes, int r0, int r1)
    {
        var bytes = Math.Min(rowBytes, PrefetchDistance);
        for (var r = r0; r < Math.Min(r1, r0 + 4); r++)
        {
            var start = weights + (r * rowBytes);
            for (var p = 0L; p < bytes; p += 64)
            {
                Sse.Prefetch0(start + p);
            }
        }
    }

    /// <summary>
    /// output[r] = row r · x for r in [<paramref name="r0"/>, <paramref name="r1"/>), where <paramref name="x"/> was
    /// prepared with <see cref="F16MatVec.ActivationScale"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows(byte* weights, long rowBytes, int r0, int r1, int cols, float* x, float* output, bool wide)
    {
        PrefetchStart(weights, rowBytes, r0, r1);
        var r = r0;
        for (; r + 4 <= r1; r += 4)
        {
            var w0 = (ushort*)(weights + (r * rowBytes));
            var w1 = (ushort*)((byte*)w0 + rowBytes);
            var w2 = (ushort*)((byte*)w1 + rowBytes);
            var w3 = (ushort*)((byte*)w2 + rowBytes);
            var sums = wide && Vector512.IsHardwareAccelerated && Avx512BW.IsSupported
                ? Dot4x512(w0, w1, w2, w3, cols, x)
                : Dot4x256(w0, w1, w2, w3, cols, x);
            output[r] = sums.GetElement(0);
            output[r + 1] = sums.GetElement(1);
            output[r + 2] = sums.GetElement(2);
            output[r + 3] = sums.GetElement(3);
            if (float.IsNaN(sums.GetElement(4)))
            {
                for (var k = 0; k < 4; k++)
                {
                    var row = (ushort*)(weights + ((r + k) * rowBytes));
                    if (F16MatVec.HasSpecial(row, cols))
                    {
                        output[r + k] = F16MatVec.Reference(row, x, cols, F16MatVec.WeightScale);
                    }
                }
            }
        }

        for (; r < r1; r++)
        {
            var row = (ushort*)(weights + (r * rowBytes));
            var sums = wide && Vector512.IsHardwareAccelerated && Avx512BW.IsSupported
                ? Dot4x512(row, row, row, row, cols, x)
                : Dot4x256(row, row, row, row, cols, x);
            output[r] = float.IsNaN(sums.GetElement(4)) ? F16MatVec.Reference(row, x, cols, F16MatVec.WeightScale) : sums.GetElement(0);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Widen16(ushort* h) => F16MatVec.WidenScaled(Avx512F.ConvertToVector512Int32(Vector256.Load((short*)h)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Widen8(ushort* h) => F16MatVec.WidenScaled(Avx2.ConvertToVector256Int32((short*)h));

    /// <summary>Four row dots (elements 0-3); element 4 is NaN when any of the rows holds an fp16 special.</summary>
    private static Vector256<float> Dot4x512(ushort* w0, ushort* w1, ushort* w2, ushort* w3, int cols, float* x)
    {
        Vector512<float> a0 = default, b0 = default, a1 = default, b1 = default, a2 = default, b2 = default, a3 = default, b3 = default;
        var peak = Vector512<ushort>.Zero;
        var rowBytes = (long)((byte*)w1 - (byte*)w0);
        var i = 0;
        for (; i + 32 <= cols; i += 32)
        {
            Ahead(w0, w1, w2, w3, (2L * i) + PrefetchDistance, 2L * cols, rowBytes);
            var xl = Vector512.Load(x + i);
            var xh = Vector512.Load(x + i + 16);
            var s = Avx512BW.Max(Avx512BW.ShiftLeftLogical(Vector512.Load(w0 + i), 1), Avx512BW.ShiftLeftLogical(Vector512.Load(w1 + i), 1));
            s = Avx512BW.Max(s, Avx512BW.ShiftLeftLogical(Vector512.Load(w2 + i), 1));
            s = Avx512BW.Max(s, Avx512BW.ShiftLeftLogical(Vector512.Load(w3 + i), 1));
            peak = Avx512BW.Max(peak, s);
            a0 = Avx512F.FusedMultiplyAdd(Widen16(w0 + i), xl, a0);
            b0 = Avx512F.FusedMultiplyAdd(Widen16(w0 + i + 16), xh, b0);
            a1 = Avx512F.FusedMultiplyAdd(Widen16(w1 + i), xl, a1);
            b1 = Avx512F.FusedMultiplyAdd(Widen16(w1 + i + 16), xh, b1);
            a2 = Avx512F.FusedMultiplyAdd(Widen16(w2 + i), xl, a2);
            b2 = Avx512F.FusedMultiplyAdd(Widen16(w2 + i + 16), xh, b2);
            a3 = Avx512F.FusedMultiplyAdd(Widen16(w3 + i), xl, a3);
            b3 = Avx512F.FusedMultiplyAdd(Widen16(w3 + i + 16), xh, b3);
        }

        var special = Vector512.GreaterThanOrEqualAny(peak, Vector512.Create(SpecialShifted));
        return Finish(Simd.Sum(a0 + b0), Simd.Sum(a1 + b1), Simd.Sum(a2 + b2), Simd.Sum(a3 + b3), special, w0, w1, w2, w3, i, cols, x);
    }

    /// <summary>As <see cref="Dot4x512"/> with 256-bit vectors (16 columns a step, so the reduction order differs).</summary>
    private static Vector256<float> Dot4x256(ushort* w0, ushort* w1, ushort* w2, ushort* w3, int cols, float* x)
    {
        Vector256<float> a0 = default, b0 = default, a1 = default, b1 = default, a2 = default, b2 = default, a3 = default, b3 = default;
        var peak = Vector256<ushort>.Zero;
        var rowBytes = (long)((byte*)w1 - (byte*)w0);
        var i = 0;
        for (; i + 16 <= cols; i += 16)
        {
            Ahead(w0, w1, w2, w3, (2L * i) + PrefetchDistance, 2L * cols, rowBytes);
            var xl = Avx.LoadVector256(x + i);
            var xh = Avx.LoadVector256(x + i + 8);
            var s = Avx2.Max(Avx2.ShiftLeftLogical(Vector256.Load(w0 + i), 1), Avx2.ShiftLeftLogical(Vector256.Load(w1 + i), 1));
            s = Avx2.Max(s, Avx2.ShiftLeftLogical(Vector256.Load(w2 + i), 1));
            s = Avx2.Max(s, Avx2.ShiftLeftLogical(Vector256.Load(w3 + i), 1));
            peak = Avx2.Max(peak, s);
            a0 = Fma.MultiplyAdd(Widen8(w0 + i), xl, a0);
            b0 = Fma.MultiplyAdd(Widen8(w0 + i + 8), xh, b0);
            a1 = Fma.MultiplyAdd(Widen8(w1 + i), xl, a1);
            b1 = Fma.MultiplyAdd(Widen8(w1 + i + 8), xh, b1);
            a2 = Fma.MultiplyAdd(Widen8(w2 + i), xl, a2);
            b2 = Fma.MultiplyAdd(Widen8(w2 + i + 8), xh, b2);
            a3 = Fma.MultiplyAdd(Widen8(w3 + i), xl, a3);
            b3 = Fma.MultiplyAdd(Widen8(w3 + i + 8), xh, b3);
        }

        var special = Vector256.GreaterThanOrEqualAny(peak, Vector256.Create(SpecialShifted));
        return Finish(Simd.Sum(a0 + b0), Simd.Sum(a1 + b1), Simd.Sum(a2 + b2), Simd.Sum(a3 + b3), special, w0, w1, w2, w3, i, cols, x);
    }

    /// <summary>
    /// Requests the line at byte <paramref name="offset"/> of each row, or past the row's <paramref name="used"/> bytes the
    /// line that far into the same row of the next group of four (<paramref name="rowBytes"/> apart; a hint, never a fault).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Ahead(ushort* w0, ushort* w1, ushort* w2, ushort* w3, long offset, long used, long rowBytes)
    {
        var at = offset < used ? offset : offset - used + (4 * rowBytes);
        Sse.Prefetch0((byte*)w0 + at);
        Sse.Prefetch0((byte*)w1 + at);
        Sse.Prefetch0((byte*)w2 + at);
        Sse.Prefetch0((byte*)w3 + at);
    }

    /// <summary>Adds the columns past the last full vector step, in order, and flags specials among them.</summary>
    private static Vector256<float> Finish(
        float s0, float s1, float s2, float s3, bool special, ushort* w0, ushort* w1, ushort* w2, ushort* w3, int i, int cols, float* x)
    {
        for (; i < cols; i++)
        {
            s0 += Simd.Half(w0[i]) * F16MatVec.WeightScale * x[i];
            s1 += Simd.Half(w1[i]) * F16MatVec.WeightScale * x[i];
            s2 += Simd.Half(w2[i]) * F16MatVec.WeightScale * x[i];
            s3 += Simd.Half(w3[i]) * F16MatVec.WeightScale * x[i];
            special |= F16MatVec.IsSpecial(w0[i]) | F16MatVec.IsSpecial(w1[i]) | F16MatVec.IsSpecial(w2[i]) | F16MatVec.IsSpecial(w3[i]);
        }

        return Vector256.Create(s0, s1, s2, s3, special ? float.NaN : 0f, 0, 0, 0);
    }
}
