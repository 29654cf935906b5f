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
        for (var r = r0; r < r1; r++)
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
