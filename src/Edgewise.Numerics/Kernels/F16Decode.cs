using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Edgewise.Numerics.Kernels;

/// <summary>
/// F16 weight rows × one prepared activation row (decode), one row after another. Each row is one sequential stream of
/// loads, which the CPU's own prefetchers follow: on Zen 4 a row at a time read 25 GB/s from memory on one thread where
/// four rows interleaved (with or without software prefetches) read 9 (bench/README, "F16 decode"). A row keeps four
/// accumulators over 64-column steps (32 with 256-bit vectors), then one vector step at a time, then the columns left in
/// order, so its result depends on nothing but the row and the activations. Specials are found on the raw halves:
/// shifted left by one (dropping the sign), an fp16 infinity or NaN is at least 0xF800, so one unsigned 16-bit maximum
/// per vector of halves flags them; a flagged row is recomputed by the scalar reference.
/// <para>
/// Two ways to widen the weights give the same products. <see cref="F16MatVec.WidenScaled(Vector512{int})"/> keeps every
/// value a binary32 normal (seven vector operations per sixteen weights). Where subnormal inputs cost a multiply nothing
/// (<see cref="RawWidening"/>: AMD's cores, measured on Zen 4), the halves are widened raw instead: the fp16 fields
/// shifted into place are the weight times 2^-112 (an fp16 subnormal becomes a binary32 subnormal, exactly), and the
/// activations are prepared times 2^112 (<see cref="ActivationScale(bool)"/>), so each fused multiply-add sees the same
/// exact product and rounds it the same way: two operations instead of seven, and the same bits.
/// </para>
/// </summary>
internal static unsafe class F16Decode
{
    private const ushort SpecialShifted = 0xF800;

    /// <summary>
    /// Columns from which 512-bit decode takes rows four at a time: 6144 floats of activations (24 KiB) and more
    /// leave a one-row stream too little of a 32 KiB L1 (Zen 4, 8192 columns, one thread from memory: 9.7 GB/s a row
    /// at a time, 16.1 four rows at a time; at 4864 columns the two were even and at 2048 one row was faster).
    /// </summary>
    internal const int LongRow = 6144;

    /// <summary>
    /// Whether decode widens the weights raw (<see cref="Raw"/>): on AMD CPUs, whose floating-point units take
    /// binary32 subnormal inputs at full speed (a multiply-add over subnormal weights measured as fast as over normal
    /// ones on Zen 4). Intel cores have been documented to take a microcode assist for them, so they keep the
    /// widening that never makes one.
    /// </summary>
    public static readonly bool RawWidening = IsAmd();

    /// <summary>Sign, exponent and mantissa of an fp16 shifted left by 13 in a sign-extended lane.</summary>
    private const int FieldMask = unchecked((int)0x8FFF_E000);

    /// <summary>The factor <see cref="F16MatVec.Prepare"/> applies to decode activations: 2^112 for raw widening, else <see cref="F16MatVec.ActivationScale"/>.</summary>
    public static float ActivationScale(bool raw) => raw ? 5.192296858534828e33f : F16MatVec.ActivationScale;

    /// <summary>
    /// output[r] = row r · x for r in [<paramref name="r0"/>, <paramref name="r1"/>), where <paramref name="x"/> was
    /// prepared with <see cref="ActivationScale(bool)"/> of <paramref name="raw"/>; <paramref name="wide"/> allows
    /// 512-bit vectors.
    /// </summary>
    public static void Rows(byte* weights, long rowBytes, int r0, int r1, int cols, float* x, float* output, bool wide, bool raw)
    {
        if (raw)
        {
            Rows<Raw>(weights, rowBytes, r0, r1, cols, x, output, wide);
        }
        else
        {
            Rows<Scaled>(weights, rowBytes, r0, r1, cols, x, output, wide);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows<TWiden>(byte* weights, long rowBytes, int r0, int r1, int cols, float* x, float* output, bool wide)
        where TWiden : struct, IWiden
    {
        var use512 = wide && Vector512.IsHardwareAccelerated && Avx512BW.IsSupported;
        var r = r0;
        if (use512 && cols >= LongRow)
        {
            for (; r + 4 <= r1; r += 4)
            {
                var w0 = (ushort*)(weights + (r * rowBytes));
                var sums = Dot4x512<TWiden>(w0, (ushort*)((byte*)w0 + rowBytes), (ushort*)((byte*)w0 + (2 * rowBytes)), (ushort*)((byte*)w0 + (3 * rowBytes)), cols, x);
                for (var k = 0; k < 4; k++)
                {
                    var row = (ushort*)((byte*)w0 + (k * rowBytes));
                    output[r + k] = sums.GetElement(4) != 0 && F16MatVec.HasSpecial(row, cols) ? F16MatVec.Reference(row, x, cols, TWiden.Scale) : sums.GetElement(k);
                }
            }
        }

        for (; r < r1; r++)
        {
            var row = (ushort*)(weights + (r * rowBytes));
            var (sum, special) = use512 ? Dot512<TWiden>(row, cols, x) : Dot256<TWiden>(row, cols, x);
            output[r] = special ? F16MatVec.Reference(row, x, cols, TWiden.Scale) : sum;
        }
    }

    /// <summary>One row's dot with 512-bit vectors, and whether the row holds an fp16 special.</summary>
    private static (float Sum, bool Special) Dot512<TWiden>(ushort* w, int cols, float* x)
        where TWiden : struct, IWiden
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        var peak = Vector512<ushort>.Zero;
        var i = 0;
        for (; i + 64 <= cols; i += 64)
        {
            peak = Avx512BW.Max(peak, Avx512BW.Max(Avx512BW.ShiftLeftLogical(Vector512.Load(w + i), 1), Avx512BW.ShiftLeftLogical(Vector512.Load(w + i + 32), 1)));
            a0 = Avx512F.FusedMultiplyAdd(TWiden.Widen16(w + i), Vector512.Load(x + i), a0);
            a1 = Avx512F.FusedMultiplyAdd(TWiden.Widen16(w + i + 16), Vector512.Load(x + i + 16), a1);
            a2 = Avx512F.FusedMultiplyAdd(TWiden.Widen16(w + i + 32), Vector512.Load(x + i + 32), a2);
            a3 = Avx512F.FusedMultiplyAdd(TWiden.Widen16(w + i + 48), Vector512.Load(x + i + 48), a3);
        }

        for (; i + 16 <= cols; i += 16)
        {
            peak = Avx512BW.Max(peak, Avx512BW.ShiftLeftLogical(Vector512.Create(Vector256.Load(w + i), Vector256<ushort>.Zero), 1));
            a0 = Avx512F.FusedMultiplyAdd(TWiden.Widen16(w + i), Vector512.Load(x + i), a0);
        }

        var special = Vector512.GreaterThanOrEqualAny(peak, Vector512.Create(SpecialShifted));
        return Finish(Simd.Sum((a0 + a1) + (a2 + a3)), special, w, i, cols, x, TWiden.Scale);
    }

    /// <summary>
    /// Four rows' dots (elements 0-3) with 512-bit vectors, each row with the accumulators, steps and tail of
    /// <see cref="Dot512{TWiden}"/>, so every row gets the same bits as alone; element 4 is nonzero when any of the rows
    /// may hold an fp16 special. For rows of <see cref="LongRow"/> columns or more, whose activations fill most of L1:
    /// read once for four rows, they stay there.
    /// </summary>
    private static Vector256<float> Dot4x512<TWiden>(ushort* w0, ushort* w1, ushort* w2, ushort* w3, int cols, float* x)
        where TWiden : struct, IWiden
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, d0 = default, d1 = default, d2 = default, d3 = default;
        var peak = Vector512<ushort>.Zero;
        var i = 0;
        for (; i + 64 <= cols; i += 64)
        {
            var s0 = Avx512BW.Max(Avx512BW.ShiftLeftLogical(Vector512.Load(w0 + i), 1), Avx512BW.ShiftLeftLogical(Vector512.Load(w0 + i + 32), 1));
            var s1 = Avx512BW.Max(Avx512BW.ShiftLeftLogical(Vector512.Load(w1 + i), 1), Avx512BW.ShiftLeftLogical(Vector512.Load(w1 + i + 32), 1));
            var s2 = Avx512BW.Max(Avx512BW.ShiftLeftLogical(Vector512.Load(w2 + i), 1), Avx512BW.ShiftLeftLogical(Vector512.Load(w2 + i + 32), 1));
            var s3 = Avx512BW.Max(Avx512BW.ShiftLeftLogical(Vector512.Load(w3 + i), 1), Avx512BW.ShiftLeftLogical(Vector512.Load(w3 + i + 32), 1));
            peak = Avx512BW.Max(peak, Avx512BW.Max(Avx512BW.Max(s0, s1), Avx512BW.Max(s2, s3)));
            var x0 = Vector512.Load(x + i);
            var x1 = Vector512.Load(x + i + 16);
            var x2 = Vector512.Load(x + i + 32);
            var x3 = Vector512.Load(x + i + 48);
            a0 = Avx512F.FusedMultiplyAdd(TWiden.Widen16(w0 + i), x0, a0);
            a1 = Avx512F.FusedMultiplyAdd(TWiden.Widen16(w0 + i + 16), x1, a1);
            a2 = Avx512F.FusedMultiplyAdd(TWiden.Widen16(w0 + i + 32), x2, a2);
            a3 = Avx512F.FusedMultiplyAdd(TWiden.Widen16(w0 + i + 48), x3, a3);
            b0 = Avx512F.FusedMultiplyAdd(TWiden.Widen16(w1 + i), x0, b0);
            b1 = Avx512F.FusedMultiplyAdd(TWiden.Widen16(w1 + i + 16), x1, b1);
            b2 = Avx512F.FusedMultiplyAdd(TWiden.Widen16(w1 + i + 32), x2, b2);
            b3 = Avx512F.FusedMultiplyAdd(TWiden.Widen16(w1 + i + 48), x3, b3);
            c0 = Avx512F.FusedMultiplyAdd(TWiden.Widen16(w2 + i), x0, c0);
            c1 = Avx512F.FusedMultiplyAdd(TWiden.Widen16(w2 + i + 16), x1, c1);
            c2 = Avx512F.FusedMultiplyAdd(TWiden.Widen16(w2 + i + 32), x2, c2);
            c3 = Avx512F.FusedMultiplyAdd(TWiden.Widen16(w2 + i + 48), x3, c3);
            d0 = Avx512F.FusedMultiplyAdd(TWiden.Widen16(w3 + i), x0, d0);
            d1 = Avx512F.FusedMultiplyAdd(TWiden.Widen16(w3 + i + 16), x1, d1);
            d2 = Avx512F.FusedMultiplyAdd(TWiden.Widen16(w3 + i + 32), x2, d2);
            d3 = Avx512F.FusedMultiplyAdd(TWiden.Widen16(w3 + i + 48), x3, d3);
        }

        for (; i + 16 <= cols; i += 16)
        {
            // Shifted before the maximum: the sign bit would otherwise win over an infinity in the same lane.
            var h01 = Avx512BW.ShiftLeftLogical(Vector512.Create(Vector256.Load(w0 + i), Vector256.Load(w1 + i)), 1);
            var h23 = Avx512BW.ShiftLeftLogical(Vector512.Create(Vector256.Load(w2 + i), Vector256.Load(w3 + i)), 1);
            peak = Avx512BW.Max(peak, Avx512BW.Max(h01, h23));
            var xi = Vector512.Load(x + i);
            a0 = Avx512F.FusedMultiplyAdd(TWiden.Widen16(w0 + i), xi, a0);
            b0 = Avx512F.FusedMultiplyAdd(TWiden.Widen16(w1 + i), xi, b0);
            c0 = Avx512F.FusedMultiplyAdd(TWiden.Widen16(w2 + i), xi, c0);
            d0 = Avx512F.FusedMultiplyAdd(TWiden.Widen16(w3 + i), xi, d0);
        }

        var special = Vector512.GreaterThanOrEqualAny(peak, Vector512.Create(SpecialShifted));
        var (s0t, f0) = Finish(Simd.Sum((a0 + a1) + (a2 + a3)), false, w0, i, cols, x, TWiden.Scale);
        var (s1t, f1) = Finish(Simd.Sum((b0 + b1) + (b2 + b3)), false, w1, i, cols, x, TWiden.Scale);
        var (s2t, f2) = Finish(Simd.Sum((c0 + c1) + (c2 + c3)), false, w2, i, cols, x, TWiden.Scale);
        var (s3t, f3) = Finish(Simd.Sum((d0 + d1) + (d2 + d3)), false, w3, i, cols, x, TWiden.Scale);
        return Vector256.Create(s0t, s1t, s2t, s3t, special || f0 || f1 || f2 || f3 ? 1f : 0f, 0, 0, 0);
    }

    /// <summary>As <see cref="Dot512{TWiden}"/> with 256-bit vectors (32 columns a step, so the order of the sums differs).</summary>
    private static (float Sum, bool Special) Dot256<TWiden>(ushort* w, int cols, float* x)
        where TWiden : struct, IWiden
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        var peak = Vector256<ushort>.Zero;
        var i = 0;
        for (; i + 32 <= cols; i += 32)
        {
            peak = Avx2.Max(peak, Avx2.Max(Avx2.ShiftLeftLogical(Vector256.Load(w + i), 1), Avx2.ShiftLeftLogical(Vector256.Load(w + i + 16), 1)));
            a0 = Fma.MultiplyAdd(TWiden.Widen8(w + i), Avx.LoadVector256(x + i), a0);
            a1 = Fma.MultiplyAdd(TWiden.Widen8(w + i + 8), Avx.LoadVector256(x + i + 8), a1);
            a2 = Fma.MultiplyAdd(TWiden.Widen8(w + i + 16), Avx.LoadVector256(x + i + 16), a2);
            a3 = Fma.MultiplyAdd(TWiden.Widen8(w + i + 24), Avx.LoadVector256(x + i + 24), a3);
        }

        for (; i + 8 <= cols; i += 8)
        {
            peak = Avx2.Max(peak, Avx2.ShiftLeftLogical(Vector256.Create(Vector128.Load(w + i), Vector128<ushort>.Zero), 1));
            a0 = Fma.MultiplyAdd(TWiden.Widen8(w + i), Avx.LoadVector256(x + i), a0);
        }

        var special = Vector256.GreaterThanOrEqualAny(peak, Vector256.Create(SpecialShifted));
        return Finish(Simd.Sum((a0 + a1) + (a2 + a3)), special, w, i, cols, x, TWiden.Scale);
    }

    /// <summary>Adds the columns past the last vector step, in order (each weight times <paramref name="scale"/>, exact), and flags specials among them.</summary>
    private static (float Sum, bool Special) Finish(float sum, bool special, ushort* w, int i, int cols, float* x, float scale)
    {
        for (; i < cols; i++)
        {
            sum += Simd.Half(w[i]) * scale * x[i];
            special |= F16MatVec.IsSpecial(w[i]);
        }

        return (sum, special);
    }

    /// <summary>How a kernel widens halves: sixteen or eight at a time, each times <see cref="Scale"/>.</summary>
    internal interface IWiden
    {
        /// <summary>The factor on every widened weight.</summary>
        static abstract float Scale { get; }

        static abstract Vector512<float> Widen16(ushort* h);

        static abstract Vector256<float> Widen8(ushort* h);
    }

    /// <summary>Times 2^16, never a binary32 subnormal (<see cref="F16MatVec.WidenScaled(Vector512{int})"/>).</summary>
    internal readonly struct Scaled : IWiden
    {
        public static float Scale => F16MatVec.WeightScale;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Widen16(ushort* h) => F16MatVec.WidenScaled(Avx512F.ConvertToVector512Int32(Vector256.Load((short*)h)));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Widen8(ushort* h) => F16MatVec.WidenScaled(Avx2.ConvertToVector256Int32((short*)h));
    }

    /// <summary>
    /// Times 2^-112: the sign-extended half shifted left by 13 with the three copies of the sign between bit 31 and the
    /// exponent cleared (exact for every finite half; fp16 subnormals become binary32 subnormals).
    /// </summary>
    internal readonly struct Raw : IWiden
    {
        public static float Scale => 1.925929944387236e-34f;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Widen16(ushort* h) =>
            ((Avx512F.ConvertToVector512Int32(Vector256.Load((short*)h)) << 13) & Vector512.Create(FieldMask)).AsSingle();

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Widen8(ushort* h) =>
            ((Avx2.ConvertToVector256Int32((short*)h) << 13) & Vector256.Create(FieldMask)).AsSingle();
    }

    private static bool IsAmd()
    {
        if (!X86Base.IsSupported)
        {
            return false;
        }

        // Vendor string in EBX, EDX, ECX of leaf 0: "AuthenticAMD".
        var (_, ebx, ecx, edx) = X86Base.CpuId(0, 0);
        return ebx == 0x68747541 && edx == 0x69746E65 && ecx == 0x444D4163;
    }
}
