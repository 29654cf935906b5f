using System.Buffers.Binary;

namespace Edgewise.Numerics.Formats;

/// <summary>
/// Q8_K: super-blocks of 256 elements, 292 bytes: float32 d, 256 signed bytes q, 16 little-endian int16 sums of
/// each 16 quants; x = d·q. Used for activations before K-quant dot products.
/// </summary>
internal static class Q8K
{
    public const int BlockSize = KQuantSearch.SuperBlock;
    public const int BlockBytes = 292;

    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        var blocks = dst.Length / BlockSize;
        for (var i = 0; i < blocks; i++)
        {
            var b = src.Slice(i * BlockBytes, BlockBytes);
            var y = dst.Slice(i * BlockSize, BlockSize);
            var d = BinaryPrimitives.ReadSingleLittleEndian(b);
            var q = b.Slice(4, BlockSize);
            for (var j = 0; j < BlockSize; j++)
            {
                y[j] = d * (sbyte)q[j];
            }
        }
    }

    /// <summary>ggml's Q8_K quantizer: scale −127/(signed value of largest magnitude), round to nearest even, cap at 127.</summary>
    public static void Quantize(ReadOnlySpan<float> src, Span<byte> dst)
    {
        var blocks = src.Length / BlockSize;
        for (var i = 0; i < blocks; i++)
        {
            var x = src.Slice(i * BlockSize, BlockSize);
            var y = dst.Slice(i * BlockBytes, BlockBytes);
            var max = 0.0f;
            var amax = 0.0f;
            foreach (var v in x)
            {
                if (MathF.Abs(v) > amax)
                {
                    amax = MathF.Abs(v);
                    max = v;
                }
            }

            if (amax == 0)
            {
                y.Clear();
                continue;
            }

            var iscale = -127.0f / max;
            var q = y.Slice(4, BlockSize);
            for (var j = 0; j < BlockSize; j++)
            {
                q[j] = (byte)(sbyte)Math.Min(127, KQuantSearch.NearestInt(iscale * x[j]));
            }

            for (var j = 0; j < 16; j++)
            {
                var sum = 0;
                for (var ii = 0; ii < 16; ii++)
                {
                    sum += (sbyte)q[16 * j + ii];
                }

                BinaryPrimitives.WriteInt16LittleEndian(y[(260 + 2 * j)..], (short)sum);
            }

            BinaryPrimitives.WriteSingleLittleEndian(y, 1 / iscale);
        }
    }
}
