using System.Runtime.CompilerServices;

namespace Edgewise.Numerics;

/// <summary>
/// IEEE binary16 conversions with ggml's exact results: widening is exact (a signalling NaN comes back quiet),
/// narrowing rounds to nearest even, overflows to infinity and turns every NaN into the quiet NaN 0x7E00 with
/// the input's sign.
/// </summary>
public static class Fp16
{
    private static readonly float[] s_table = BuildTable();

    /// <summary>Widens the binary16 bit pattern <paramref name="bits"/> to a float.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToSingle(ushort bits) => Unsafe.Add(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(s_table), bits);

    /// <summary>Narrows <paramref name="value"/> to a binary16 bit pattern.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort FromSingle(float value)
    {
        if (float.IsNaN(value))
        {
            return (ushort)((BitConverter.SingleToUInt32Bits(value) >> 16 & 0x8000) | 0x7E00);
        }

        return BitConverter.HalfToUInt16Bits((Half)value);
    }

    private static float[] BuildTable()
    {
        var table = new float[65536];
        for (var i = 0; i < table.Length; i++)
        {
            table[i] = Widen((ushort)i);
        }

        return table;
    }

    private static float Widen(ushort h)
    {
        var sign = (uint)(h & 0x8000) << 16;
        var exponent = (h >> 10) & 0x1F;
        var mantissa = (uint)(h & 0x3FF);
        if (exponent == 0)
        {
            // Zero or subnormal: mantissa * 2^-24 is exact in binary32.
            var magnitude = mantissa * (1.0f / 16777216.0f);
            return BitConverter.UInt32BitsToSingle(sign | BitConverter.SingleToUInt32Bits(magnitude));
        }

        if (exponent == 0x1F)
        {
            // Infinity keeps a zero mantissa; a NaN keeps its payload and is made quiet.
            var nanBits = mantissa == 0 ? 0u : 0x0040_0000u | (mantissa << 13);
            return BitConverter.UInt32BitsToSingle(sign | 0x7F80_0000u | nanBits);
        }

        return BitConverter.UInt32BitsToSingle(sign | (uint)(exponent + 112) << 23 | mantissa << 13);
    }
}
