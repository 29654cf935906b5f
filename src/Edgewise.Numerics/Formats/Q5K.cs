using System.Buffers.Binary;

namespace Edgewise.Numerics.Formats;

/// <summary>
/// Q5_K: super-blocks of 256 elements, 176 bytes: fp16 d, fp16 dmin, 12 bytes of packed 6-bit scales and mins
/// (as Q4_K), 32 bytes qh, 128 bytes of low nibbles laid out as in Q4_K. Bit 2k of qh[l] is the fifth bit of the
/// low-nibble element l of the k-th 64, bit 2k + 1 that of the high-nibble element; x = d·scale·q − dmin·min.
/// </summary>
internal static class Q5K
{
    public const int BlockSize = KQuantSearch.SuperBlock;
    public const int BlockBytes = 176;

    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        var blocks = dst.Length / BlockSize;
        for (var i = 0; i < blocks; i++)
        {
            var b = src.Slice(i * BlockBytes, BlockBytes);
            var y = dst.Slice(i * BlockSize, BlockSize);
            var d = Fp16.ToSingle(BinaryPrimitives.ReadUInt16LittleEndian(b));
            var dmin = Fp16.ToSingle(BinaryPrimitives.ReadUInt16LittleEndian(b[2..]));
            var scales = b.Slice(4, 12);
            var qh = b.Slice(16, 32);
            for (var k = 0; k < 4; k++)
            {
                var ql = b.Slice(48 + 32 * k, 32);
                KQuantSearch.ScaleMinK4(2 * k, scales, out var sc, out var m);
                var d1 = d * sc;
                var m1 = dmin * m;
                KQuantSearch.ScaleMinK4(2 * k + 1, scales, out sc, out m);
                var d2 = d * sc;
                var m2 = dmin * m;
                var u1 = 1 << (2 * k);
                var u2 = 2 << (2 * k);
                var lo = y.Slice(64 * k, 32);
                var hi = y.Slice(64 * k + 32, 32);
                for (var l = 0; l < 32; l++)
                {
                    lo[l] = d1 * ((ql[l] & 0x0F) + ((qh[l] & u1) != 0 ? 16 : 0)) - m1;
                    hi[l] = d2 * ((ql[l] >> 4) + ((qh[l] & u2) != 0 ? 16 : 0)) - m2;
                }
            }
        }
    }

    /// <summary>ggml's reference Q5_K quantizer (what llama-quantize runs without an importance matrix).</summary>
    public static void Quantize(ReadOnlySpan<float> src, Span<byte> dst)
    {
        Span<byte> levels = stackalloc byte[BlockSize];
        Span<byte> scratch = stackalloc byte[32];
        Span<float> weights = stackalloc float[32];
        Span<float> scales = stackalloc float[8];
        Span<float> mins = stackalloc float[8];
        Span<byte> ls = stackalloc byte[8];
        Span<byte> lm = stackalloc byte[8];

        var blocks = src.Length / BlockSize;
        for (var i = 0; i < blocks; i++)
        {
            var x = src.Slice(i * BlockSize, BlockSize);
            var y = dst.Slice(i * BlockBytes, BlockBytes);
            var maxScale = 0.0f;
            var maxMin = 0.0f;
            for (var j = 0; j < 8; j++)
            {
                var xs = x.Slice(32 * j, 32);
                Q4K.WeightsFromMagnitude(xs, weights);
                scales[j] = KQuantSearch.MakeQkx2Quants(31, xs, weights, levels.Slice(32 * j, 32), out mins[j], scratch, -0.5f, 0.1f, 15, false);
                if (scales[j] > maxScale)
                {
                    maxScale = scales[j];
                }

                if (mins[j] > maxMin)
                {
                    maxMin = mins[j];
                }
            }

            Q4K.PackScales(scales, mins, maxScale, maxMin, ls, lm, y);
            Q4K.RequantizeSubBlocks(x, y, 31, levels);
            var qh = y.Slice(16, 32);
            var ql = y[48..];
            qh.Clear();
            for (var k = 0; k < 4; k++)
            {
                var m1 = (byte)(1 << (2 * k));
                var m2 = (byte)(2 << (2 * k));
                for (var l = 0; l < 32; l++)
                {
                    int l1 = levels[64 * k + l];
                    if (l1 > 15)
                    {
                        l1 -= 16;
                        qh[l] |= m1;
                    }

                    int l2 = levels[64 * k + l + 32];
                    if (l2 > 15)
                    {
                        l2 -= 16;
                        qh[l] |= m2;
                    }

                    ql[32 * k + l] = (byte)(l1 | (l2 << 4));
                }
            }
        }
    }
}
