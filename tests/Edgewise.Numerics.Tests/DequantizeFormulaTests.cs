using System.Runtime.InteropServices;
using static Edgewise.Numerics.Tests.BlockBuilder;

namespace Edgewise.Numerics.Tests;

/// <summary>
/// Every format decoded element by element from a direct reading of its block layout, compared bit for bit with
/// <see cref="Dequantize.Row"/>. Float operations follow ggml's order (scale products first), which is part of
/// the definition when results must be bit-exact.
/// </summary>
public sealed class DequantizeFormulaTests
{
    private const int Blocks = 29;

    [Fact]
    public void Row_Q4_0_MatchesLayoutFormula()
    {
        var data = Build(TensorType.Q4_0, Blocks, 1, [0], 2..18);
        Check(TensorType.Q4_0, data, (b, e) =>
        {
            var q = e < 16 ? b[2 + e] & 0x0F : b[2 + e - 16] >> 4;
            return (q - 8) * Half(b, 0);
        });
    }

    [Fact]
    public void Row_Q4_1_MatchesLayoutFormula()
    {
        var data = Build(TensorType.Q4_1, Blocks, 2, [0, 2], 4..20);
        Check(TensorType.Q4_1, data, (b, e) =>
        {
            var q = e < 16 ? b[4 + e] & 0x0F : b[4 + e - 16] >> 4;
            return q * Half(b, 0) + Half(b, 2);
        });
    }

    [Fact]
    public void Row_Q5_0_MatchesLayoutFormula()
    {
        var data = Build(TensorType.Q5_0, Blocks, 3, [0], 2..22);
        Check(TensorType.Q5_0, data, (b, e) =>
        {
            var low = e < 16 ? b[6 + e] & 0x0F : b[6 + e - 16] >> 4;
            var high = (b[2 + e / 8] >> (e % 8)) & 1;
            return (low + 16 * high - 16) * Half(b, 0);
        });
    }

    [Fact]
    public void Row_Q5_1_MatchesLayoutFormula()
    {
        var data = Build(TensorType.Q5_1, Blocks, 4, [0, 2], 4..24);
        Check(TensorType.Q5_1, data, (b, e) =>
        {
            var low = e < 16 ? b[8 + e] & 0x0F : b[8 + e - 16] >> 4;
            var high = (b[4 + e / 8] >> (e % 8)) & 1;
            return (low + 16 * high) * Half(b, 0) + Half(b, 2);
        });
    }

    [Fact]
    public void Row_Q8_0_MatchesLayoutFormula()
    {
        var data = Build(TensorType.Q8_0, Blocks, 5, [0], 2..34);
        Check(TensorType.Q8_0, data, (b, e) => (sbyte)b[2 + e] * Half(b, 0));
    }

    [Fact]
    public void Row_Q8_1_MatchesLayoutFormula()
    {
        var data = Build(TensorType.Q8_1, Blocks, 6, [0, 2], 4..36);
        Check(TensorType.Q8_1, data, (b, e) => (sbyte)b[4 + e] * Half(b, 0));
    }

    [Fact]
    public void Row_Q2_K_MatchesLayoutFormula()
    {
        var data = Build(TensorType.Q2_K, Blocks, 7, [80, 82], 16..80);
        Check(TensorType.Q2_K, data, (b, e) =>
        {
            // Element e: half h = e / 128, within it r = (e % 128) / 32 picks the bit pair, l = e % 32 the byte.
            var q = (b[16 + 32 * (e / 128) + e % 32] >> (2 * (e % 128 / 32))) & 3;
            var sc = b[e / 16];
            return Half(b, 80) * (sc & 0x0F) * q - Half(b, 82) * (sc >> 4);
        });
    }

    [Fact]
    public void Row_Q3_K_MatchesLayoutFormula()
    {
        var data = Build(TensorType.Q3_K, Blocks, 8, [108], 0..96);
        Check(TensorType.Q3_K, data, (b, e) =>
        {
            var low = (b[32 + 32 * (e / 128) + e % 32] >> (2 * (e % 128 / 32))) & 3;
            var highBitSet = ((b[e % 32] >> (e / 32)) & 1) == 1;
            var q = low - (highBitSet ? 0 : 4);
            var j = e / 16;
            var scaleLow = j < 8 ? b[96 + j] & 0x0F : b[96 + j - 8] >> 4;
            var scaleHigh = (b[96 + 8 + j % 4] >> (2 * (j / 4))) & 3;
            var scale = scaleLow + 16 * scaleHigh - 32;
            return Half(b, 108) * scale * q;
        });
    }

    [Fact]
    public void Row_Q4_K_MatchesLayoutFormula()
    {
        var data = Build(TensorType.Q4_K, Blocks, 9, [0, 2], 4..144);
        Check(TensorType.Q4_K, data, (b, e) =>
        {
            var j = e / 32;
            var qbyte = b[16 + 32 * (e / 64) + e % 32];
            var q = j % 2 == 0 ? qbyte & 0x0F : qbyte >> 4;
            var (scale, min) = SixBitScaleMin(b.Slice(4, 12), j);
            return Half(b, 0) * scale * q - Half(b, 2) * min;
        });
    }

    [Fact]
    public void Row_Q5_K_MatchesLayoutFormula()
    {
        var data = Build(TensorType.Q5_K, Blocks, 10, [0, 2], 4..176);
        Check(TensorType.Q5_K, data, (b, e) =>
        {
            var j = e / 32;
            var qbyte = b[48 + 32 * (e / 64) + e % 32];
            var low = j % 2 == 0 ? qbyte & 0x0F : qbyte >> 4;
            var high = (b[16 + e % 32] >> j) & 1;
            var (scale, min) = SixBitScaleMin(b.Slice(4, 12), j);
            return Half(b, 0) * scale * (low + 16 * high) - Half(b, 2) * min;
        });
    }

    [Fact]
    public void Row_Q6_K_MatchesLayoutFormula()
    {
        var data = Build(TensorType.Q6_K, Blocks, 11, [208], 0..208);
        Check(TensorType.Q6_K, data, (b, e) =>
        {
            var half = e / 128;
            var r = e % 128 / 32;
            var l = e % 32;
            var qlByte = b[64 * half + 32 * (r % 2) + l];
            var low = r < 2 ? qlByte & 0x0F : qlByte >> 4;
            var high = (b[128 + 32 * half + l] >> (2 * r)) & 3;
            var scale = (sbyte)b[192 + e / 16];
            return Half(b, 208) * scale * (low + 16 * high - 32);
        });
    }

    [Fact]
    public void Row_Q8_K_MatchesLayoutFormula()
    {
        var data = Build(TensorType.Q8_K, Blocks, 12, [], 4..260);
        var scales = new[] { 1.0f, -0.0078125f, 3.5e-3f, 1e-40f, -2.5e6f, 0.0f };
        for (var k = 0; k < Blocks; k++)
        {
            MemoryMarshal.Write(data.AsSpan(k * 292), scales[k % scales.Length]);
        }

        Check(TensorType.Q8_K, data, (b, e) => MemoryMarshal.Read<float>(b) * (sbyte)b[4 + e]);
    }

    [Fact]
    public void Row_F16_AllBitPatterns_MatchIeeeDefinition()
    {
        var data = new byte[65536 * 2];
        for (var h = 0; h < 65536; h++)
        {
            data[2 * h] = (byte)h;
            data[2 * h + 1] = (byte)(h >> 8);
        }

        Check(TensorType.F16, data, (b, _) => Half(b, 0));
    }

    [Fact]
    public void Row_BF16_SamplePatterns_AreTheUpperHalfOfAFloat()
    {
        var data = TestData.Bytes(2 * 4096, 13);
        Check(TensorType.BF16, data, (b, _) => BitConverter.UInt32BitsToSingle((uint)(b[0] | b[1] << 8) << 16));
    }

    [Fact]
    public void Row_F32_CopiesBits()
    {
        var data = TestData.Bytes(4 * 1000, 14);
        Check(TensorType.F32, data, (b, _) => MemoryMarshal.Read<float>(b));
    }

    /// <summary>The 6-bit scale and min of sub-block j in Q4_K/Q5_K's 12 bytes: j &lt; 4 plain, else split.</summary>
    private static (int Scale, int Min) SixBitScaleMin(ReadOnlySpan<byte> s, int j) => j < 4
        ? (s[j] & 63, s[j + 4] & 63)
        : ((s[j + 4] & 0x0F) | ((s[j - 4] >> 6) << 4), (s[j + 4] >> 4) | ((s[j] >> 6) << 4));

    private delegate float ElementFormula(ReadOnlySpan<byte> block, int element);

    private static void Check(TensorType type, byte[] data, ElementFormula formula)
    {
        var info = TensorTypeInfo.Get(type);
        var blocks = data.Length / info.BytesPerBlock;
        var actual = new float[blocks * info.BlockSize];

        Dequantize.Row(type, data, actual);

        for (var k = 0; k < blocks; k++)
        {
            var block = data.AsSpan(k * info.BytesPerBlock, info.BytesPerBlock);
            for (var e = 0; e < info.BlockSize; e++)
            {
                var expected = formula(block, e);
                var got = actual[k * info.BlockSize + e];
                if (BitConverter.SingleToUInt32Bits(expected) != BitConverter.SingleToUInt32Bits(got))
                {
                    Assert.Fail($"{type} block {k} element {e}: expected {expected:R} (0x{BitConverter.SingleToUInt32Bits(expected):X8}), got {got:R} (0x{BitConverter.SingleToUInt32Bits(got):X8})");
                }
            }
        }
    }
}
