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
    /// The integer core of the 2-row × 4-token prompt-batch tiles: over bytes [<paramref name="from"/>,
    /// <paramref name="to"/>) in steps of 32, i_rt += u_r · a_t (each int32 lane summing its four byte products) for the
    /// unsigned weight bytes at <paramref name="w0"/>, <paramref name="w1"/> and the signed activation bytes at
    /// <paramref name="a0"/>..<paramref name="a3"/>. Inlined, the accumulators stay in registers. With AVX-VNNI each step
    /// is one <c>vpdpbusd</c> per product. Without it, <c>vpmaddubsw</c> pair sums are added in 16 bits over
    /// <paramref name="span"/> bytes and widened once with <c>vpmaddwd</c>, which is exact when no 16-bit sum over a
    /// span can leave [−32768, 32767]: the caller's bound, e.g. 256 bytes for 4-bit quants (8 · 2 · 15 · 128 = 30720),
    /// 128 for 5-bit, 64 for 6-bit. <paramref name="span"/> 0 is for Q8_0 quants stored plus 128: without AVX-VNNI it
    /// adds the signed quants' products instead (<see cref="Signed2x4"/>), for activations prepared with zero starting lanes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Dot2x4(
        byte* w0, byte* w1, byte* a0, byte* a1, byte* a2, byte* a3, int from, int to, int span,
        ref Vector256<int> i00, ref Vector256<int> i10, ref Vector256<int> i01, ref Vector256<int> i11,
        ref Vector256<int> i02, ref Vector256<int> i12, ref Vector256<int> i03, ref Vector256<int> i13)
    {
        if (AvxVnni.IsSupported)
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

            return;
        }

        if (span == 0)
        {
            Signed2x4(w0, w1, a0, a1, a2, a3, from, to, ref i00, ref i10, ref i01, ref i11, ref i02, ref i12, ref i03, ref i13);
            return;
        }

        for (var m0 = from; m0 < to; m0 += span)
        {
            Narrow2x4(w0, w1, a0, a1, a2, a3, m0, Math.Min(to, m0 + span), ref i00, ref i10, ref i01, ref i11, ref i02, ref i12, ref i03, ref i13);
        }
    }

    /// <summary>i + Σ u·s over [<paramref name="from"/>, <paramref name="to"/>) of one weight row and one token, as <see cref="Dot2x4"/> computes each product (same <paramref name="span"/> rule).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Vector256<int> DotBytes(Vector256<int> i, byte* w, byte* a, int from, int to, int span)
    {
        if (AvxVnni.IsSupported)
        {
            for (var m = from; m < to; m += 32)
            {
                i = AvxVnni.MultiplyWideningAndAdd(i, Avx.LoadVector256(w + m), Avx.LoadVector256((sbyte*)(a + m)));
            }

            return i;
        }

        var ones = Vector256.Create((short)1);
        if (span == 0)
        {
            for (var m = from; m < to; m += 32)
            {
                i = SignedStep(i, Avx.LoadVector256(w + m), Avx.LoadVector256((sbyte*)(a + m)));
            }

            return i;
        }

        for (var m0 = from; m0 < to; m0 += span)
        {
            var p = Vector256<short>.Zero;
            for (var m = m0; m < to && m < m0 + span; m += 32)
            {
                p += Avx2.MultiplyAddAdjacent(Avx.LoadVector256(w + m), Avx.LoadVector256((sbyte*)(a + m)));
            }

            i += Avx2.MultiplyAddAdjacent(p, ones);
        }

        return i;
    }

    /// <summary><see cref="Dot2x4"/> without AVX-VNNI over one span whose 16-bit pair sums cannot overflow.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Narrow2x4(
        byte* w0, byte* w1, byte* a0, byte* a1, byte* a2, byte* a3, int from, int to,
        ref Vector256<int> i00, ref Vector256<int> i10, ref Vector256<int> i01, ref Vector256<int> i11,
        ref Vector256<int> i02, ref Vector256<int> i12, ref Vector256<int> i03, ref Vector256<int> i13)
    {
        Vector256<short> p00 = default, p01 = default, p02 = default, p03 = default;
        Vector256<short> p10 = default, p11 = default, p12 = default, p13 = default;
        for (var m = from; m < to; m += 32)
        {
            var u0 = Avx.LoadVector256(w0 + m);
            var u1 = Avx.LoadVector256(w1 + m);
            var x = Avx.LoadVector256((sbyte*)(a0 + m));
            p00 += Avx2.MultiplyAddAdjacent(u0, x);
            p10 += Avx2.MultiplyAddAdjacent(u1, x);
            x = Avx.LoadVector256((sbyte*)(a1 + m));
            p01 += Avx2.MultiplyAddAdjacent(u0, x);
            p11 += Avx2.MultiplyAddAdjacent(u1, x);
            x = Avx.LoadVector256((sbyte*)(a2 + m));
            p02 += Avx2.MultiplyAddAdjacent(u0, x);
            p12 += Avx2.MultiplyAddAdjacent(u1, x);
            x = Avx.LoadVector256((sbyte*)(a3 + m));
            p03 += Avx2.MultiplyAddAdjacent(u0, x);
            p13 += Avx2.MultiplyAddAdjacent(u1, x);
        }

        var ones = Vector256.Create((short)1);
        i00 += Avx2.MultiplyAddAdjacent(p00, ones);
        i10 += Avx2.MultiplyAddAdjacent(p10, ones);
        i01 += Avx2.MultiplyAddAdjacent(p01, ones);
        i11 += Avx2.MultiplyAddAdjacent(p11, ones);
        i02 += Avx2.MultiplyAddAdjacent(p02, ones);
        i12 += Avx2.MultiplyAddAdjacent(p12, ones);
        i03 += Avx2.MultiplyAddAdjacent(p03, ones);
        i13 += Avx2.MultiplyAddAdjacent(p13, ones);
    }

    /// <summary>
    /// <see cref="Dot2x4"/> for Q8_0 quants stored plus 128, without AVX-VNNI: each weight byte is turned back into its
    /// signed quant q (one XOR), and q·a is <c>vpmaddubsw</c> of |q| and a with q's sign (exact: |q| ≤ 128 and |a| ≤ 127,
    /// so a pair stays within ±32512), widened at once by <c>vpmaddwd</c>. The sums are Σ q·a, so the activation must
    /// have been prepared with starting lanes of zero (<see cref="LegacyGemm.Prepare"/> does so without AVX-VNNI), not
    /// −128·Σ a as <c>vpdpbusd</c> of the stored bytes needs.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Signed2x4(
        byte* w0, byte* w1, byte* a0, byte* a1, byte* a2, byte* a3, int from, int to,
        ref Vector256<int> i00, ref Vector256<int> i10, ref Vector256<int> i01, ref Vector256<int> i11,
        ref Vector256<int> i02, ref Vector256<int> i12, ref Vector256<int> i03, ref Vector256<int> i13)
    {
        var ones = Vector256.Create((short)1);
        var flip = Vector256.Create((byte)0x80);
        for (var m = from; m < to; m += 32)
        {
            var q0 = (Avx.LoadVector256(w0 + m) ^ flip).AsSByte();
            var q1 = (Avx.LoadVector256(w1 + m) ^ flip).AsSByte();
            var m0 = Avx2.Abs(q0);
            var m1 = Avx2.Abs(q1);
            var x = Avx.LoadVector256((sbyte*)(a0 + m));
            i00 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(m0, Avx2.Sign(x, q0)), ones);
            i10 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(m1, Avx2.Sign(x, q1)), ones);
            x = Avx.LoadVector256((sbyte*)(a1 + m));
            i01 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(m0, Avx2.Sign(x, q0)), ones);
            i11 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(m1, Avx2.Sign(x, q1)), ones);
            x = Avx.LoadVector256((sbyte*)(a2 + m));
            i02 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(m0, Avx2.Sign(x, q0)), ones);
            i12 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(m1, Avx2.Sign(x, q1)), ones);
            x = Avx.LoadVector256((sbyte*)(a3 + m));
            i03 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(m0, Avx2.Sign(x, q0)), ones);
            i13 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(m1, Avx2.Sign(x, q1)), ones);
        }
    }

    /// <summary>i + q·a for 32 Q8_0 bytes stored plus 128 and 32 activation bytes, as <see cref="Signed2x4"/> computes each product.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> SignedStep(Vector256<int> i, Vector256<byte> stored, Vector256<sbyte> x)
    {
        var q = (stored ^ Vector256.Create((byte)0x80)).AsSByte();
        return i + Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(Avx2.Abs(q), Avx2.Sign(x, q)), Vector256.Create((short)1));
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
