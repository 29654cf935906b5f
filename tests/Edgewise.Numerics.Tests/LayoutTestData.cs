using Edgewise.Numerics.Kernels;

namespace Edgewise.Numerics.Tests;

/// <summary>Quantized weights, re-laid copies and products for the re-laid layout tests (<see cref="BlockGroupsTests"/>, <see cref="RowGroupsTests"/>).</summary>
internal static class LayoutTestData
{
    /// <summary>The bit patterns of <paramref name="values"/>, for exact comparisons.</summary>
    public static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();

    /// <summary><paramref name="rows"/> rows of <paramref name="cols"/> Gaussian weights (σ 0.02) quantized to <paramref name="type"/>.</summary>
    public static byte[] Weights(TensorType type, int rows, int cols)
    {
        var rowBytes = (int)TensorTypeInfo.Get(type).RowBytes(cols);
        var weights = new byte[rows * rowBytes];
        var w = TestData.Gaussian(rows * cols, (ulong)((rows * 41) + cols), 0.02f);
        for (var r = 0; r < rows; r++)
        {
            Quantize.Row(type, w.AsSpan(r * cols, cols), weights.AsSpan(r * rowBytes, rowBytes));
        }

        return weights;
    }

    /// <summary>A copy of the stored matrix re-laid into <paramref name="layout"/>.</summary>
    public static unsafe byte[] Pack(WeightLayout layout, TensorType type, byte[] stored, int rows, int cols)
    {
        var packed = new byte[stored.Length];
        fixed (byte* s = stored)
        fixed (byte* p = packed)
        {
            WeightPacking.Pack(layout, type, (nint)s, (nint)p, rows, cols);
        }

        return packed;
    }

    /// <summary><see cref="MatMul"/> of <paramref name="n"/> input rows with the weights in <paramref name="layout"/>, on <paramref name="path"/> (default: the best).</summary>
    public static float[] Run(
        TensorType type, byte[] weights, WeightLayout layout, int rows, int cols, float[] input, int n, ComputePool? pool, SimdPath? path = null)
    {
        var output = new float[rows * n];
        unsafe
        {
            fixed (byte* p = weights)
            {
                MatMul.Compute(type, (nint)p, rows, cols, input, output, n, pool, default, path ?? SimdSupport.Best, layout);
            }
        }

        return output;
    }
}
