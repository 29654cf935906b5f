using System.Runtime.CompilerServices;

namespace Edgewise.Numerics;

/// <summary>
/// bfloat16 conversions with ggml's exact results: widening is a 16-bit shift; narrowing rounds to nearest
/// even and keeps a NaN's upper bits with the quiet bit forced on.
/// </summary>
public static class Bf16
{
    /// <summary>Widens the bfloat16 bit pattern <paramref name="bits"/> to a float.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToSingle(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    /// <summary>Narrows <paramref name="value"/> to a bfloat16 bit pattern.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort FromSingle(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        if ((bits & 0x7FFF_FFFF) > 0x7F80_0000)
        {
            return (ushort)((bits >> 16) | 0x40);
        }

        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }
}
