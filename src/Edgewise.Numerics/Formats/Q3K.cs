using System.Buffers.Binary;

namespace Edgewise.Numerics.Formats;

/// <summary>
/// Q3_K: super-blocks of 256 elements, 110 bytes: 32 bytes hmask, 64 bytes of 2-bit quants (laid out as in
/// Q2_K), 12 bytes of sixteen 6-bit scales, fp16 d. Element e's third bit is bit e / 32 of hmask[e % 32]; a clear
/// bit subtracts 4. Scale j: low nibble of byte j (j &lt; 8) or high nibble of byte j − 8, plus bits 2·(j / 4) of
/// byte 8 + j % 4 as its top two bits, minus 32; x = d·scale·q.
/// </summary>
internal static class Q3K
{
    public const int BlockSize = KQuantSearch.SuperBlock;
    public const int BlockBytes = 110;

    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        var blocks = dst.Length / BlockSize;
        for (var i = 0; i < blocks; i++)
        {
            var b = src.Slice(i * BlockBytes, BlockBytes);
            var y = dst.Slice(i * BlockSize, BlockSize);
            var dAll = Fp16.ToSingle(BinaryPrimitives.ReadUInt16LittleEndian(b[108..]));
            var hmask = b[..32];
            var packed = b.Slice(96, 12);
            for (var sub = 0; sub < 16; sub++)
            {
                var dl = dAll * (Scale(packed, sub) - 32);
                var half = sub / 8;
                var shift = 2 * ((sub % 8) / 2);
                var offset = 16 * (sub % 2);
                var q = b.Slice(32 + 32 * half + offset, 16);
                var hm = hmask.Slice(offset, 16);
                var bit = 1 << (sub / 2);
                var ys = y.Slice(16 * sub, 16);
                for (var l = 0; l < 16; l++)
                {
                    ys[l] = dl * (((q[l] >> shift) & 3) - ((hm[l] & bit) != 0 ? 0 : 4));
                }
            }
        }
    }

    /// <summary>ggml's reference Q3_K quantizer (no importance matrix).</summary>
    public static void Quantize(ReadOnlySpan<float> src, Span<byte> dst)
    {
        Span<sbyte> levels = stackalloc sbyte[BlockSize];
        Span<float> scales = stackalloc float[16];

        var blocks = src.Length / BlockSize;
        for (var i = 0; i < blocks; i++)
        {
            var x = src.Slice(i * BlockSize, BlockSize);
            var y = dst.Slice(i * BlockBytes, BlockBytes);
            var maxScale = 0.0f;
            var amax = 0.0f;
            for (var j = 0; j < 16; j++)
            {
                scales[j] = KQuantSearch.MakeQ3Quants(4, x.Slice(16 * j, 16), levels.Slice(16 * j, 16));
                if (MathF.Abs(scales[j]) > amax)
                {
                    amax = MathF.Abs(scales[j]);
                    maxScale = scales[j];
                }
            }

            y.Clear();
            var packed = y.Slice(96, 12);
            ushort dBits = 0;
            if (maxScale != 0)
            {
                var iscale = -32.0f / maxScale;
                for (var j = 0; j < 16; j++)
                {
                    var l = Math.Clamp((int)(sbyte)KQuantSearch.NearestInt(iscale * scales[j]), -32, 31) + 32;
                    if (j < 8)
                    {
                        packed[j] = (byte)(l & 0x0F);
                    }
                    else
                    {
                        packed[j - 8] |= (byte)((l & 0x0F) << 4);
                    }

                    packed[8 + j % 4] |= (byte)((l >> 4) << (2 * (j / 4)));
                }

                dBits = Fp16.FromSingle(1 / iscale);
            }

            BinaryPrimitives.WriteUInt16LittleEndian(y[108..], dBits);
            var d = Fp16.ToSingle(dBits);
            for (var j = 0; j < 16; j++)
            {
                var ds = d * (Scale(packed, j) - 32);
                if (ds == 0)
                {
                    continue;
                }

                for (var ii = 0; ii < 16; ii++)
                {
                    levels[16 * j + ii] = (sbyte)(Math.Clamp(KQuantSearch.NearestInt(x[16 * j + ii] / ds), -4, 3) + 4);
                }
            }

            var hmask = y[..32];
            for (var e = 0; e < BlockSize; e++)
            {
                if (levels[e] > 3)
                {
                    hmask[e % 32] |= (byte)(1 << (e / 32));
                    levels[e] -= 4;
                }
            }

            var qs = y.Slice(32, 64);
            for (var half = 0; half < 2; half++)
            {
                var lv = levels.Slice(128 * half, 128);
                for (var l = 0; l < 32; l++)
                {
                    qs[32 * half + l] = (byte)((byte)lv[l] | ((byte)lv[l + 32] << 2) | ((byte)lv[l + 64] << 4) | ((byte)lv[l + 96] << 6));
                }
            }
        }
    }

    /// <summary>The unsigned 6-bit scale j (0–15) from the 12 packed bytes.</summary>
    private static int Scale(ReadOnlySpan<byte> packed, int j)
    {
        var low = j < 8 ? packed[j] & 0x0F : packed[j - 8] >> 4;
        return low | (((packed[8 + j % 4] >> (2 * (j / 4))) & 3) << 4);
    }
}
