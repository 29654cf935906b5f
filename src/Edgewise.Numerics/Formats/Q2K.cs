using System.Buffers.Binary;

namespace Edgewise.Numerics.Formats;

/// <summary>
/// Q2_K: super-blocks of 256 elements, 84 bytes: 16 bytes of sub-block scale (low nibble) and min (high nibble),
/// 64 bytes of 2-bit quants, fp16 d, fp16 dmin. In each half of 128 elements, byte l of its 32 bytes holds
/// elements l, l + 32, l + 64, l + 96 in bit pairs 0, 2, 4, 6; sub-blocks are 16 elements; x = d·sc·q − dmin·m.
/// </summary>
internal static class Q2K
{
    public const int BlockSize = KQuantSearch.SuperBlock;
    public const int BlockBytes = 84;

    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        var blocks = dst.Length / BlockSize;
        for (var i = 0; i < blocks; i++)
        {
            var b = src.Slice(i * BlockBytes, BlockBytes);
            var y = dst.Slice(i * BlockSize, BlockSize);
            var d = Fp16.ToSingle(BinaryPrimitives.ReadUInt16LittleEndian(b[80..]));
            var dmin = Fp16.ToSingle(BinaryPrimitives.ReadUInt16LittleEndian(b[82..]));
            for (var sub = 0; sub < 16; sub++)
            {
                var sc = b[sub];
                var dl = d * (sc & 0x0F);
                var ml = dmin * (sc >> 4);
                var half = sub / 8;
                var shift = 2 * ((sub % 8) / 2);
                var q = b.Slice(16 + 32 * half + 16 * (sub % 2), 16);
                var ys = y.Slice(16 * sub, 16);
                for (var l = 0; l < 16; l++)
                {
                    ys[l] = dl * ((q[l] >> shift) & 3) - ml;
                }
            }
        }
    }

    /// <summary>ggml's reference Q2_K quantizer (no importance matrix).</summary>
    public static void Quantize(ReadOnlySpan<float> src, Span<byte> dst)
    {
        Span<byte> levels = stackalloc byte[BlockSize];
        Span<byte> scratch = stackalloc byte[16];
        Span<float> weights = stackalloc float[16];
        Span<float> scales = stackalloc float[16];
        Span<float> mins = stackalloc float[16];
        const float Q4Scale = 15.0f;

        var blocks = src.Length / BlockSize;
        for (var i = 0; i < blocks; i++)
        {
            var x = src.Slice(i * BlockSize, BlockSize);
            var y = dst.Slice(i * BlockBytes, BlockBytes);
            var maxScale = 0.0f;
            var maxMin = 0.0f;
            for (var j = 0; j < 16; j++)
            {
                var xs = x.Slice(16 * j, 16);
                for (var l = 0; l < 16; l++)
                {
                    weights[l] = MathF.Abs(xs[l]);
                }

                scales[j] = KQuantSearch.MakeQkx2Quants(3, xs, weights, levels.Slice(16 * j, 16), out mins[j], scratch, -0.5f, 0.1f, 15, true);
                if (scales[j] > maxScale)
                {
                    maxScale = scales[j];
                }

                if (mins[j] > maxMin)
                {
                    maxMin = mins[j];
                }
            }

            var packed = y[..16];
            packed.Clear();
            ushort dBits = 0;
            ushort dminBits = 0;
            if (maxScale > 0)
            {
                var iscale = Q4Scale / maxScale;
                for (var j = 0; j < 16; j++)
                {
                    packed[j] = (byte)KQuantSearch.NearestInt(iscale * scales[j]);
                }

                dBits = Fp16.FromSingle(maxScale / Q4Scale);
            }

            if (maxMin > 0)
            {
                var iscale = Q4Scale / maxMin;
                for (var j = 0; j < 16; j++)
                {
                    packed[j] |= (byte)(KQuantSearch.NearestInt(iscale * mins[j]) << 4);
                }

                dminBits = Fp16.FromSingle(maxMin / Q4Scale);
            }

            BinaryPrimitives.WriteUInt16LittleEndian(y[80..], dBits);
            BinaryPrimitives.WriteUInt16LittleEndian(y[82..], dminBits);
            var d = Fp16.ToSingle(dBits);
            var dmin = Fp16.ToSingle(dminBits);
            for (var j = 0; j < 16; j++)
            {
                var ds = d * (packed[j] & 0x0F);
                if (ds == 0)
                {
                    continue;
                }

                var dm = dmin * (packed[j] >> 4);
                for (var ii = 0; ii < 16; ii++)
                {
                    levels[16 * j + ii] = (byte)Math.Clamp(KQuantSearch.NearestInt((x[16 * j + ii] + dm) / ds), 0, 3);
                }
            }

            var qs = y.Slice(16, 64);
            for (var half = 0; half < 2; half++)
            {
                var lv = levels.Slice(128 * half, 128);
                for (var l = 0; l < 32; l++)
                {
                    qs[32 * half + l] = (byte)(lv[l] | (lv[l + 32] << 2) | (lv[l + 64] << 4) | (lv[l + 96] << 6));
                }
            }
        }
    }
}
