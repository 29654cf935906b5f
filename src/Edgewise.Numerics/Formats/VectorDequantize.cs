using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Edgewise.Numerics.Formats;

/// <summary>Which vector path a dequantizer takes; tests force each one to compare it with the scalar code.</summary>
internal enum VectorPath
{
    /// <summary>AVX2: 8 lanes, byte-to-int widening in one instruction.</summary>
    Avx2,

    /// <summary>Portable 128-bit vectors (SSE2, ARM AdvSimd).</summary>
    Vector128,
}

/// <summary>
/// Vectorized dequantizers for the hot formats (F16, Q8_0, Q4_0, Q4_K, Q6_K). Each lane performs the scalar
/// code's operations in the same order (integer quant, then float multiply by the same scale, then subtract),
/// so the results are bit-identical to the scalar versions.
/// </summary>
internal static class VectorDequantize
{
    /// <summary>The best path this machine runs, or null when only scalar code should be used.</summary>
    public static VectorPath? Best { get; } =
        Avx2.IsSupported ? VectorPath.Avx2 : Vector128.IsHardwareAccelerated ? VectorPath.Vector128 : null;

    /// <summary>Runs the vector dequantizer for <paramref name="type"/>; false when the type has none.</summary>
    public static bool TryRow(TensorType type, ReadOnlySpan<byte> src, Span<float> dst, VectorPath path)
    {
        switch (type)
        {
            case TensorType.F16: F16(src, dst, path); return true;
            case TensorType.Q8_0: Q80(src, dst, path); return true;
            case TensorType.Q4_0: Q40(src, dst, path); return true;
            case TensorType.Q4_K: Q4K(src, dst, path); return true;
            case TensorType.Q6_K: Q6K(src, dst, path); return true;
            default: return false;
        }
    }

    public static void F16(ReadOnlySpan<byte> src, Span<float> dst, VectorPath path)
    {
        var halves = MemoryMarshal.Cast<byte, ushort>(src);
        var count = dst.Length - dst.Length % 8;
        ref var h = ref MemoryMarshal.GetReference(halves);
        ref var y = ref MemoryMarshal.GetReference(dst);
        for (var i = 0; i < count; i += 8)
        {
            var bits = Vector128.LoadUnsafe(ref h, (nuint)i);
            if (path == VectorPath.Avx2)
            {
                WidenHalves(Avx2.ConvertToVector256Int32(bits).AsUInt32()).StoreUnsafe(ref y, (nuint)i);
            }
            else
            {
                var (lo, hi) = Vector128.Widen(bits);
                WidenHalves(lo).StoreUnsafe(ref y, (nuint)i);
                WidenHalves(hi).StoreUnsafe(ref y, (nuint)(i + 4));
            }
        }

        FloatFormats.DequantizeF16(src[(2 * count)..], dst[count..]);
    }

    public static void Q80(ReadOnlySpan<byte> src, Span<float> dst, VectorPath path)
    {
        var blocks = dst.Length / Formats.Q80.BlockSize;
        ref var y = ref MemoryMarshal.GetReference(dst);
        for (var i = 0; i < blocks; i++)
        {
            var b = src.Slice(i * Formats.Q80.BlockBytes, Formats.Q80.BlockBytes);
            var d = Fp16.ToSingle(BinaryPrimitives.ReadUInt16LittleEndian(b));
            ref var q = ref Unsafe.As<byte, sbyte>(ref MemoryMarshal.GetReference(b[2..]));
            var o = (nuint)(32 * i);
            var v0 = Vector128.LoadUnsafe(ref q);
            var v1 = Vector128.LoadUnsafe(ref q, 16);
            StoreScaled(v0, d, ref y, o, path);
            StoreScaled(v1, d, ref y, o + 16, path);
        }
    }

    public static void Q40(ReadOnlySpan<byte> src, Span<float> dst, VectorPath path)
    {
        var blocks = dst.Length / Q4Legacy.BlockSize;
        ref var y = ref MemoryMarshal.GetReference(dst);
        var eight = Vector128.Create((sbyte)8);
        var mask = Vector128.Create((byte)0x0F);
        for (var i = 0; i < blocks; i++)
        {
            var b = src.Slice(i * Q4Legacy.Q40BlockBytes, Q4Legacy.Q40BlockBytes);
            var d = Fp16.ToSingle(BinaryPrimitives.ReadUInt16LittleEndian(b));
            var packed = Vector128.LoadUnsafe(ref MemoryMarshal.GetReference(b[2..]));
            var lo = (packed & mask).AsSByte() - eight;
            var hi = Vector128.ShiftRightLogical(packed, 4).AsSByte() - eight;
            var o = (nuint)(32 * i);
            StoreScaled(lo, d, ref y, o, path);
            StoreScaled(hi, d, ref y, o + 16, path);
        }
    }

    public static void Q4K(ReadOnlySpan<byte> src, Span<float> dst, VectorPath path)
    {
        var blocks = dst.Length / Formats.Q4K.BlockSize;
        ref var y = ref MemoryMarshal.GetReference(dst);
        var mask = Vector128.Create((byte)0x0F);
        for (var i = 0; i < blocks; i++)
        {
            var b = src.Slice(i * Formats.Q4K.BlockBytes, Formats.Q4K.BlockBytes);
            var d = Fp16.ToSingle(BinaryPrimitives.ReadUInt16LittleEndian(b));
            var dmin = Fp16.ToSingle(BinaryPrimitives.ReadUInt16LittleEndian(b[2..]));
            var scales = b.Slice(4, 12);
            ref var qs = ref MemoryMarshal.GetReference(b[16..]);
            for (var k = 0; k < 4; k++)
            {
                KQuantSearch.ScaleMinK4(2 * k, scales, out var sc, out var m);
                var d1 = d * sc;
                var m1 = dmin * m;
                KQuantSearch.ScaleMinK4(2 * k + 1, scales, out sc, out m);
                var d2 = d * sc;
                var m2 = dmin * m;
                var o = (nuint)(256 * i + 64 * k);
                for (var half = 0; half < 2; half++)
                {
                    var packed = Vector128.LoadUnsafe(ref qs, (nuint)(32 * k + 16 * half));
                    var lo = (packed & mask).AsSByte();
                    var hi = Vector128.ShiftRightLogical(packed, 4).AsSByte();
                    StoreScaledOffset(lo, d1, m1, ref y, o + (nuint)(16 * half), path);
                    StoreScaledOffset(hi, d2, m2, ref y, o + 32 + (nuint)(16 * half), path);
                }
            }
        }
    }

    public static void Q6K(ReadOnlySpan<byte> src, Span<float> dst, VectorPath path)
    {
        var blocks = dst.Length / Formats.Q6K.BlockSize;
        ref var y = ref MemoryMarshal.GetReference(dst);
        var mask = Vector128.Create((byte)0x0F);
        var three = Vector128.Create((byte)3);
        var bias = Vector128.Create((sbyte)32);
        for (var i = 0; i < blocks; i++)
        {
            var b = src.Slice(i * Formats.Q6K.BlockBytes, Formats.Q6K.BlockBytes);
            var d = Fp16.ToSingle(BinaryPrimitives.ReadUInt16LittleEndian(b[208..]));
            ref var block = ref MemoryMarshal.GetReference(b);
            for (var half = 0; half < 2; half++)
            {
                var ql = (nuint)(64 * half);
                var qh = (nuint)(128 + 32 * half);
                var sc = 192 + 8 * half;
                for (var part = 0; part < 2; part++)
                {
                    // Elements l = 16·part .. 16·part + 15 of each of the four 32-element rows share one scale each.
                    var p = (nuint)(16 * part);
                    var low0 = Vector128.LoadUnsafe(ref block, ql + p);
                    var low1 = Vector128.LoadUnsafe(ref block, ql + 32 + p);
                    var high = Vector128.LoadUnsafe(ref block, qh + p);
                    var q1 = ((low0 & mask) | ((high & three) << 4)).AsSByte() - bias;
                    var q2 = ((low1 & mask) | ((Vector128.ShiftRightLogical(high, 2) & three) << 4)).AsSByte() - bias;
                    var q3 = (Vector128.ShiftRightLogical(low0, 4) | ((Vector128.ShiftRightLogical(high, 4) & three) << 4)).AsSByte() - bias;
                    var q4 = (Vector128.ShiftRightLogical(low1, 4) | (Vector128.ShiftRightLogical(high, 6) << 4)).AsSByte() - bias;
                    var o = (nuint)(256 * i + 128 * half) + p;
                    StoreScaled(q1, d * (sbyte)b[sc + part], ref y, o, path);
                    StoreScaled(q2, d * (sbyte)b[sc + part + 2], ref y, o + 32, path);
                    StoreScaled(q3, d * (sbyte)b[sc + part + 4], ref y, o + 64, path);
                    StoreScaled(q4, d * (sbyte)b[sc + part + 6], ref y, o + 96, path);
                }
            }
        }
    }

    /// <summary>Stores 16 quants times <paramref name="scale"/> at <paramref name="offset"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreScaled(Vector128<sbyte> q, float scale, ref float y, nuint offset, VectorPath path)
    {
        if (path == VectorPath.Avx2)
        {
            var s = Vector256.Create(scale);
            (Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(q)) * s).StoreUnsafe(ref y, offset);
            (Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(Sse2.ShiftRightLogical128BitLane(q, 8))) * s).StoreUnsafe(ref y, offset + 8);
            return;
        }

        var s4 = Vector128.Create(scale);
        var (a, b) = Vector128.Widen(q);
        var (a0, a1) = Vector128.Widen(a);
        var (b0, b1) = Vector128.Widen(b);
        (Vector128.ConvertToSingle(a0) * s4).StoreUnsafe(ref y, offset);
        (Vector128.ConvertToSingle(a1) * s4).StoreUnsafe(ref y, offset + 4);
        (Vector128.ConvertToSingle(b0) * s4).StoreUnsafe(ref y, offset + 8);
        (Vector128.ConvertToSingle(b1) * s4).StoreUnsafe(ref y, offset + 12);
    }

    /// <summary>Stores 16 quants as scale·q − offsetValue (multiply, then subtract: no fused multiply-add).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreScaledOffset(Vector128<sbyte> q, float scale, float min, ref float y, nuint offset, VectorPath path)
    {
        if (path == VectorPath.Avx2)
        {
            var s = Vector256.Create(scale);
            var m = Vector256.Create(min);
            (Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(q)) * s - m).StoreUnsafe(ref y, offset);
            (Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(Sse2.ShiftRightLogical128BitLane(q, 8))) * s - m).StoreUnsafe(ref y, offset + 8);
            return;
        }

        var s4 = Vector128.Create(scale);
        var m4 = Vector128.Create(min);
        var (a, b) = Vector128.Widen(q);
        var (a0, a1) = Vector128.Widen(a);
        var (b0, b1) = Vector128.Widen(b);
        (Vector128.ConvertToSingle(a0) * s4 - m4).StoreUnsafe(ref y, offset);
        (Vector128.ConvertToSingle(a1) * s4 - m4).StoreUnsafe(ref y, offset + 4);
        (Vector128.ConvertToSingle(b0) * s4 - m4).StoreUnsafe(ref y, offset + 8);
        (Vector128.ConvertToSingle(b1) * s4 - m4).StoreUnsafe(ref y, offset + 12);
    }

    /// <summary>
    /// fp16 bit patterns (one per 32-bit lane) to floats, exactly and without binary32 subnormals on the way
    /// (<see cref="Kernels.Simd.HalfToSingle(Vector256{int})"/>), NaNs made quiet as <see cref="Fp16.ToSingle"/> does.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> WidenHalves(Vector256<uint> h)
    {
        var nan = Vector256.GreaterThan(h & Vector256.Create(0x7FFFu), Vector256.Create(0x7C00u));
        return (Kernels.Simd.HalfToSingle(h.AsInt32()).AsUInt32() | (nan & Vector256.Create(0x0040_0000u))).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> WidenHalves(Vector128<uint> h)
    {
        var nan = Vector128.GreaterThan(h & Vector128.Create(0x7FFFu), Vector128.Create(0x7C00u));
        return (Kernels.Simd.HalfToSingle(h.AsInt32()).AsUInt32() | (nan & Vector128.Create(0x0040_0000u))).AsSingle();
    }
}
