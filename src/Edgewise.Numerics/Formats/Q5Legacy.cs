using System.Buffers.Binary;

namespace Edgewise.Numerics.Formats;

/// <summary>
/// Q5_0 (22 bytes per 32 elements: fp16 d, 4 bytes qh, 16 bytes of nibbles; x = (q − 16)·d) and Q5_1 (24 bytes:
/// fp16 d, fp16 m, qh, nibbles; x = q·d + m). The low nibbles are laid out as in Q4_0; bit j of the
/// little-endian 32-bit qh is the fifth bit of element j.
/// </summary>
internal static class Q5Legacy
{
    public const int BlockSize = 32;
    public const int Q50BlockBytes = 22;
    public const int Q51BlockBytes = 24;

    public static void DequantizeQ50(ReadOnlySpan<byte> src, Span<float> dst)
    {
        var blocks = dst.Length / BlockSize;
        for (var i = 0; i < blocks; i++)
        {
            var b = src.Slice(i * Q50BlockBytes, Q50BlockBytes);
            var y = dst.Slice(i * BlockSize, BlockSize);
            var d = Fp16.ToSingle(BinaryPrimitives.ReadUInt16LittleEndian(b));
            var qh = BinaryPrimitives.ReadUInt32LittleEndian(b[2..]);
            var qs = b[6..];
            for (var j = 0; j < 16; j++)
            {
                var h0 = (int)((qh >> j) << 4) & 0x10;
                var h1 = (int)(qh >> (j + 12)) & 0x10;
                y[j] = (((qs[j] & 0x0F) | h0) - 16) * d;
                y[j + 16] = (((qs[j] >> 4) | h1) - 16) * d;
            }
        }
    }

    public static void DequantizeQ51(ReadOnlySpan<byte> src, Span<float> dst)
    {
        var blocks = dst.Length / BlockSize;
        for (var i = 0; i < blocks; i++)
        {
            var b = src.Slice(i * Q51BlockBytes, Q51BlockBytes);
            var y = dst.Slice(i * BlockSize, BlockSize);
            var d = Fp16.ToSingle(BinaryPrimitives.ReadUInt16LittleEndian(b));
            var m = Fp16.ToSingle(BinaryPrimitives.ReadUInt16LittleEndian(b[2..]));
            var qh = BinaryPrimitives.ReadUInt32LittleEndian(b[4..]);
            var qs = b[8..];
            for (var j = 0; j < 16; j++)
            {
                var h0 = (int)((qh >> j) << 4) & 0x10;
                var h1 = (int)(qh >> (j + 12)) & 0x10;
                y[j] = ((qs[j] & 0x0F) | h0) * d + m;
                y[j + 16] = ((qs[j] >> 4) | h1) * d + m;
            }
        }
    }

    /// <summary>ggml's reference Q5_0 quantizer: d = −(signed value of largest magnitude)/16, q = min(31, trunc(x/d + 16.5)).</summary>
    public static void QuantizeQ50(ReadOnlySpan<float> src, Span<byte> dst)
    {
        var blocks = src.Length / BlockSize;
        for (var i = 0; i < blocks; i++)
        {
            var x = src.Slice(i * BlockSize, BlockSize);
            var y = dst.Slice(i * Q50BlockBytes, Q50BlockBytes);
            var d = Q4Legacy.SignedAbsMax(x) / -16;
            var id = d != 0 ? 1.0f / d : 0.0f;
            BinaryPrimitives.WriteUInt16LittleEndian(y, Fp16.FromSingle(d));
            uint qh = 0;
            for (var j = 0; j < 16; j++)
            {
                var q0 = (byte)Math.Min(31, Q4Legacy.TruncateToSByte(x[j] * id + 16.5f));
                var q1 = (byte)Math.Min(31, Q4Legacy.TruncateToSByte(x[j + 16] * id + 16.5f));
                y[6 + j] = (byte)((q0 & 0x0F) | ((q1 & 0x0F) << 4));
                qh |= (uint)((q0 & 0x10) >> 4) << j;
                qh |= (uint)((q1 & 0x10) >> 4) << (j + 16);
            }

            BinaryPrimitives.WriteUInt32LittleEndian(y[2..], qh);
        }
    }

    /// <summary>ggml's reference Q5_1 quantizer: m = min, d = (max − min)/31, q = trunc((x − m)/d + 0.5).</summary>
    public static void QuantizeQ51(ReadOnlySpan<float> src, Span<byte> dst)
    {
        var blocks = src.Length / BlockSize;
        for (var i = 0; i < blocks; i++)
        {
            var x = src.Slice(i * BlockSize, BlockSize);
            var y = dst.Slice(i * Q51BlockBytes, Q51BlockBytes);
            Q4Legacy.MinMax(x, out var min, out var max);
            var d = (max - min) / 31;
            var id = d != 0 ? 1.0f / d : 0.0f;
            BinaryPrimitives.WriteUInt16LittleEndian(y, Fp16.FromSingle(d));
            BinaryPrimitives.WriteUInt16LittleEndian(y[2..], Fp16.FromSingle(min));
            uint qh = 0;
            for (var j = 0; j < 16; j++)
            {
                var q0 = (byte)(int)((x[j] - min) * id + 0.5f);
                var q1 = (byte)(int)((x[j + 16] - min) * id + 0.5f);
                y[8 + j] = (byte)((q0 & 0x0F) | ((q1 & 0x0F) << 4));
                qh |= (uint)((q0 & 0x10) >> 4) << j;
                qh |= (uint)((q1 & 0x10) >> 4) << (j + 16);
            }

            BinaryPrimitives.WriteUInt32LittleEndian(y[4..], qh);
        }
    }
}
