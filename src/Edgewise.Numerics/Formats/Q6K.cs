using System.Buffers.Binary;

namespace Edgewise.Numerics.Formats;

/// <summary>
/// Q6_K: super-blocks of 256 elements, 210 bytes: 128 bytes ql (low nibbles), 64 bytes qh (high 2-bit pairs),
/// 16 signed 8-bit sub-block scales, fp16 d. Each half of 128 elements uses 64 ql bytes and 32 qh bytes: element
/// l + 32r (r = 0..3) takes ql[l + 32·(r &amp; 1)] nibble r ≥ 2 and qh[l] bits 2r..2r+1; x = d·scale·(q − 32).
/// </summary>
internal static class Q6K
{
    public const int BlockSize = KQuantSearch.SuperBlock;
    public const int BlockBytes = 210;

    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        var blocks = dst.Length / BlockSize;
        for (var i = 0; i < blocks; i++)
        {
            var b = src.Slice(i * BlockBytes, BlockBytes);
            var y = dst.Slice(i * BlockSize, BlockSize);
            var d = Fp16.ToSingle(BinaryPrimitives.ReadUInt16LittleEndian(b[208..]));
            for (var half = 0; half < 2; half++)
            {
                var ql = b.Slice(64 * half, 64);
                var qh = b.Slice(128 + 32 * half, 32);
                var sc = b.Slice(192 + 8 * half, 8);
                var yh = y.Slice(128 * half, 128);
                for (var l = 0; l < 32; l++)
                {
                    var s = l / 16;
                    var q1 = ((ql[l] & 0x0F) | ((qh[l] & 3) << 4)) - 32;
                    var q2 = ((ql[l + 32] & 0x0F) | (((qh[l] >> 2) & 3) << 4)) - 32;
                    var q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                    var q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                    yh[l] = d * (sbyte)sc[s] * q1;
                    yh[l + 32] = d * (sbyte)sc[s + 2] * q2;
                    yh[l + 64] = d * (sbyte)sc[s + 4] * q3;
                    yh[l + 96] = d * (sbyte)sc[s + 6] * q4;
                }
            }
        }
    }

    /// <summary>ggml's reference Q6_K quantizer (what llama-quantize runs without an importance matrix).</summary>
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
            var maxAbsScale = 0.0f;
            for (var ib = 0; ib < 16; ib++)
            {
                var scale = KQuantSearch.MakeQxQuants(32, x.Slice(16 * ib, 16), levels.Slice(16 * ib, 16));
                scales[ib] = scale;
                if (MathF.Abs(scale) > maxAbsScale)
                {
                    maxAbsScale = MathF.Abs(scale);
                    maxScale = scale;
                }
            }

            y.Clear();
            if (maxAbsScale < KQuantSearch.GroupMaxEps)
            {
                continue;
            }

            var iscale = -128.0f / maxScale;
            BinaryPrimitives.WriteUInt16LittleEndian(y[208..], Fp16.FromSingle(1 / iscale));
            for (var ib = 0; ib < 16; ib++)
            {
                y[192 + ib] = (byte)(sbyte)Math.Min(127, KQuantSearch.NearestInt(iscale * scales[ib]));
            }

            var d = Fp16.ToSingle(BinaryPrimitives.ReadUInt16LittleEndian(y[208..]));
            for (var j = 0; j < 16; j++)
            {
                var ds = d * (sbyte)y[192 + j];
                if (ds == 0)
                {
                    continue;
                }

                for (var ii = 0; ii < 16; ii++)
                {
                    levels[16 * j + ii] = (sbyte)(Math.Clamp(KQuantSearch.NearestInt(x[16 * j + ii] / ds), -32, 31) + 32);
                }
            }

            for (var half = 0; half < 2; half++)
            {
                var ql = y.Slice(64 * half, 64);
                var qh = y.Slice(128 + 32 * half, 32);
                var lv = levels.Slice(128 * half, 128);
                for (var l = 0; l < 32; l++)
                {
                    ql[l] = (byte)((lv[l] & 0x0F) | ((lv[l + 64] & 0x0F) << 4));
                    ql[l + 32] = (byte)((lv[l + 32] & 0x0F) | ((lv[l + 96] & 0x0F) << 4));
                    qh[l] = (byte)((lv[l] >> 4) | ((lv[l + 32] >> 4) << 2) | ((lv[l + 64] >> 4) << 4) | ((lv[l + 96] >> 4) << 6));
                }
            }
        }
    }
}
