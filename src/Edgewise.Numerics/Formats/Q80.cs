using System.Buffers.Binary;

namespace Edgewise.Numerics.Formats;

/// <summary>
/// Q8_0: blocks of 32 elements, 34 bytes: fp16 scale d, then 32 signed bytes q; x = q·d.
/// Q8_1 (36 bytes) adds an fp16 s = d·Σq after d.
/// </summary>
internal static class Q80
{
    public const int BlockSize = 32;
    public const int BlockBytes = 34;
    public const int Q81BlockBytes = 36;

    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst) => Dequantize(src, dst, BlockBytes, 2);

    public static void DequantizeQ81(ReadOnlySpan<byte> src, Span<float> dst) => Dequantize(src, dst, Q81BlockBytes, 4);

    /// <summary>ggml's reference quantizer: d = amax/127, q = round-half-away(x/d).</summary>
    public static void Quantize(ReadOnlySpan<float> src, Span<byte> dst)
    {
        var blocks = src.Length / BlockSize;
        for (var i = 0; i < blocks; i++)
        {
            var x = src.Slice(i * BlockSize, BlockSize);
            var y = dst.Slice(i * BlockBytes, BlockBytes);
            var d = AbsMax(x) / 127;
            var id = d != 0 ? 1.0f / d : 0.0f;
            BinaryPrimitives.WriteUInt16LittleEndian(y, Fp16.FromSingle(d));
            for (var j = 0; j < BlockSize; j++)
            {
                y[2 + j] = (byte)(sbyte)(int)MathF.Round(x[j] * id, MidpointRounding.AwayFromZero);
            }
        }
    }

    /// <summary>
    /// The activation quantizer of ggml's x86 CPU backend (used before Q8_0-weight dot products): d = amax/127 as
    /// fp16, multiplier 127/amax, rounding to nearest even, saturating to a signed byte.
    /// </summary>
    public static void QuantizeActivations(ReadOnlySpan<float> src, Span<byte> dst)
    {
        var blocks = src.Length / BlockSize;
        for (var i = 0; i < blocks; i++)
        {
            var x = src.Slice(i * BlockSize, BlockSize);
            var y = dst.Slice(i * BlockBytes, BlockBytes);
            var amax = AbsMax(x);
            BinaryPrimitives.WriteUInt16LittleEndian(y, Fp16.FromSingle(amax / 127.0f));
            var id = amax != 0 ? 127.0f / amax : 0.0f;
            for (var j = 0; j < BlockSize; j++)
            {
                var v = MathF.Round(x[j] * id, MidpointRounding.ToEven);
                y[2 + j] = (byte)(sbyte)Math.Clamp((int)v, sbyte.MinValue, sbyte.MaxValue);
            }
        }
    }

    /// <summary>
    /// The Q8_1 activation quantizer of ggml's x86 CPU backend (used before Q4_1/Q5_1 dot products): as
    /// <see cref="QuantizeActivations"/>, plus s = fp16(d·Σq) with the unrounded d = amax/127.
    /// </summary>
    public static void QuantizeActivationsQ81(ReadOnlySpan<float> src, Span<byte> dst)
    {
        var blocks = src.Length / BlockSize;
        for (var i = 0; i < blocks; i++)
        {
            var x = src.Slice(i * BlockSize, BlockSize);
            var y = dst.Slice(i * Q81BlockBytes, Q81BlockBytes);
            var amax = AbsMax(x);
            var d = amax / 127.0f;
            var id = amax != 0 ? 127.0f / amax : 0.0f;
            var sum = 0;
            for (var j = 0; j < BlockSize; j++)
            {
                var v = (int)MathF.Round(x[j] * id, MidpointRounding.ToEven);
                v = Math.Clamp(v, sbyte.MinValue, sbyte.MaxValue);
                y[4 + j] = (byte)(sbyte)v;
                sum += v;
            }

            BinaryPrimitives.WriteUInt16LittleEndian(y, Fp16.FromSingle(d));
            BinaryPrimitives.WriteUInt16LittleEndian(y[2..], Fp16.FromSingle(d * sum));
        }
    }

    /// <summary>ggml's reference Q8_1 quantizer: as Q8_0, plus s = fp16(d·Σq).</summary>
    public static void QuantizeQ81(ReadOnlySpan<float> src, Span<byte> dst)
    {
        var blocks = src.Length / BlockSize;
        for (var i = 0; i < blocks; i++)
        {
            var x = src.Slice(i * BlockSize, BlockSize);
            var y = dst.Slice(i * Q81BlockBytes, Q81BlockBytes);
            var d = AbsMax(x) / 127;
            var id = d != 0 ? 1.0f / d : 0.0f;
            var sum = 0;
            for (var j = 0; j < BlockSize; j++)
            {
                var q = (sbyte)(int)MathF.Round(x[j] * id, MidpointRounding.AwayFromZero);
                y[4 + j] = (byte)q;
                sum += q;
            }

            BinaryPrimitives.WriteUInt16LittleEndian(y, Fp16.FromSingle(d));
            BinaryPrimitives.WriteUInt16LittleEndian(y[2..], Fp16.FromSingle(sum * d));
        }
    }

    private static float AbsMax(ReadOnlySpan<float> x)
    {
        var amax = 0.0f;
        foreach (var v in x)
        {
            amax = MathF.Max(amax, MathF.Abs(v));
        }

        return amax;
    }

    private static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst, int blockBytes, int quantOffset)
    {
        var blocks = dst.Length / BlockSize;
        for (var i = 0; i < blocks; i++)
        {
            var b = src.Slice(i * blockBytes, blockBytes);
            var y = dst.Slice(i * BlockSize, BlockSize);
            var d = Fp16.ToSingle(BinaryPrimitives.ReadUInt16LittleEndian(b));
            var q = b[quantOffset..];
            for (var j = 0; j < BlockSize; j++)
            {
                y[j] = (sbyte)q[j] * d;
            }
        }
    }
}
