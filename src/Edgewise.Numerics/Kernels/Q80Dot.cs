using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Edgewise.Numerics.Kernels;

/// <summary>
/// Q8_0 weights · Q8_0 activations (34-byte blocks: fp16 d, 32 signed quants): Σ_blocks (Σ w·a)·(d_w·d_a), the
/// integer sum exact as in ggml.
/// </summary>
internal static class Q80Dot
{
    private const int BlockBytes = 34;

    public static float Scalar(ref byte w, ref byte a, int blocks)
    {
        var sum = 0.0f;
        for (var i = 0; i < blocks; i++)
        {
            ref var x = ref Unsafe.Add(ref w, i * BlockBytes);
            ref var y = ref Unsafe.Add(ref a, i * BlockBytes);
            var isum = 0;
            for (var j = 2; j < BlockBytes; j++)
            {
                isum += (sbyte)Unsafe.Add(ref x, j) * (sbyte)Unsafe.Add(ref y, j);
            }

            sum += isum * (Simd.HalfAt(ref x, 0) * Simd.HalfAt(ref y, 0));
        }

        return sum;
    }

    public static float Vector128Path(ref byte w, ref byte a, int blocks)
    {
        var acc = Vector128<float>.Zero;
        for (var i = 0; i < blocks; i++)
        {
            ref var x = ref Unsafe.Add(ref w, i * BlockBytes);
            ref var y = ref Unsafe.Add(ref a, i * BlockBytes);
            var dot = Simd.Dot(Vector128.LoadUnsafe(ref x, 2).AsSByte(), Vector128.LoadUnsafe(ref y, 2).AsSByte())
                + Simd.Dot(Vector128.LoadUnsafe(ref x, 18).AsSByte(), Vector128.LoadUnsafe(ref y, 18).AsSByte());
            acc += Vector128.ConvertToSingle(dot) * Vector128.Create(Simd.HalfAt(ref x, 0) * Simd.HalfAt(ref y, 0));
        }

        return Vector128.Sum(acc);
    }

    public static float Vector256Path(ref byte w, ref byte a, int blocks)
    {
        var acc = Vector256<float>.Zero;
        for (var i = 0; i < blocks; i++)
        {
            ref var x = ref Unsafe.Add(ref w, i * BlockBytes);
            ref var y = ref Unsafe.Add(ref a, i * BlockBytes);
            var dot = Simd.DotS(Vector256.LoadUnsafe(ref x, 2).AsSByte(), Vector256.LoadUnsafe(ref y, 2).AsSByte());
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot), Vector256.Create(Simd.HalfAt(ref x, 0) * Simd.HalfAt(ref y, 0)), acc);
        }

        return Simd.Sum(acc);
    }

    public static float Vector512Path(ref byte w, ref byte a, int blocks)
    {
        var acc0 = Vector512<float>.Zero;
        var acc1 = Vector512<float>.Zero;
        var i = 0;
        for (; i + 1 < blocks; i += 2)
        {
            acc0 = Block512(ref Unsafe.Add(ref w, i * BlockBytes), ref Unsafe.Add(ref a, i * BlockBytes), acc0);
            acc1 = Block512(ref Unsafe.Add(ref w, (i + 1) * BlockBytes), ref Unsafe.Add(ref a, (i + 1) * BlockBytes), acc1);
        }

        if (i < blocks)
        {
            acc0 = Block512(ref Unsafe.Add(ref w, i * BlockBytes), ref Unsafe.Add(ref a, i * BlockBytes), acc0);
        }

        return Simd.Sum(acc0 + acc1);
    }

    /// <summary>One block, widened to 16-bit lanes so one <c>vpmaddwd</c> gives the 16 partial sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Block512(ref byte x, ref byte y, Vector512<float> acc)
    {
        var wx = Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref x, 2).AsSByte());
        var ay = Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref y, 2).AsSByte());
        var dot = Avx512BW.MultiplyAddAdjacent(wx, ay);
        return Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(dot), Vector512.Create(Simd.HalfAt(ref x, 0) * Simd.HalfAt(ref y, 0)), acc);
    }
}
