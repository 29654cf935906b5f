using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Edgewise.Numerics.Kernels;

/// <summary>
/// Building blocks of the quantized dot products: exact byte dot products at each vector width, and scalar loads.
/// The byte products assume activations in [−127, 127] (what the activation quantizers produce), which keeps every
/// 16-bit pair sum of <c>vpmaddubsw</c> below saturation, so all paths give the scalar code's integers exactly.
/// </summary>
internal static class Simd
{
    /// <summary>2^-24 as a float: the value of an fp16 subnormal's mantissa unit.</summary>
    private const float TwoPowMinus24 = 5.9604645e-8f;

    /// <summary>112 &lt;&lt; 23: moves an fp16 exponent (bias 15), shifted into binary32 position, to bias 127.</summary>
    private const int Rebias = 0x3800_0000;

    /// <summary>
    /// fp16 bits to float, exact for every input (zeros, subnormals, normals, infinities, NaNs) and free of calls and
    /// table loads, so kernels that use it keep their vector accumulators in registers. Normals are rebiased in
    /// integer arithmetic and subnormals converted from their mantissa as an integer; no step ever holds a binary32
    /// subnormal, which x86 cores handle in microcode (a hundred cycles and more per instruction). Small weights
    /// have fp16 subnormal block scales (a Q6_K scale of typical embedding weights is a few 1e-6), so the shortcut of
    /// multiplying the shifted bits by 2^112 made such rows several times slower.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Half(ushort h)
    {
        var magnitude = h & 0x7FFF;
        var normal = (uint)((magnitude << 13) + Rebias + (magnitude >= 0x7C00 ? Rebias : 0));
        var low = BitConverter.SingleToUInt32Bits(magnitude * TwoPowMinus24);
        var bits = magnitude < 0x400 ? low : normal;
        return BitConverter.UInt32BitsToSingle(bits | ((uint)(h & 0x8000) << 16));
    }

    /// <summary>
    /// Four fp16 patterns (zero-extended in int32 lanes) to floats, with the results of <see cref="Half"/>: exact for
    /// every input and without binary32 subnormals on the way.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> HalfToSingle(Vector128<int> h)
    {
        var magnitude = h & Vector128.Create(0x7FFF);
        var normal = (magnitude << 13) + Vector128.Create(Rebias)
            + (Vector128.GreaterThanOrEqual(magnitude, Vector128.Create(0x7C00)) & Vector128.Create(Rebias));
        var low = (Vector128.ConvertToSingle(magnitude) * Vector128.Create(TwoPowMinus24)).AsInt32();
        var bits = Vector128.ConditionalSelect(Vector128.LessThan(magnitude, Vector128.Create(0x400)), low, normal);
        return (bits | ((h & Vector128.Create(0x8000)) << 16)).AsSingle();
    }

    /// <summary>Eight fp16 patterns (zero-extended in int32 lanes) to floats, as <see cref="HalfToSingle(Vector128{int})"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> HalfToSingle(Vector256<int> h)
    {
        var magnitude = h & Vector256.Create(0x7FFF);
        var normal = (magnitude << 13) + Vector256.Create(Rebias)
            + (Vector256.GreaterThanOrEqual(magnitude, Vector256.Create(0x7C00)) & Vector256.Create(Rebias));
        var low = (Vector256.ConvertToSingle(magnitude) * Vector256.Create(TwoPowMinus24)).AsInt32();
        var bits = Vector256.ConditionalSelect(Vector256.LessThan(magnitude, Vector256.Create(0x400)), low, normal);
        return (bits | ((h & Vector256.Create(0x8000)) << 16)).AsSingle();
    }

    /// <summary>Sixteen fp16 patterns (zero-extended in int32 lanes) to floats, as <see cref="HalfToSingle(Vector128{int})"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> HalfToSingle(Vector512<int> h)
    {
        var magnitude = h & Vector512.Create(0x7FFF);
        var normal = (magnitude << 13) + Vector512.Create(Rebias)
            + (Vector512.GreaterThanOrEqual(magnitude, Vector512.Create(0x7C00)) & Vector512.Create(Rebias));
        var low = (Vector512.ConvertToSingle(magnitude) * Vector512.Create(TwoPowMinus24)).AsInt32();
        var bits = Vector512.ConditionalSelect(Vector512.LessThan(magnitude, Vector512.Create(0x400)), low, normal);
        return (bits | ((h & Vector512.Create(0x8000)) << 16)).AsSingle();
    }

    /// <summary>Reads the fp16 at <paramref name="offset"/> bytes after <paramref name="b"/> as a float.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float HalfAt(ref byte b, nint offset) => Half(Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref b, offset)));

    /// <summary>Σ u·s over 32 unsigned × signed bytes, as 8 int32 partial sums (AVX-VNNI or AVX2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> DotU(Vector256<byte> u, Vector256<sbyte> s)
    {
        if (AvxVnni.IsSupported)
        {
            return AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, u, s);
        }

        return Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u, s), Vector256.Create((short)1));
    }

    /// <summary>Σ w·a over 32 signed byte pairs, as 8 int32 partial sums (sign moved onto the activations).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> DotS(Vector256<sbyte> w, Vector256<sbyte> a) =>
        DotU(Avx2.Abs(w), Avx2.Sign(a, w));

    /// <summary>Σ u·s over 64 unsigned × signed bytes, as 16 int32 partial sums (AVX-512 BW).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> DotU(Vector512<byte> u, Vector512<sbyte> s) =>
        Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(u, s), Vector512.Create((short)1));

    /// <summary>16-bit pair sums u·s of 64 unsigned × signed bytes (AVX-512 BW).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<short> Pairs(Vector512<byte> u, Vector512<sbyte> s) => Avx512BW.MultiplyAddAdjacent(u, s);

    /// <summary>16-bit pair sums u·s of 32 unsigned × signed bytes (AVX2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<short> Pairs(Vector256<byte> u, Vector256<sbyte> s) => Avx2.MultiplyAddAdjacent(u, s);

    /// <summary>Σ w·a over 16 signed byte pairs as 4 int32 partial sums, with portable operations only.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Dot(Vector128<sbyte> w, Vector128<sbyte> a)
    {
        var (wl, wh) = Vector128.Widen(w);
        var (al, ah) = Vector128.Widen(a);
        var pl = wl * al;
        var ph = wh * ah;
        var (l0, l1) = Vector128.Widen(pl);
        var (h0, h1) = Vector128.Widen(ph);
        return (l0 + l1) + (h0 + h1);
    }

    /// <summary>Σ w·a·scale per group, portable: w·a of 16 pairs (|w·a| ≤ 16256 fits in int16), then × the group scale.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> DotScaled(Vector128<sbyte> w, Vector128<sbyte> a, int scale) => Dot(w, a) * scale;

    /// <summary>Horizontal int32 sum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Sum(Vector256<int> v) => Vector128.Sum(v.GetLower() + v.GetUpper());

    /// <summary>Horizontal int32 sum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Sum(Vector512<int> v) => Sum(v.GetLower() + v.GetUpper());

    /// <summary>Horizontal float sum of 8 lanes, pairwise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector256<float> v) => Vector128.Sum(v.GetLower() + v.GetUpper());

    /// <summary>
    /// Stores the horizontal sums of a 2-row × 4-token register tile: c_rt goes to y[t·<paramref name="outStride"/> + r]
    /// (the epilogue shared by the prompt-batch kernels).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void StoreTile2x4(
        float* y, long outStride,
        Vector256<float> c00, Vector256<float> c10, Vector256<float> c01, Vector256<float> c11,
        Vector256<float> c02, Vector256<float> c12, Vector256<float> c03, Vector256<float> c13)
    {
        y[0] = Sum(c00);
        y[1] = Sum(c10);
        y += outStride;
        y[0] = Sum(c01);
        y[1] = Sum(c11);
        y += outStride;
        y[0] = Sum(c02);
        y[1] = Sum(c12);
        y += outStride;
        y[0] = Sum(c03);
        y[1] = Sum(c13);
    }

    /// <summary>
    /// The integer core of the 2-row × 4-token prompt-batch tiles (AVX-VNNI): over bytes [<paramref name="from"/>,
    /// <paramref name="to"/>) in steps of 32, i_rt += u_r · a_t for the unsigned weight bytes at <paramref name="w0"/>,
    /// <paramref name="w1"/> and the signed activation bytes at <paramref name="a0"/>..<paramref name="a3"/>. Inlined,
    /// the accumulators stay in registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Dot2x4(
        byte* w0, byte* w1, byte* a0, byte* a1, byte* a2, byte* a3, int from, int to,
        ref Vector256<int> i00, ref Vector256<int> i10, ref Vector256<int> i01, ref Vector256<int> i11,
        ref Vector256<int> i02, ref Vector256<int> i12, ref Vector256<int> i03, ref Vector256<int> i13)
    {
        for (var m = from; m < to; m += 32)
        {
            var u0 = Avx.LoadVector256(w0 + m);
            var u1 = Avx.LoadVector256(w1 + m);
            var x = Avx.LoadVector256((sbyte*)(a0 + m));
            i00 = AvxVnni.MultiplyWideningAndAdd(i00, u0, x);
            i10 = AvxVnni.MultiplyWideningAndAdd(i10, u1, x);
            x = Avx.LoadVector256((sbyte*)(a1 + m));
            i01 = AvxVnni.MultiplyWideningAndAdd(i01, u0, x);
            i11 = AvxVnni.MultiplyWideningAndAdd(i11, u1, x);
            x = Avx.LoadVector256((sbyte*)(a2 + m));
            i02 = AvxVnni.MultiplyWideningAndAdd(i02, u0, x);
            i12 = AvxVnni.MultiplyWideningAndAdd(i12, u1, x);
            x = Avx.LoadVector256((sbyte*)(a3 + m));
            i03 = AvxVnni.MultiplyWideningAndAdd(i03, u0, x);
            i13 = AvxVnni.MultiplyWideningAndAdd(i13, u1, x);
        }
    }

    /// <summary>Horizontal float sum of 16 lanes, pairwise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector512<float> v) => Sum(v.GetLower() + v.GetUpper());

    /// <summary>Two 16-byte loads joined into one 256-bit vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Load2x16(ref byte lo, ref byte hi) =>
        Vector256.Create(Vector128.LoadUnsafe(ref lo), Vector128.LoadUnsafe(ref hi));

    /// <summary>Two 32-byte loads joined into one 512-bit vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Load2x32(ref byte lo, ref byte hi) =>
        Vector512.Create(Vector256.LoadUnsafe(ref lo), Vector256.LoadUnsafe(ref hi));

    /// <summary>16 packed bytes → 32 nibbles: low nibbles in the first half, high nibbles in the second (AVX2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Nibbles(Vector128<byte> packed) =>
        Vector256.Create(packed, Vector128.ShiftRightLogical(packed, 4)) & Vector256.Create((byte)0x0F);
}
