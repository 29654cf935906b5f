using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Edgewise.Numerics.Formats;

namespace Edgewise.Numerics.Kernels;

/// <summary>
/// The activation quantizers of <see cref="Quantize.ActivationRow"/> (Q8_0 and Q8_K) with 256-bit vectors, byte for
/// byte the same as the scalar definitions in <see cref="Q80"/> and <see cref="Q8K"/>: the largest magnitude is a
/// vector maximum (exact), products are the same single float multiplications, and rounding to nearest even
/// (<see cref="Vector256.Round(Vector256{float})"/>) equals the scalar rounding for every value in range. A block
/// whose largest magnitude is not finite goes through the scalar code, so NaNs and infinities come out as it gives them.
/// </summary>
internal static class ActivationQuantizer
{
    private const int Q80Bytes = 34;

    /// <summary>Whether the vector quantizers run in hardware here.</summary>
    public static bool IsSupported => Vector256.IsHardwareAccelerated;

    /// <summary>As <see cref="Q80.QuantizeActivations"/>.</summary>
    public static void Q80Row(ReadOnlySpan<float> src, Span<byte> dst)
    {
        var blocks = src.Length / 32;
        ref var x0 = ref MemoryMarshal.GetReference(src);
        for (var b = 0; b < blocks; b++)
        {
            ref var x = ref Unsafe.Add(ref x0, b * 32);
            var v0 = Vector256.LoadUnsafe(ref x);
            var v1 = Vector256.LoadUnsafe(ref x, 8);
            var v2 = Vector256.LoadUnsafe(ref x, 16);
            var v3 = Vector256.LoadUnsafe(ref x, 24);
            var amax = Max(Vector256.Max(Vector256.Max(Vector256.Abs(v0), Vector256.Abs(v1)), Vector256.Max(Vector256.Abs(v2), Vector256.Abs(v3))));
            var y = dst.Slice(b * Q80Bytes, Q80Bytes);
            if (!float.IsFinite(amax))
            {
                Q80.QuantizeActivations(src.Slice(b * 32, 32), y);
                continue;
            }

            BinaryPrimitives.WriteUInt16LittleEndian(y, Fp16.FromSingle(amax / 127.0f));
            var id = Vector256.Create(amax != 0 ? 127.0f / amax : 0.0f);
            var lo = Vector256.Create(-128);
            var hi = Vector256.Create(127);
            var q0 = Vector256.Clamp(Vector256.ConvertToInt32(Vector256.Round(v0 * id)), lo, hi);
            var q1 = Vector256.Clamp(Vector256.ConvertToInt32(Vector256.Round(v1 * id)), lo, hi);
            var q2 = Vector256.Clamp(Vector256.ConvertToInt32(Vector256.Round(v2 * id)), lo, hi);
            var q3 = Vector256.Clamp(Vector256.ConvertToInt32(Vector256.Round(v3 * id)), lo, hi);
            Vector256.Narrow(Vector256.Narrow(q0, q1), Vector256.Narrow(q2, q3)).AsByte().StoreUnsafe(ref y[2]);
        }
    }

    /// <summary>As <see cref="Q8K.Quantize"/>.</summary>
    public static void Q8KRow(ReadOnlySpan<float> src, Span<byte> dst)
    {
        var blocks = src.Length / Q8K.BlockSize;
        ref var x0 = ref MemoryMarshal.GetReference(src);
        for (var b = 0; b < blocks; b++)
        {
            ref var x = ref Unsafe.Add(ref x0, b * Q8K.BlockSize);
            var y = dst.Slice(b * Q8K.BlockBytes, Q8K.BlockBytes);
            var acc = Vector256<float>.Zero;
            for (var i = 0; i < Q8K.BlockSize; i += 8)
            {
                acc = Vector256.Max(acc, Vector256.Abs(Vector256.LoadUnsafe(ref x, (nuint)i)));
            }

            var amax = Max(acc);
            if (!float.IsFinite(amax))
            {
                Q8K.Quantize(src.Slice(b * Q8K.BlockSize, Q8K.BlockSize), y);
                continue;
            }

            if (amax == 0)
            {
                y.Clear();
                continue;
            }

            // The scalar search keeps the first element of the largest magnitude, with its sign.
            var max = 0.0f;
            for (var i = 0; i < Q8K.BlockSize; i++)
            {
                var v = Unsafe.Add(ref x, i);
                if (MathF.Abs(v) == amax)
                {
                    max = v;
                    break;
                }
            }

            var iscale = -127.0f / max;
            var scale = Vector256.Create(iscale);
            var cap = Vector256.Create(127);
            for (var j = 0; j < Q8K.BlockSize; j += 32)
            {
                var q0 = Vector256.Min(Vector256.ConvertToInt32(Vector256.Round(Vector256.LoadUnsafe(ref x, (nuint)j) * scale)), cap);
                var q1 = Vector256.Min(Vector256.ConvertToInt32(Vector256.Round(Vector256.LoadUnsafe(ref x, (nuint)(j + 8)) * scale)), cap);
                var q2 = Vector256.Min(Vector256.ConvertToInt32(Vector256.Round(Vector256.LoadUnsafe(ref x, (nuint)(j + 16)) * scale)), cap);
                var q3 = Vector256.Min(Vector256.ConvertToInt32(Vector256.Round(Vector256.LoadUnsafe(ref x, (nuint)(j + 24)) * scale)), cap);
                Vector256.Narrow(Vector256.Narrow(q0, q1), Vector256.Narrow(q2, q3)).AsByte().StoreUnsafe(ref y[4 + j]);
                BinaryPrimitives.WriteInt16LittleEndian(y[(260 + (j / 8))..], (short)Vector256.Sum(q0 + q1));
                BinaryPrimitives.WriteInt16LittleEndian(y[(262 + (j / 8))..], (short)Vector256.Sum(q2 + q3));
            }

            BinaryPrimitives.WriteSingleLittleEndian(y, 1 / iscale);
        }
    }

    /// <summary>The largest lane (all lanes non-negative or NaN; a NaN lane gives NaN).</summary>
    private static float Max(Vector256<float> v)
    {
        var m = Vector128.Max(v.GetLower(), v.GetUpper());
        return MathF.Max(MathF.Max(m.GetElement(0), m.GetElement(1)), MathF.Max(m.GetElement(2), m.GetElement(3)));
    }
}
