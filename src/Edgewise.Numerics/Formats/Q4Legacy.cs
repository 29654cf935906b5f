using System.Buffers.Binary;

namespace Edgewise.Numerics.Formats;

/// <summary>
/// Q4_0 (18 bytes per 32 elements: fp16 d, 16 bytes of nibbles; x = (q − 8)·d) and Q4_1 (20 bytes: fp16 d,
/// fp16 m, 16 bytes of nibbles; x = q·d + m). Byte j holds element j in its low nibble and element j + 16 in
/// its high nibble.
/// </summary>
internal static class Q4Legacy
{
    public const int BlockSize = 32;
    public const int Q40BlockBytes = 18;
    public const int Q41BlockBytes = 20;

    public static void DequantizeQ40(ReadOnlySpan<byte> src, Span<float> dst)
    {
        var blocks = dst.Length / BlockSize;
        for (var i = 0; i < blocks; i++)
        {
            var b = src.Slice(i * Q40BlockBytes, Q40BlockBytes);
            var y = dst.Slice(i * BlockSize, BlockSize);
            var d = Fp16.ToSingle(BinaryPrimitives.ReadUInt16LittleEndian(b));
            var qs = b[2..];
            for (var j = 0; j < 16; j++)
            {
                y[j] = ((qs[j] & 0x0F) - 8) * d;
                y[j + 16] = ((qs[j] >> 4) - 8) * d;
            }
        }
    }

    public static void DequantizeQ41(ReadOnlySpan<byte> src, Span<float> dst)
    {
        var blocks = dst.Length / BlockSize;
        for (var i = 0; i < blocks; i++)
        {
            var b = src.Slice(i * Q41BlockBytes, Q41BlockBytes);
            var y = dst.Slice(i * BlockSize, BlockSize);
            var d = Fp16.ToSingle(BinaryPrimitives.ReadUInt16LittleEndian(b));
            var m = Fp16.ToSingle(BinaryPrimitives.ReadUInt16LittleEndian(b[2..]));
            var qs = b[4..];
            for (var j = 0; j < 16; j++)
            {
                y[j] = (qs[j] & 0x0F) * d + m;
                y[j + 16] = (qs[j] >> 4) * d + m;
            }
        }
    }

    /// <summary>ggml's reference Q4_0 quantizer: d = −(signed value of largest magnitude)/8, q = min(15, trunc(x/d + 8.5)).</summary>
    public static void QuantizeQ40(ReadOnlySpan<float> src, Span<byte> dst)
    {
        var blocks = src.Length / BlockSize;
        for (var i = 0; i < blocks; i++)
        {
            var x = src.Slice(i * BlockSize, BlockSize);
            var y = dst.Slice(i * Q40BlockBytes, Q40BlockBytes);
            var d = SignedAbsMax(x) / -8;
            var id = d != 0 ? 1.0f / d : 0.0f;
            BinaryPrimitives.WriteUInt16LittleEndian(y, Fp16.FromSingle(d));
            for (var j = 0; j < 16; j++)
            {
                var q0 = Math.Min(15, TruncateToSByte(x[j] * id + 8.5f));
                var q1 = Math.Min(15, TruncateToSByte(x[j + 16] * id + 8.5f));
                y[2 + j] = (byte)(q0 | (q1 << 4));
            }
        }
    }

    /// <summary>ggml's reference Q4_1 quantizer: m = min, d = (max − min)/15, q = min(15, trunc((x − m)/d + 0.5)).</summary>
    public static void QuantizeQ41(ReadOnlySpan<float> src, Span<byte> dst)
    {
        var blocks = src.Length / BlockSize;
        for (var i = 0; i < blocks; i++)
        {
            var x = src.Slice(i * BlockSize, BlockSize);
            var y = dst.Slice(i * Q41BlockBytes, Q41BlockBytes);
            MinMax(x, out var min, out var max);
            var d = (max - min) / 15;
            var id = d != 0 ? 1.0f / d : 0.0f;
            BinaryPrimitives.WriteUInt16LittleEndian(y, Fp16.FromSingle(d));
            BinaryPrimitives.WriteUInt16LittleEndian(y[2..], Fp16.FromSingle(min));
            for (var j = 0; j < 16; j++)
            {
                var q0 = Math.Min(15, TruncateToSByte((x[j] - min) * id + 0.5f));
                var q1 = Math.Min(15, TruncateToSByte((x[j + 16] - min) * id + 0.5f));
                y[4 + j] = (byte)(q0 | (q1 << 4));
            }
        }
    }

    /// <summary>The element of largest magnitude (the first one on ties), with its sign.</summary>
    internal static float SignedAbsMax(ReadOnlySpan<float> x)
    {
        var amax = 0.0f;
        var max = 0.0f;
        foreach (var v in x)
        {
            if (amax < MathF.Abs(v))
            {
                amax = MathF.Abs(v);
                max = v;
            }
        }

        return max;
    }

    internal static void MinMax(ReadOnlySpan<float> x, out float min, out float max)
    {
        min = float.MaxValue;
        max = -float.MaxValue;
        foreach (var v in x)
        {
            if (v < min)
            {
                min = v;
            }

            if (v > max)
            {
                max = v;
            }
        }
    }

    /// <summary>C's float → int8_t conversion as compiled for x86: truncate toward zero, keep the low byte.</summary>
    internal static int TruncateToSByte(float value) => (sbyte)(int)value;
}
