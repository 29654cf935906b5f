using System.Runtime.InteropServices;
using Edgewise.Numerics.Kernels;

namespace Edgewise.Numerics.Tests;

/// <summary>
/// <see cref="MatMul.ComputeRow(ReadOnlySpan{MatMulWeights}, int, ReadOnlySpan{float}, Span{float}, ComputePool?, Span{byte})"/>:
/// one token against several matrices in one dispatch gives each matrix's rows the bits that matrix gets alone, on every
/// kernel path, for mixed types and layouts, with and without a pool; bad arguments get clear errors.
/// </summary>
public sealed class MatMulRowTests
{
    public static TheoryData<string, int> Mixes()
    {
        var data = new TheoryData<string, int>();
        foreach (var mix in new[] { "Q4_0 Q4_0 Q4_0", "Q5_0 Q5_0 Q8_0", "F16 F16 F16", "Q4_K Q4_K Q6_K", "Q8_0 F32 Q4_K", "F16 Q4_0" })
        {
            foreach (var threads in new[] { 1, 2, 3 })
            {
                data.Add(mix, threads);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Mixes))]
    public void ComputeRow_EveryPath_SameBitsAsEachMatrixAlone(string mix, int threads)
    {
        const int cols = 512;
        var types = mix.Split(' ').Select(Enum.Parse<TensorType>).ToArray();
        int[] rowCounts = [96, 33, 40, 7];
        var input = TestData.Gaussian(cols, 5, 1f);
        using var pool = new ComputePool(threads);
        var matrices = new List<Matrix>();
        try
        {
            for (var m = 0; m < types.Length; m++)
            {
                matrices.Add(Matrix.Create(types[m], rowCounts[m], cols, (ulong)(m + 1)));
            }

            foreach (var path in SimdSupport.Available)
            {
                var expected = new List<float>();
                var operands = new MatMulWeights[matrices.Count];
                for (var m = 0; m < matrices.Count; m++)
                {
                    var w = matrices[m];
                    var layout = WeightPacking.Preferred(w.Type, path);
                    var single = new float[w.Rows];
                    MatMul.Compute(w.Type, w.Address(layout), w.Rows, cols, input, single, 1, pool, default, path, layout);
                    expected.AddRange(single);
                    operands[m] = new MatMulWeights(w.Type, layout, w.Address(layout), w.Rows);
                }

                var output = new float[expected.Count];
                MatMul.ComputeRow(operands, cols, input, output, pool, default, path);
                Assert.Equal(Bits(expected.ToArray()), Bits(output));
                Assert.All(output, v => Assert.True(float.IsFinite(v)));
            }
        }
        finally
        {
            matrices.ForEach(m => m.Dispose());
        }
    }

    [Fact]
    public void ComputeRow_CallerScratch_SizedByScratchBytes()
    {
        const int cols = 256;
        var input = TestData.Gaussian(cols, 9, 1f);
        using var a = Matrix.Create(TensorType.Q4_K, 8, cols, 1);
        using var b = Matrix.Create(TensorType.F16, 5, cols, 2);
        MatMulWeights[] operands = [new(a.Type, WeightLayout.Stored, a.Address(WeightLayout.Stored), a.Rows), new(b.Type, WeightLayout.Stored, b.Address(WeightLayout.Stored), b.Rows)];
        var need = MatMul.ScratchBytes(operands, cols);
        Assert.Equal(MatMul.ScratchBytes(TensorType.Q4_K, cols, 1) + MatMul.ScratchBytes(TensorType.F16, cols, 1), need);

        var withOwn = new float[13];
        var withCaller = new float[13];
        MatMul.ComputeRow(operands, cols, input, withOwn);
        MatMul.ComputeRow(operands, cols, input, withCaller, null, new byte[need]);
        Assert.Equal(Bits(withOwn), Bits(withCaller));
        Assert.Throws<ArgumentException>(() => MatMul.ComputeRow(operands, cols, input, withCaller, null, new byte[16]));
    }

    [Fact]
    public void ComputeRow_BadArguments_ClearErrors()
    {
        const int cols = 64;
        using var a = Matrix.Create(TensorType.Q8_0, 4, cols, 1);
        var ok = new MatMulWeights(a.Type, WeightLayout.Stored, a.Address(WeightLayout.Stored), a.Rows);
        var input = new float[cols];

        Assert.Throws<ArgumentException>(() => MatMul.ComputeRow([], cols, input, new float[4]));
        Assert.Throws<ArgumentException>(() => MatMul.ComputeRow([ok, ok, ok, ok, ok], cols, input, new float[20]));
        Assert.Throws<ArgumentException>(() => MatMul.ComputeRow([ok, ok], cols, input, new float[7]));
        Assert.Throws<ArgumentException>(() => MatMul.ComputeRow([ok], cols, new float[cols - 1], new float[4]));
        Assert.Throws<ArgumentException>(() => MatMul.ComputeRow([ok with { Address = 0 }], cols, input, new float[4]));
        Assert.Throws<ArgumentOutOfRangeException>(() => MatMul.ComputeRow([ok with { Rows = -1 }], cols, input, new float[4]));
        Assert.Throws<ArgumentOutOfRangeException>(() => MatMul.ComputeRow([ok with { Type = TensorType.Q8_K }], cols, input, new float[4]));
        var layout = Assert.Throws<ArgumentException>(() => MatMul.ComputeRow([ok with { Type = TensorType.Q4_K, Layout = WeightLayout.BlockGroups }], 256, new float[256], new float[4]));
        Assert.Contains("BlockGroups", layout.Message, StringComparison.Ordinal);

        var empty = new float[4];
        MatMul.ComputeRow([ok, ok with { Rows = 0 }], cols, input, empty);
        Assert.All(empty, v => Assert.Equal(0f, v));
    }

    private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();

    /// <summary>Quantized weights in unmanaged memory, stored and (where the type has it) re-laid.</summary>
    private sealed unsafe class Matrix : IDisposable
    {
        private readonly byte* _stored;
        private readonly byte* _packed;

        private Matrix(TensorType type, int rows, byte* stored, byte* packed)
        {
            Type = type;
            Rows = rows;
            _stored = stored;
            _packed = packed;
        }

        public TensorType Type { get; }

        public int Rows { get; }

        public static Matrix Create(TensorType type, int rows, int cols, ulong seed)
        {
            var rowBytes = (int)TensorTypeInfo.Get(type).RowBytes(cols);
            var bytes = (nuint)(rows * rowBytes);
            var stored = (byte*)NativeMemory.AlignedAlloc(bytes, 64);
            var values = TestData.Gaussian(rows * cols, seed, 0.05f);
            for (var r = 0; r < rows; r++)
            {
                Quantize.Row(type, values.AsSpan(r * cols, cols), new Span<byte>(stored + (r * rowBytes), rowBytes));
            }

            byte* packed = null;
            var layout = WeightPacking.Preferred(type);
            if (layout != WeightLayout.Stored)
            {
                packed = (byte*)NativeMemory.AlignedAlloc(bytes, 64);
                WeightPacking.Pack(layout, type, (nint)stored, (nint)packed, rows, cols);
            }

            return new Matrix(type, rows, stored, packed);
        }

        /// <summary>The copy in <paramref name="layout"/>: the re-laid one (in <see cref="WeightPacking.Preferred(TensorType)"/>'s layout) or the stored one.</summary>
        public nint Address(WeightLayout layout) => (nint)(layout != WeightLayout.Stored ? _packed : _stored);

        public void Dispose()
        {
            NativeMemory.AlignedFree(_stored);
            NativeMemory.AlignedFree(_packed);
        }
    }
}
