using Edgewise.Numerics.Kernels;

namespace Edgewise.Numerics.Tests;

/// <summary>
/// Deterministic test inputs built only from integer arithmetic and exact float operations, so the same
/// numbers can be produced by a C program linked against ggml (that is how the golden digests were recorded).
/// </summary>
internal static class TestData
{
    /// <summary>
    /// Mixed 32-element blocks: zeros, constants, near-Gaussian, uniform positive, one outlier, exact quarter
    /// steps (rounding ties), shifted Gaussian; each block scaled by a power of two between 2^-10 and 2^5.
    /// </summary>
    public static float[] MixedBlocks(int length, ulong seed)
    {
        var rng = new SplitMix64(seed);
        var x = new float[length];
        for (var b = 0; b < length / 32; b++)
        {
            var kind = (int)(rng.Next() % 8);
            var exponent = (int)(rng.Next() % 16) - 10;
            var scale = MathF.ScaleB(1.0f, exponent);
            for (var j = 0; j < 32; j++)
            {
                x[32 * b + j] = kind switch
                {
                    0 => 0.0f,
                    1 => scale,
                    3 => (rng.Uniform24() + (1 << 23)) * (1.0f / 16777216) * scale,
                    4 => j == 5 ? 37.0f * scale : rng.Gauss() * scale,
                    5 => ((int)(rng.Next() % 16) - 8) * 0.25f * scale,
                    6 => rng.Gauss() * scale + 2.0f * scale,
                    _ => rng.Gauss() * scale,
                };
            }
        }

        return x;
    }

    /// <summary>Near-Gaussian values with standard deviation <paramref name="sigma"/> (sum of four uniforms).</summary>
    public static float[] Gaussian(int length, ulong seed, float sigma)
    {
        var rng = new SplitMix64(seed);
        var x = new float[length];
        for (var i = 0; i < x.Length; i++)
        {
            // The sum of four uniforms on [-1, 1) has variance 4/3.
            x[i] = rng.Gauss() * 2 * 0.8660254f * sigma;
        }

        return x;
    }

    /// <summary>Pseudo-random bytes, one per draw (the top byte).</summary>
    public static byte[] Bytes(int length, ulong seed)
    {
        var rng = new SplitMix64(seed);
        var bytes = new byte[length];
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)(rng.Next() >> 56);
        }

        return bytes;
    }

    /// <summary>64-bit FNV-1a.</summary>
    public static ulong Fnv1a(ReadOnlySpan<byte> data)
    {
        var hash = 0xcbf29ce484222325UL;
        foreach (var b in data)
        {
            hash ^= b;
            hash *= 0x100000001b3UL;
        }

        return hash;
    }

    internal sealed class SplitMix64(ulong seed)
    {
        private ulong _state = seed;

        public ulong Next()
        {
            var z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        /// <summary>A uniform integer in [−2^23, 2^23).</summary>
        public int Uniform24() => (int)(Next() >> 40) - (1 << 23);

        /// <summary>Sum of four uniforms on [−1, 1): mean 0, variance 4/3, exactly reproducible.</summary>
        public float Gauss()
        {
            var a = Uniform24();
            var b = Uniform24();
            var c = Uniform24();
            var d = Uniform24();
            return (a + b + c + d) * (1.0f / 33554432);
        }
    }

    /// <summary>
    /// The scalar reference product of each of <paramref name="rows"/> stored rows with <paramref name="input"/>
    /// (activations converted as ggml does), and per row Σ |w·x| over the dequantized weights, the scale a kernel's
    /// error is measured against.
    /// </summary>
    public static float[] ScalarProducts(TensorType type, byte[] weights, int rows, int cols, float[] input, out double[] magnitude)
    {
        var rowBytes = weights.Length / rows;
        var act = new byte[VecDot.ActivationRowBytes(type, cols)];
        VecDot.ConvertActivations(type, input, act);
        var expected = new float[rows];
        magnitude = new double[rows];
        var wq = new float[cols];
        for (var r = 0; r < rows; r++)
        {
            expected[r] = VecDot.Compute(type, weights.AsSpan(r * rowBytes, rowBytes), act, cols, SimdPath.Scalar);
            Dequantize.Row(type, weights.AsSpan(r * rowBytes, rowBytes), wq);
            for (var c = 0; c < cols; c++)
            {
                magnitude[r] += Math.Abs(wq[c] * input[c]);
            }
        }

        return expected;
    }
}
