using System.Buffers.Binary;

namespace Edgewise.Numerics.Formats;

/// <summary>
/// Q4_K: super-blocks of 256 elements, 144 bytes: fp16 d, fp16 dmin, 12 bytes of packed 6-bit sub-block scales
/// and mins (see <see cref="KQuantSearch.ScaleMinK4"/>), 128 bytes of nibbles. Each 64 elements share 32 bytes:
/// the low nibbles are sub-block 2k, the high nibbles sub-block 2k + 1; x = d·scale·q − dmin·min.
/// </summary>
internal static class Q4K
{
    public const int BlockSize = KQuantSearch.SuperBlock;
    public const int BlockBytes = 144;

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
            for (var k = 0; k < 4; k++)
            {
                var q = b.Slice(16 + 32 * k, 32);
                KQuantSearch.ScaleMinK4(2 * k, scales, out var sc, out var m);
                var d1 = d * sc;
                var m1 = dmin * m;
                KQuantSearch.ScaleMinK4(2 * k + 1, scales, out sc, out m);
                var d2 = d * sc;
                var m2 = dmin * m;
                var lo = y.Slice(64 * k, 32);
                var hi = y.Slice(64 * k + 32, 32);
                for (var l = 0; l < 32; l++)
                {
                    lo[l] = d1 * (q[l] & 0x0F) - m1;
                    hi[l] = d2 * (q[l] >> 4) - m2;
                }
            }
        }
    }

    /// <summary>ggml's reference Q4_K quantizer (what llama-quantize runs without an importance matrix).</summary>
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
                WeightsFromMagnitude(xs, weights);
                scales[j] = KQuantSearch.MakeQkx2Quants(15, xs, weights, levels.Slice(32 * j, 32), out mins[j], scratch, -1.0f, 0.1f, 20, false);
                if (scales[j] > maxScale)
                {
                    maxScale = scales[j];
                }

                if (mins[j] > maxMin)
                {
                    maxMin = mins[j];
                }
            }

            PackScales(scales, mins, maxScale, maxMin, ls, lm, y);
            RequantizeSubBlocks(x, y, 15, levels);
            var qs = y[16..];
            for (var k = 0; k < 4; k++)
            {
                for (var l = 0; l < 32; l++)
                {
                    qs[32 * k + l] = (byte)(levels[64 * k + l] | (levels[64 * k + l + 32] << 4));
                }
            }
        }
    }

    /// <summary>ggml's weights for the sub-block fit: √(mean x²) + |x|.</summary>
    internal static void WeightsFromMagnitude(ReadOnlySpan<float> xs, Span<float> weights)
    {
        var sumX2 = 0.0f;
        for (var l = 0; l < xs.Length; l++)
        {
            sumX2 += xs[l] * xs[l];
        }

        var avX = MathF.Sqrt(sumX2 / xs.Length);
        for (var l = 0; l < xs.Length; l++)
        {
            weights[l] = avX + MathF.Abs(xs[l]);
        }
    }

    /// <summary>Quantizes the eight sub-block scales and mins to 6 bits and writes d, dmin and the packed scales (bytes 0–15).</summary>
    internal static void PackScales(
        ReadOnlySpan<float> scales, ReadOnlySpan<float> mins, float maxScale, float maxMin, Span<byte> ls, Span<byte> lm, Span<byte> y)
    {
        var invScale = maxScale > 0 ? 63.0f / maxScale : 0.0f;
        var invMin = maxMin > 0 ? 63.0f / maxMin : 0.0f;
        for (var j = 0; j < 8; j++)
        {
            ls[j] = Math.Min((byte)63, (byte)KQuantSearch.NearestInt(invScale * scales[j]));
            lm[j] = Math.Min((byte)63, (byte)KQuantSearch.NearestInt(invMin * mins[j]));
        }

        KQuantSearch.PackScaleMinK4(ls, lm, y.Slice(4, 12));
        BinaryPrimitives.WriteUInt16LittleEndian(y, Fp16.FromSingle(maxScale / 63.0f));
        BinaryPrimitives.WriteUInt16LittleEndian(y[2..], Fp16.FromSingle(maxMin / 63.0f));
    }

    /// <summary>Recomputes every sub-block's quants against the stored (rounded) scales; a zero scale keeps the fit's quants.</summary>
    internal static void RequantizeSubBlocks(ReadOnlySpan<float> x, ReadOnlySpan<byte> y, int nmax, Span<byte> levels)
    {
        var d = Fp16.ToSingle(BinaryPrimitives.ReadUInt16LittleEndian(y));
        var dmin = Fp16.ToSingle(BinaryPrimitives.ReadUInt16LittleEndian(y[2..]));
        var packed = y.Slice(4, 12);
        for (var j = 0; j < 8; j++)
        {
            KQuantSearch.ScaleMinK4(j, packed, out var sc, out var m);
            var ds = d * sc;
            if (ds == 0)
            {
                continue;
            }

            var dm = dmin * m;
            for (var l = 0; l < 32; l++)
            {
                levels[32 * j + l] = (byte)Math.Clamp(KQuantSearch.NearestInt((x[32 * j + l] + dm) / ds), 0, nmax);
            }
        }
    }
}
