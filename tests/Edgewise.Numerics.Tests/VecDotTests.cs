using Edgewise.Numerics.Kernels;

namespace Edgewise.Numerics.Tests;

/// <summary>Every dot-product path this machine runs against the scalar reference, and the reference against float maths.</summary>
public sealed class VecDotTests
{
    internal static readonly TensorType[] Types =
    [
        TensorType.F32, TensorType.F16, TensorType.BF16, TensorType.Q8_0, TensorType.Q4_0, TensorType.Q4_1, TensorType.Q5_0,
        TensorType.Q5_1, TensorType.Q2_K, TensorType.Q3_K, TensorType.Q4_K, TensorType.Q5_K, TensorType.Q6_K,
    ];

    public static TheoryData<TensorType, string> PathCases()
    {
        var data = new TheoryData<TensorType, string>();
        foreach (var type in Types)
        {
            foreach (var path in SimdSupport.Available)
            {
                if (path != SimdPath.Scalar)
                {
                    data.Add(type, path.ToString());
                }
            }
        }

        return data;
    }

    public static TheoryData<TensorType> TypeCases() => new(Types);

    /// <summary>Column counts: every block count 0–20, then real widths (896, 4864) and odd ones.</summary>
    internal static IEnumerable<int> Columns(TensorType type)
    {
        var block = TensorTypeInfo.Get(type).BlockSize;
        if (block == 1)
        {
            return Enumerable.Range(0, 80).Concat([127, 255, 256, 257, 896, 1001, 4864]);
        }

        var counts = block == 32 ? Enumerable.Range(0, 21).Concat([28, 33, 63, 152]) : Enumerable.Range(0, 9).Concat([11, 19]);
        return counts.Select(c => c * block);
    }

    [Theory]
    [MemberData(nameof(PathCases))]
    public void Compute_EveryVectorPath_MatchesScalarReference(TensorType type, string pathName)
    {
        var path = Enum.Parse<SimdPath>(pathName);
        foreach (var cols in Columns(type))
        {
            var (weights, activations, magnitude) = Operands(type, cols, (ulong)(cols + 7 * (int)type));
            var expected = VecDot.Compute(type, weights, activations, cols, SimdPath.Scalar);
            var actual = VecDot.Compute(type, weights, activations, cols, path);
            Assert.True(
                Math.Abs(actual - expected) <= 2e-5 * magnitude + 1e-30,
                $"{type} {path} cols={cols}: {actual} vs scalar {expected} (magnitude {magnitude})");
        }
    }

    [Theory]
    [MemberData(nameof(PathCases))]
    public void Compute_OutlierAndZeroBlocks_MatchesScalarReference(TensorType type, string pathName)
    {
        var path = Enum.Parse<SimdPath>(pathName);
        var cols = TensorTypeInfo.Get(type).BlockSize == 256 ? 1024 : 512;
        var w = TestData.MixedBlocks(cols, 41);
        var x = TestData.MixedBlocks(cols, 43);
        var weights = new byte[TensorTypeInfo.Get(type).RowBytes(cols)];
        Quantize.Row(type, w, weights);
        var activations = new byte[VecDot.ActivationRowBytes(type, cols)];
        VecDot.ConvertActivations(type, x, activations);
        var magnitude = DequantizedMagnitude(type, weights, activations, cols, out _);
        var expected = VecDot.Compute(type, weights, activations, cols, SimdPath.Scalar);
        var actual = VecDot.Compute(type, weights, activations, cols, path);
        Assert.True(Math.Abs(actual - expected) <= 2e-5 * magnitude + 1e-30, $"{actual} vs {expected}");
    }

    [Theory]
    [MemberData(nameof(TypeCases))]
    public void Compute_Scalar_EqualsDotOfDequantizedRows(TensorType type)
    {
        foreach (var cols in Columns(type).Where(c => c > 0))
        {
            var (weights, activations, _) = Operands(type, cols, (ulong)cols);
            var magnitude = DequantizedMagnitude(type, weights, activations, cols, out var exact);
            var actual = VecDot.Compute(type, weights, activations, cols, SimdPath.Scalar);
            var tolerance = 1e-5 * magnitude + MinTermRounding(type, weights, activations, cols) + 1e-30;
            Assert.True(Math.Abs(actual - exact) <= tolerance, $"{type} cols={cols}: {actual} vs {exact}");
        }
    }

    [Theory]
    [MemberData(nameof(TypeCases))]
    public void Compute_Best_WithinActivationRoundingOfFloatDot(TensorType type)
    {
        var cols = 4864 / TensorTypeInfo.Get(type).BlockSize * TensorTypeInfo.Get(type).BlockSize;
        var w = TestData.Gaussian(cols, 5, 0.02f);
        var x = TestData.Gaussian(cols, 6, 1.0f);
        var weights = new byte[TensorTypeInfo.Get(type).RowBytes(cols)];
        Quantize.Row(type, w, weights);
        var wq = new float[cols];
        Dequantize.Row(type, weights, wq);
        var activations = new byte[VecDot.ActivationRowBytes(type, cols)];
        VecDot.ConvertActivations(type, x, activations);

        // |x − x̂| ≤ half a quantization step per element: d/2 for the 8-bit types, 2^-11·|x| for F16, 2^-8·|x| for BF16.
        var activationType = VecDot.ActivationType(type);
        var block = activationType == TensorType.Q8_K ? 256 : 32;
        double exact = 0, bound = 0;
        for (var i = 0; i < cols; i++)
        {
            exact += (double)wq[i] * x[i];
            var step = activationType switch
            {
                TensorType.F32 => 0,
                TensorType.F16 => Math.Abs(x[i]) / 2048.0,
                TensorType.BF16 => Math.Abs(x[i]) / 256.0,
                _ => BlockAbsMax(x, i / block * block, block) / 127.0 / 2,
            };
            bound += Math.Abs(wq[i]) * step;
        }

        var actual = VecDot.Compute(type, weights, activations, cols);
        var magnitude = wq.Select((v, i) => Math.Abs((double)v * x[i])).Sum();
        Assert.True(Math.Abs(actual - exact) <= 1.01 * bound + 1e-5 * magnitude, $"{type}: {actual} vs {exact}, bound {bound}");
    }

    [Fact]
    public void Compute_Q8_0WithExtremeQuants_IsExact()
    {
        // Weights −128 and activations ±127 in every position: the largest pair sums the byte products can make.
        var weights = new byte[34 * 4];
        var activations = new byte[34 * 4];
        for (var b = 0; b < 4; b++)
        {
            weights[34 * b + 1] = 0x3C; // fp16 1.0
            activations[34 * b + 1] = 0x3C;
            for (var j = 0; j < 32; j++)
            {
                weights[34 * b + 2 + j] = 0x80;
                activations[34 * b + 2 + j] = (byte)(sbyte)(j % 2 == 0 ? -127 : 127);
            }
        }

        activations[2] = 0x81; // −127 already; make block 0 all −127 to force one-sided saturation risk
        for (var j = 0; j < 32; j++)
        {
            activations[2 + j] = unchecked((byte)(sbyte)-127);
        }

        foreach (var path in SimdSupport.Available)
        {
            Assert.Equal(128 * 127 * 32, VecDot.Compute(TensorType.Q8_0, weights, activations, 128, path));
        }
    }

    [Fact]
    public void Compute_F16RowWithInfinity_MatchesIeee()
    {
        var weights = new byte[2 * 40];
        var activations = new byte[2 * 40];
        Quantize.Row(TensorType.F16, Enumerable.Repeat(1.0f, 40).ToArray(), weights);
        Quantize.Row(TensorType.F16, Enumerable.Repeat(2.0f, 40).ToArray(), activations);
        weights[2 * 3 + 1] = 0x7C; // +inf at element 3
        weights[2 * 3] = 0x00;
        foreach (var path in SimdSupport.Available)
        {
            Assert.Equal(float.PositiveInfinity, VecDot.Compute(TensorType.F16, weights, activations, 40, path));
        }
    }

    [Fact]
    public void Compute_WrongLengths_Throw()
    {
        Assert.Throws<ArgumentException>(() => VecDot.Compute(TensorType.Q4_0, new byte[17], new byte[34], 32));
        Assert.Throws<ArgumentException>(() => VecDot.Compute(TensorType.Q4_0, new byte[18], new byte[33], 32));
        Assert.Throws<ArgumentException>(() => VecDot.Compute(TensorType.Q4_K, new byte[144], new byte[292], 255));
        Assert.Throws<ArgumentOutOfRangeException>(() => VecDot.Compute(TensorType.Q8_K, new byte[292], new byte[292], 256));
        Assert.Throws<ArgumentOutOfRangeException>(() => VecDot.ActivationType(TensorType.Q8_1));
    }

    [Fact]
    public void ActivationType_PairsAsGgml()
    {
        Assert.Equal(TensorType.Q8_0, VecDot.ActivationType(TensorType.Q4_0));
        Assert.Equal(TensorType.Q8_0, VecDot.ActivationType(TensorType.Q5_0));
        Assert.Equal(TensorType.Q8_1, VecDot.ActivationType(TensorType.Q4_1));
        Assert.Equal(TensorType.Q8_1, VecDot.ActivationType(TensorType.Q5_1));
        Assert.Equal(TensorType.Q8_K, VecDot.ActivationType(TensorType.Q6_K));
        Assert.Equal(TensorType.F16, VecDot.ActivationType(TensorType.F16));
        Assert.Equal(TensorType.BF16, VecDot.ActivationType(TensorType.BF16));
        Assert.Equal(TensorType.F32, VecDot.ActivationType(TensorType.F32));
    }

    internal static (byte[] Weights, byte[] Activations, double Magnitude) Operands(TensorType type, int cols, ulong seed)
    {
        var w = TestData.Gaussian(cols, seed, 0.05f);
        var x = TestData.Gaussian(cols, seed + 1000, 1.5f);
        var weights = new byte[TensorTypeInfo.Get(type).RowBytes(cols)];
        Quantize.Row(type, w, weights);
        var activations = new byte[VecDot.ActivationRowBytes(type, cols)];
        VecDot.ConvertActivations(type, x, activations);
        return (weights, activations, DequantizedMagnitude(type, weights, activations, cols, out _));
    }

    /// <summary>Σ|ŵ·x̂| plus the size of K-quant minimum terms, and the float64 dot of the dequantized rows.</summary>
    private static double DequantizedMagnitude(TensorType type, byte[] weights, byte[] activations, int cols, out double exact)
    {
        var wq = new float[cols];
        var xq = new float[cols];
        Dequantize.Row(type, weights, wq);
        Dequantize.Row(VecDot.ActivationType(type), activations, xq);
        exact = 0;
        double magnitude = 0;
        for (var i = 0; i < cols; i++)
        {
            exact += (double)wq[i] * xq[i];
            magnitude += Math.Abs((double)wq[i] * xq[i]);
        }

        // K-quants with minimums subtract two large partial sums; weights up to 2·max|ŵ| bound either part.
        var maxW = wq.Length == 0 ? 0 : wq.Max(Math.Abs);
        var sumX = xq.Sum(v => Math.Abs((double)v));
        return magnitude + 2 * maxW * sumX;
    }

    /// <summary>Q4_1/Q5_1 meet Q8_1's s = fp16(d·Σq), not d·Σq: up to 2^-11·|m·s| per block, as in ggml.</summary>
    private static double MinTermRounding(TensorType type, byte[] weights, byte[] activations, int cols)
    {
        if (type is not (TensorType.Q4_1 or TensorType.Q5_1))
        {
            return 0;
        }

        var bytes = TensorTypeInfo.Get(type).BytesPerBlock;
        double bound = 0;
        for (var b = 0; b < cols / 32; b++)
        {
            var m = Fp16.ToSingle(BitConverter.ToUInt16(weights, b * bytes + 2));
            var s = Fp16.ToSingle(BitConverter.ToUInt16(activations, b * 36 + 2));
            bound += Math.Abs((double)m * s) / 1024;
        }

        return bound;
    }

    private static double BlockAbsMax(float[] x, int start, int length)
    {
        double max = 0;
        for (var i = start; i < start + length; i++)
        {
            max = Math.Max(max, Math.Abs(x[i]));
        }

        return max;
    }
}
