using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Edgewise.Numerics;

namespace Edgewise.Inference.Runtime.Kernels;

/// <summary>
/// Widens F16 cache rows to floats for the attention kernel, eight at a time where AVX2 is there, with the exact
/// results of <see cref="Fp16.ToSingle"/> (subnormals through an integer-to-float conversion, so no subnormal float
/// ever enters an arithmetic instruction; NaNs come out quiet).
/// </summary>
internal static class AttentionWiden
{
    /// <summary>dst[i] = widened src[i] for i &lt; <paramref name="count"/>.</summary>
    public static void Row(ref ushort src, ref float dst, int count)
    {
        var i = 0;
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported)
        {
            for (; i + 16 <= count; i += 16)
            {
                Sixteen(Avx512F.ConvertToVector512Int32(Vector256.LoadUnsafe(ref src, (nuint)i))).StoreUnsafe(ref dst, (nuint)i);
            }
        }

        if (Avx2.IsSupported)
        {
            for (; i + 8 <= count; i += 8)
            {
                Eight(Avx2.ConvertToVector256Int32(Vector128.LoadUnsafe(ref src, (nuint)i))).StoreUnsafe(ref dst, (nuint)i);
            }
        }

        for (; i < count; i++)
        {
            Unsafe.Add(ref dst, i) = Fp16.ToSingle(Unsafe.Add(ref src, i));
        }
    }

    /// <summary>Rows j &lt; count of src (stride <paramref name="stride"/>, hd values each) into dst[j·hd ..].</summary>
    public static void Rows(ReadOnlySpan<ushort> src, int stride, int count, int hd, Span<float> dst)
    {
        if (count > 0 && (src.Length < ((count - 1) * stride) + hd || dst.Length < count * hd))
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }

        ref var s = ref MemoryMarshal.GetReference(src);
        ref var d = ref MemoryMarshal.GetReference(dst);
        for (var j = 0; j < count; j++)
        {
            Row(ref Unsafe.Add(ref s, j * stride), ref Unsafe.Add(ref d, j * hd), hd);
        }
    }

    /// <summary>Sixteen binary16 patterns (zero-extended in int lanes) to floats, as <see cref="Eight"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Sixteen(Vector512<int> h)
    {
        var magnitude = h & Vector512.Create(0x7FFF);
        var exponent = h & Vector512.Create(0x7C00);
        var normal = (magnitude << 13) + Vector512.Create(112 << 23);
        var subnormal = (Vector512.ConvertToSingle(magnitude) * Vector512.Create(1f / 16777216f)).AsInt32();
        var special = (magnitude << 13) | Vector512.Create(0x7F80_0000)
            | (Vector512.GreaterThan(magnitude, Vector512.Create(0x7C00)) & Vector512.Create(0x0040_0000));
        var result = Vector512.ConditionalSelect(Vector512.Equals(exponent, Vector512<int>.Zero), subnormal, normal);
        result = Vector512.ConditionalSelect(Vector512.Equals(exponent, Vector512.Create(0x7C00)), special, result);
        return (result | ((h & Vector512.Create(0x8000)) << 16)).AsSingle();
    }

    /// <summary>Eight binary16 patterns (zero-extended in int lanes) to floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Eight(Vector256<int> h)
    {
        var magnitude = h & Vector256.Create(0x7FFF);
        var exponent = h & Vector256.Create(0x7C00);
        var normal = (magnitude << 13) + Vector256.Create(112 << 23);
        var subnormal = (Vector256.ConvertToSingle(magnitude) * Vector256.Create(1f / 16777216f)).AsInt32();
        var special = (magnitude << 13) | Vector256.Create(0x7F80_0000)
            | (Vector256.GreaterThan(magnitude, Vector256.Create(0x7C00)) & Vector256.Create(0x0040_0000));
        var result = Vector256.ConditionalSelect(Vector256.Equals(exponent, Vector256<int>.Zero), subnormal, normal);
        result = Vector256.ConditionalSelect(Vector256.Equals(exponent, Vector256.Create(0x7C00)), special, result);
        return (result | ((h & Vector256.Create(0x8000)) << 16)).AsSingle();
    }
}
