using System.Buffers.Binary;

namespace Edgewise.Numerics.Tests;

/// <summary>Hand-built blocks for the dequantization tests: random quants with chosen scales and edge bytes.</summary>
internal static class BlockBuilder
{
    /// <summary>fp16 scales worth testing: ±1, ±0.5, a normal fraction, the smallest and largest subnormals, ±65504, zero, −0.</summary>
    public static readonly ushort[] EdgeHalves =
    [
        0x3C00, 0xBC00, 0x3800, 0xB800, 0x2E66, 0x0001, 0x03FF, 0x83FF, 0x7BFF, 0xFBFF, 0x0000, 0x8000, 0x1234, 0x9ABC,
    ];

    /// <summary>
    /// <paramref name="blocks"/> blocks of <paramref name="type"/>: random bytes; block k's fp16 fields (at
    /// <paramref name="halfOffsets"/>) take successive edge values; every fifth block has all quant bytes 0x00
    /// and every seventh all 0xFF (minimum and maximum quants).
    /// </summary>
    public static byte[] Build(TensorType type, int blocks, ulong seed, int[] halfOffsets, Range quantBytes)
    {
        var info = TensorTypeInfo.Get(type);
        var data = TestData.Bytes(blocks * info.BytesPerBlock, seed);
        var edge = 0;
        for (var k = 0; k < blocks; k++)
        {
            var block = data.AsSpan(k * info.BytesPerBlock, info.BytesPerBlock);
            if (k % 5 == 4)
            {
                block[quantBytes].Fill(0x00);
            }

            if (k % 7 == 6)
            {
                block[quantBytes].Fill(0xFF);
            }

            foreach (var offset in halfOffsets)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(block[offset..], EdgeHalves[edge++ % EdgeHalves.Length]);
            }
        }

        return data;
    }

    /// <summary>ggml's fp16 → fp32, written out from the IEEE definition (independent of <see cref="Fp16"/>).</summary>
    public static float Half(ReadOnlySpan<byte> block, int offset) => HalfFromDefinition(BinaryPrimitives.ReadUInt16LittleEndian(block[offset..]));

    public static float HalfFromDefinition(ushort h)
    {
        var negative = (h & 0x8000) != 0;
        var exponent = (h >> 10) & 0x1F;
        var mantissa = h & 0x3FF;
        if (exponent == 0x1F)
        {
            if (mantissa == 0)
            {
                return negative ? float.NegativeInfinity : float.PositiveInfinity;
            }

            var bits = (negative ? 0x8000_0000u : 0u) | 0x7FC0_0000u | ((uint)mantissa << 13);
            return BitConverter.UInt32BitsToSingle(bits);
        }

        var magnitude = exponent == 0
            ? mantissa * Math.Pow(2, -24)
            : (1 + mantissa / 1024.0) * Math.Pow(2, exponent - 15);
        return (float)(negative ? -magnitude : magnitude);
    }
}
