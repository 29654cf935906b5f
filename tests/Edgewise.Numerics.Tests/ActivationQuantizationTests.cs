using System.Buffers.Binary;

namespace Edgewise.Numerics.Tests;

public sealed class ActivationQuantizationTests
{
    [Fact]
    public void ActivationRow_Q8_0_RoundsTiesToEvenWithMultiplier127OverAmax()
    {
        // amax = 127 makes the multiplier exactly 1, so x.5 values are exact ties.
        var x = new float[32];
        x[0] = 127.0f;
        x[1] = 2.5f;
        x[2] = -2.5f;
        x[3] = 3.5f;
        x[4] = 0.5f;
        x[5] = -127.0f;
        var activation = new byte[34];
        var weight = new byte[34];

        Quantize.ActivationRow(TensorType.Q8_0, x, activation);
        Quantize.Row(TensorType.Q8_0, x, weight);

        Assert.Equal(Fp16.FromSingle(1.0f), BinaryPrimitives.ReadUInt16LittleEndian(activation));
        Assert.Equal(new sbyte[] { 127, 2, -2, 4, 0, -127 }, Quants(activation, 6));
        Assert.Equal(new sbyte[] { 127, 3, -3, 4, 1, -127 }, Quants(weight, 6));
    }

    [Fact]
    public void ActivationRow_Q8_0_DiffersFromReferenceByAtMostOneStep()
    {
        const int Length = 32 * 512;
        var x = TestData.MixedBlocks(Length, 11);
        var activation = new byte[TensorTypeInfo.Get(TensorType.Q8_0).RowBytes(Length)];
        var weight = new byte[activation.Length];

        Quantize.ActivationRow(TensorType.Q8_0, x, activation);
        Quantize.Row(TensorType.Q8_0, x, weight);

        for (var b = 0; b < Length / 32; b++)
        {
            Assert.Equal(BinaryPrimitives.ReadUInt16LittleEndian(weight.AsSpan(34 * b)), BinaryPrimitives.ReadUInt16LittleEndian(activation.AsSpan(34 * b)));
            for (var j = 0; j < 32; j++)
            {
                Assert.InRange(Math.Abs((sbyte)activation[34 * b + 2 + j] - (sbyte)weight[34 * b + 2 + j]), 0, 1);
            }
        }
    }

    [Fact]
    public void ActivationRow_Q8_0_ZeroBlock_IsAllZero()
    {
        var q = new byte[34];
        q.AsSpan().Fill(0xEE);

        Quantize.ActivationRow(TensorType.Q8_0, new float[32], q);

        Assert.All(q, b => Assert.Equal(0, b));
    }

    [Fact]
    public void ActivationRow_Q8_K_SameAsRowAndCarriesPartialSums()
    {
        const int Length = 512;
        var x = TestData.Gaussian(Length, 12, 3.0f);
        var activation = new byte[2 * 292];
        var row = new byte[2 * 292];

        Quantize.ActivationRow(TensorType.Q8_K, x, activation);
        Quantize.Row(TensorType.Q8_K, x, row);

        Assert.Equal(row, activation);
        for (var b = 0; b < 2; b++)
        {
            for (var g = 0; g < 16; g++)
            {
                var sum = 0;
                for (var i = 0; i < 16; i++)
                {
                    sum += (sbyte)activation[292 * b + 4 + 16 * g + i];
                }

                Assert.Equal(sum, BinaryPrimitives.ReadInt16LittleEndian(activation.AsSpan(292 * b + 260 + 2 * g)));
            }
        }
    }

    [Fact]
    public void Row_Q8_K_LargestMagnitudeMapsToMinus127()
    {
        var x = new float[256];
        x[10] = -3.0f;
        x[11] = 1.5f;
        var q = new byte[292];

        Quantize.Row(TensorType.Q8_K, x, q);

        // iscale = −127/max with max = −3 (the largest magnitude, with its sign), d = 1/iscale.
        Assert.Equal(1 / (-127.0f / -3.0f), BinaryPrimitives.ReadSingleLittleEndian(q));
        Assert.Equal(-127, (sbyte)q[4 + 10]);
        Assert.Equal(64, (sbyte)q[4 + 11]);
    }

    private static sbyte[] Quants(byte[] block, int count)
    {
        var result = new sbyte[count];
        for (var i = 0; i < count; i++)
        {
            result[i] = (sbyte)block[2 + i];
        }

        return result;
    }
}
