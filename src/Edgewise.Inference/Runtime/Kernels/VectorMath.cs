using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Edgewise.Inference.Runtime.Kernels;

/// <summary>Element-wise and reduction kernels on float spans (Vector&lt;float&gt; body, scalar tail).</summary>
internal static class VectorMath
{
    /// <summary>Σ a[i]·b[i] over the length of <paramref name="a"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var n = a.Length;
        ref var ra = ref MemoryMarshal.GetReference(a);
        ref var rb = ref MemoryMarshal.GetReference(b[..n]);
        var w = Vector<float>.Count;
        var i = 0;
        var acc0 = Vector<float>.Zero;
        var acc1 = Vector<float>.Zero;
        for (; i <= n - 2 * w; i += 2 * w)
        {
            acc0 += Vector.LoadUnsafe(ref ra, (nuint)i) * Vector.LoadUnsafe(ref rb, (nuint)i);
            acc1 += Vector.LoadUnsafe(ref ra, (nuint)(i + w)) * Vector.LoadUnsafe(ref rb, (nuint)(i + w));
        }

        for (; i <= n - w; i += w)
        {
            acc0 += Vector.LoadUnsafe(ref ra, (nuint)i) * Vector.LoadUnsafe(ref rb, (nuint)i);
        }

        var sum = Vector.Sum(acc0 + acc1);
        for (; i < n; i++)
        {
            sum += Unsafe.Add(ref ra, i) * Unsafe.Add(ref rb, i);
        }

        return sum;
    }

    /// <summary>y[i] += a · x[i].</summary>
    public static void MultiplyAdd(ReadOnlySpan<float> x, float a, Span<float> y)
    {
        var n = x.Length;
        ref var rx = ref MemoryMarshal.GetReference(x);
        ref var ry = ref MemoryMarshal.GetReference(y[..n]);
        var w = Vector<float>.Count;
        var va = new Vector<float>(a);
        var i = 0;
        for (; i <= n - w; i += w)
        {
            (Vector.LoadUnsafe(ref ry, (nuint)i) + va * Vector.LoadUnsafe(ref rx, (nuint)i)).StoreUnsafe(ref ry, (nuint)i);
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref ry, i) += a * Unsafe.Add(ref rx, i);
        }
    }

    /// <summary>y[i] += x[i].</summary>
    public static void Add(ReadOnlySpan<float> x, Span<float> y)
    {
        var n = x.Length;
        ref var rx = ref MemoryMarshal.GetReference(x);
        ref var ry = ref MemoryMarshal.GetReference(y[..n]);
        var w = Vector<float>.Count;
        var i = 0;
        for (; i <= n - w; i += w)
        {
            (Vector.LoadUnsafe(ref ry, (nuint)i) + Vector.LoadUnsafe(ref rx, (nuint)i)).StoreUnsafe(ref ry, (nuint)i);
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref ry, i) += Unsafe.Add(ref rx, i);
        }
    }

    /// <summary>x[i] *= a.</summary>
    public static void Scale(Span<float> x, float a)
    {
        var n = x.Length;
        ref var rx = ref MemoryMarshal.GetReference(x);
        var w = Vector<float>.Count;
        var va = new Vector<float>(a);
        var i = 0;
        for (; i <= n - w; i += w)
        {
            (Vector.LoadUnsafe(ref rx, (nuint)i) * va).StoreUnsafe(ref rx, (nuint)i);
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref rx, i) *= a;
        }
    }

    /// <summary>
    /// RMSNorm: dst[i] = src[i] / √(mean(src²) + eps) · weight[i]. The sum of squares is taken in double, as ggml does.
    /// <paramref name="src"/> and <paramref name="dst"/> may be the same span.
    /// </summary>
    public static void RmsNorm(ReadOnlySpan<float> src, ReadOnlySpan<float> weight, float eps, Span<float> dst)
    {
        var n = src.Length;
        double sum = 0;
        for (var i = 0; i < n; i++)
        {
            sum += (double)src[i] * src[i];
        }

        var scale = 1.0f / MathF.Sqrt((float)(sum / n) + eps);
        ref var rs = ref MemoryMarshal.GetReference(src);
        ref var rw = ref MemoryMarshal.GetReference(weight[..n]);
        ref var rd = ref MemoryMarshal.GetReference(dst[..n]);
        var w = Vector<float>.Count;
        var vs = new Vector<float>(scale);
        var j = 0;
        for (; j <= n - w; j += w)
        {
            (Vector.LoadUnsafe(ref rs, (nuint)j) * vs * Vector.LoadUnsafe(ref rw, (nuint)j)).StoreUnsafe(ref rd, (nuint)j);
        }

        for (; j < n; j++)
        {
            Unsafe.Add(ref rd, j) = Unsafe.Add(ref rs, j) * scale * Unsafe.Add(ref rw, j);
        }
    }

    /// <summary>gate[i] = silu(gate[i]) · up[i], silu(x) = x / (1 + e^−x); vectorised (Vector256/512 exp), scalar tail.</summary>
    public static void SwiGlu(Span<float> gate, ReadOnlySpan<float> up)
    {
        var n = gate.Length;
        ref var rg = ref MemoryMarshal.GetReference(gate);
        ref var ru = ref MemoryMarshal.GetReference(up[..n]);
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - 16; i += 16)
            {
                var g = Vector512.LoadUnsafe(ref rg, (nuint)i);
                (g / (Vector512<float>.One + Vector512.Exp(-g)) * Vector512.LoadUnsafe(ref ru, (nuint)i)).StoreUnsafe(ref rg, (nuint)i);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - 8; i += 8)
            {
                var g = Vector256.LoadUnsafe(ref rg, (nuint)i);
                (g / (Vector256<float>.One + Vector256.Exp(-g)) * Vector256.LoadUnsafe(ref ru, (nuint)i)).StoreUnsafe(ref rg, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            var g = Unsafe.Add(ref rg, i);
            Unsafe.Add(ref rg, i) = g / (1f + MathF.Exp(-g)) * Unsafe.Add(ref ru, i);
        }
    }

    /// <summary>In-place softmax; returns nothing, the values sum to 1 afterwards.</summary>
    public static void Softmax(Span<float> x)
    {
        var max = float.NegativeInfinity;
        foreach (var v in x)
        {
            max = MathF.Max(max, v);
        }

        double sum = 0;
        for (var i = 0; i < x.Length; i++)
        {
            var e = MathF.Exp(x[i] - max);
            x[i] = e;
            sum += e;
        }

        Scale(x, (float)(1.0 / sum));
    }

    /// <summary>Index of the largest value; ties go to the smaller index.</summary>
    public static int ArgMax(ReadOnlySpan<float> x)
    {
        var best = 0;
        for (var i = 1; i < x.Length; i++)
        {
            if (x[i] > x[best])
            {
                best = i;
            }
        }

        return best;
    }
}
