using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Edgewise.Numerics.Kernels;

/// <summary>
/// Float dot products: F32 · F32, F16 · F16 and BF16 · BF16 (ggml rounds activations to the weight's 16-bit type and
/// accumulates in float). The scalar references accumulate in double, like ggml's scalar code; vector paths keep
/// float lanes. fp16 is widened exactly with integer operations; a row holding an fp16 infinity or NaN is recomputed
/// by the scalar code so the special values come out as IEEE arithmetic gives them.
/// </summary>
internal static class FloatDot
{

    public static float ScalarF32(ref byte w, ref byte a, int n)
    {
        var x = MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<byte, float>(ref w), n);
        var y = MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<byte, float>(ref a), n);
        var sum = 0.0;
        for (var i = 0; i < n; i++)
        {
            sum += x[i] * y[i];
        }

        return (float)sum;
    }

    public static float ScalarF16(ref byte w, ref byte a, int n) => Scalar16(ref w, ref a, n, false);

    public static float ScalarBf16(ref byte w, ref byte a, int n) => Scalar16(ref w, ref a, n, true);

    public static float Vector128F32(ref byte w, ref byte a, int n)
    {
        ref var x = ref Unsafe.As<byte, float>(ref w);
        ref var y = ref Unsafe.As<byte, float>(ref a);
        var acc0 = Vector128<float>.Zero;
        var acc1 = Vector128<float>.Zero;
        var i = 0;
        for (; i + 8 <= n; i += 8)
        {
            acc0 += Vector128.LoadUnsafe(ref x, (nuint)i) * Vector128.LoadUnsafe(ref y, (nuint)i);
            acc1 += Vector128.LoadUnsafe(ref x, (nuint)(i + 4)) * Vector128.LoadUnsafe(ref y, (nuint)(i + 4));
        }

        return Vector128.Sum(acc0 + acc1) + Tail(ref w, ref a, i, n, 4);
    }

    public static float Vector256F32(ref byte w, ref byte a, int n)
    {
        ref var x = ref Unsafe.As<byte, float>(ref w);
        ref var y = ref Unsafe.As<byte, float>(ref a);
        var acc0 = Vector256<float>.Zero;
        var acc1 = Vector256<float>.Zero;
        var i = 0;
        for (; i + 16 <= n; i += 16)
        {
            acc0 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref x, (nuint)i), Vector256.LoadUnsafe(ref y, (nuint)i), acc0);
            acc1 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref x, (nuint)(i + 8)), Vector256.LoadUnsafe(ref y, (nuint)(i + 8)), acc1);
        }

        return Simd.Sum(acc0 + acc1) + Tail(ref w, ref a, i, n, 4);
    }

    public static float Vector512F32(ref byte w, ref byte a, int n)
    {
        ref var x = ref Unsafe.As<byte, float>(ref w);
        ref var y = ref Unsafe.As<byte, float>(ref a);
        var acc0 = Vector512<float>.Zero;
        var acc1 = Vector512<float>.Zero;
        var i = 0;
        for (; i + 32 <= n; i += 32)
        {
            acc0 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x, (nuint)i), Vector512.LoadUnsafe(ref y, (nuint)i), acc0);
            acc1 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x, (nuint)(i + 16)), Vector512.LoadUnsafe(ref y, (nuint)(i + 16)), acc1);
        }

        return Simd.Sum(acc0 + acc1) + Tail(ref w, ref a, i, n, 4);
    }

    public static float Vector128F16(ref byte w, ref byte a, int n) => Vector128Path16(ref w, ref a, n, false);

    public static float Vector128Bf16(ref byte w, ref byte a, int n) => Vector128Path16(ref w, ref a, n, true);

    public static float Vector256F16(ref byte w, ref byte a, int n) => Vector256Path16(ref w, ref a, n, false);

    public static float Vector256Bf16(ref byte w, ref byte a, int n) => Vector256Path16(ref w, ref a, n, true);

    public static float Vector512F16(ref byte w, ref byte a, int n) => Vector512Path16(ref w, ref a, n, false);

    public static float Vector512Bf16(ref byte w, ref byte a, int n) => Vector512Path16(ref w, ref a, n, true);

    private static float Scalar16(ref byte w, ref byte a, int n, bool bf16)
    {
        var x = MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<byte, ushort>(ref w), n);
        var y = MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<byte, ushort>(ref a), n);
        var sum = 0.0;
        for (var i = 0; i < n; i++)
        {
            sum += bf16 ? Bf16.ToSingle(x[i]) * Bf16.ToSingle(y[i]) : Fp16.ToSingle(x[i]) * Fp16.ToSingle(y[i]);
        }

        return (float)sum;
    }

    /// <summary>Scalar products of elements [<paramref name="start"/>, <paramref name="n"/>); element size 4 (F32) or 2.</summary>
    private static float Tail(ref byte w, ref byte a, int start, int n, int size, bool bf16 = false)
    {
        var o = start * size;
        return size == 4
            ? ScalarF32(ref Unsafe.Add(ref w, o), ref Unsafe.Add(ref a, o), n - start)
            : Scalar16(ref Unsafe.Add(ref w, o), ref Unsafe.Add(ref a, o), n - start, bf16);
    }

    private static float Vector128Path16(ref byte w, ref byte a, int n, bool bf16)
    {
        ref var x = ref Unsafe.As<byte, ushort>(ref w);
        ref var y = ref Unsafe.As<byte, ushort>(ref a);
        var acc0 = Vector128<float>.Zero;
        var acc1 = Vector128<float>.Zero;
        var special = Vector128<uint>.Zero;
        var i = 0;
        for (; i + 8 <= n; i += 8)
        {
            var (x0, x1) = Vector128.Widen(Vector128.LoadUnsafe(ref x, (nuint)i));
            var (y0, y1) = Vector128.Widen(Vector128.LoadUnsafe(ref y, (nuint)i));
            acc0 += Widen(x0, bf16, ref special) * Widen(y0, bf16, ref special);
            acc1 += Widen(x1, bf16, ref special) * Widen(y1, bf16, ref special);
        }

        if (special != Vector128<uint>.Zero)
        {
            return Scalar16(ref w, ref a, n, bf16);
        }

        return Vector128.Sum(acc0 + acc1) + Tail(ref w, ref a, i, n, 2, bf16);
    }

    private static float Vector256Path16(ref byte w, ref byte a, int n, bool bf16)
    {
        ref var x = ref Unsafe.As<byte, ushort>(ref w);
        ref var y = ref Unsafe.As<byte, ushort>(ref a);
        var acc0 = Vector256<float>.Zero;
        var acc1 = Vector256<float>.Zero;
        var special = Vector256<uint>.Zero;
        var i = 0;
        for (; i + 16 <= n; i += 16)
        {
            var x0 = Avx2.ConvertToVector256Int32(Vector128.LoadUnsafe(ref x, (nuint)i)).AsUInt32();
            var x1 = Avx2.ConvertToVector256Int32(Vector128.LoadUnsafe(ref x, (nuint)(i + 8))).AsUInt32();
            var y0 = Avx2.ConvertToVector256Int32(Vector128.LoadUnsafe(ref y, (nuint)i)).AsUInt32();
            var y1 = Avx2.ConvertToVector256Int32(Vector128.LoadUnsafe(ref y, (nuint)(i + 8))).AsUInt32();
            acc0 = Fma.MultiplyAdd(Widen(x0, bf16, ref special), Widen(y0, bf16, ref special), acc0);
            acc1 = Fma.MultiplyAdd(Widen(x1, bf16, ref special), Widen(y1, bf16, ref special), acc1);
        }

        if (special != Vector256<uint>.Zero)
        {
            return Scalar16(ref w, ref a, n, bf16);
        }

        return Simd.Sum(acc0 + acc1) + Tail(ref w, ref a, i, n, 2, bf16);
    }

    private static float Vector512Path16(ref byte w, ref byte a, int n, bool bf16)
    {
        ref var x = ref Unsafe.As<byte, ushort>(ref w);
        ref var y = ref Unsafe.As<byte, ushort>(ref a);
        var acc0 = Vector512<float>.Zero;
        var acc1 = Vector512<float>.Zero;
        var special = Vector512<uint>.Zero;
        var i = 0;
        for (; i + 32 <= n; i += 32)
        {
            var x0 = Avx512F.ConvertToVector512UInt32(Vector256.LoadUnsafe(ref x, (nuint)i));
            var x1 = Avx512F.ConvertToVector512UInt32(Vector256.LoadUnsafe(ref x, (nuint)(i + 16)));
            var y0 = Avx512F.ConvertToVector512UInt32(Vector256.LoadUnsafe(ref y, (nuint)i));
            var y1 = Avx512F.ConvertToVector512UInt32(Vector256.LoadUnsafe(ref y, (nuint)(i + 16)));
            acc0 = Avx512F.FusedMultiplyAdd(Widen(x0, bf16, ref special), Widen(y0, bf16, ref special), acc0);
            acc1 = Avx512F.FusedMultiplyAdd(Widen(x1, bf16, ref special), Widen(y1, bf16, ref special), acc1);
        }

        if (special != Vector512<uint>.Zero)
        {
            return Scalar16(ref w, ref a, n, bf16);
        }

        return Simd.Sum(acc0 + acc1) + Tail(ref w, ref a, i, n, 2, bf16);
    }

    /// <summary>16-bit patterns (one per 32-bit lane) to floats; notes fp16 infinities/NaNs in <paramref name="special"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Widen(Vector128<uint> h, bool bf16, ref Vector128<uint> special)
    {
        if (bf16)
        {
            return (h << 16).AsSingle();
        }

        var exponent = h & Vector128.Create(0x7C00u);
        special |= Vector128.Equals(exponent, Vector128.Create(0x7C00u));
        return Simd.HalfToSingle(h.AsInt32());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Widen(Vector256<uint> h, bool bf16, ref Vector256<uint> special)
    {
        if (bf16)
        {
            return (h << 16).AsSingle();
        }

        var exponent = h & Vector256.Create(0x7C00u);
        special |= Vector256.Equals(exponent, Vector256.Create(0x7C00u));
        return Simd.HalfToSingle(h.AsInt32());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Widen(Vector512<uint> h, bool bf16, ref Vector512<uint> special)
    {
        if (bf16)
        {
            return (h << 16).AsSingle();
        }

        var exponent = h & Vector512.Create(0x7C00u);
        special |= Vector512.Equals(exponent, Vector512.Create(0x7C00u));
        return Simd.HalfToSingle(h.AsInt32());
    }
}
