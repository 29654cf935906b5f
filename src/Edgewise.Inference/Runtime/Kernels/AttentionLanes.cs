using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Edgewise.Inference.Runtime.Kernels;

/// <summary>
/// The vector operations the blocked attention kernel is written in, once per width, so one generic kernel body is
/// compiled for 512-, 256- and 128-bit vectors (the JIT specialises it per struct and inlines these calls).
/// </summary>
/// <typeparam name="TV">The vector of floats.</typeparam>
internal interface IAttentionLanes<TV>
    where TV : struct
{
    /// <summary>Floats per vector.</summary>
    static abstract int Count { get; }

    static abstract TV Broadcast(float value);

    static abstract TV Load(ref float source, nuint offset);

    static abstract void Store(TV value, ref float destination, nuint offset);

    /// <summary>a · b + c, fused where the hardware has it.</summary>
    static abstract TV MultiplyAdd(TV a, TV b, TV c);

    static abstract TV Multiply(TV a, TV b);

    static abstract TV Max(TV a, TV b);

    static abstract float MaxAcross(TV value);

    static abstract float SumAcross(TV value);

    /// <summary>e^(x − shift) per lane.</summary>
    static abstract TV ExpShifted(TV x, TV shift);

    /// <summary>Each lane rounded to the nearest binary16 value (ties to even; overflow to infinity; NaN kept).</summary>
    static abstract TV RoundToHalf(TV x);
}

/// <summary>512-bit lanes (used only where <see cref="Vector512.IsHardwareAccelerated"/>).</summary>
internal readonly struct AttentionLanes512 : IAttentionLanes<Vector512<float>>
{
    public static int Count => Vector512<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Broadcast(float value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(ref float source, nuint offset) => Vector512.LoadUnsafe(ref source, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<float> value, ref float destination, nuint offset) => value.StoreUnsafe(ref destination, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.MultiplyAddEstimate(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Multiply(Vector512<float> a, Vector512<float> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Max(Vector512<float> a, Vector512<float> b) => Vector512.Max(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(Vector512<float> value) =>
        AttentionLanes256.MaxAcross(Vector256.Max(value.GetLower(), value.GetUpper()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SumAcross(Vector512<float> value) => Vector512.Sum(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ExpShifted(Vector512<float> x, Vector512<float> shift) => Vector512.Exp(x - shift);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> RoundToHalf(Vector512<float> x)
    {
        var bits = x.AsUInt32();
        var magnitude = bits & Vector512.Create(0x7FFF_FFFFu);
        var normal = (magnitude + Vector512.Create(0x0FFFu) + ((magnitude >> 13) & Vector512<uint>.One)) & Vector512.Create(0xFFFF_E000u);
        var small = ((magnitude.AsSingle() + Vector512.Create(0.5f)) - Vector512.Create(0.5f)).AsUInt32();
        var rounded = Vector512.ConditionalSelect(Vector512.LessThan(magnitude, Vector512.Create(HalfRounding.MinNormal)), small, normal);
        rounded = Vector512.ConditionalSelect(Vector512.GreaterThan(rounded, Vector512.Create(HalfRounding.MaxFinite)), Vector512.Create(HalfRounding.Infinity), rounded);
        var result = rounded | (bits & Vector512.Create(0x8000_0000u));
        return Vector512.ConditionalSelect(Vector512.GreaterThan(magnitude, Vector512.Create(HalfRounding.Infinity)), bits, result).AsSingle();
    }
}

/// <summary>256-bit lanes.</summary>
internal readonly struct AttentionLanes256 : IAttentionLanes<Vector256<float>>
{
    public static int Count => Vector256<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Broadcast(float value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(ref float source, nuint offset) => Vector256.LoadUnsafe(ref source, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<float> value, ref float destination, nuint offset) => value.StoreUnsafe(ref destination, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.MultiplyAddEstimate(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Multiply(Vector256<float> a, Vector256<float> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Max(Vector256<float> a, Vector256<float> b) => Vector256.Max(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(Vector256<float> value) =>
        AttentionLanes128.MaxAcross(Vector128.Max(value.GetLower(), value.GetUpper()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SumAcross(Vector256<float> value) => Vector256.Sum(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ExpShifted(Vector256<float> x, Vector256<float> shift) => Vector256.Exp(x - shift);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> RoundToHalf(Vector256<float> x)
    {
        var bits = x.AsUInt32();
        var magnitude = bits & Vector256.Create(0x7FFF_FFFFu);
        var normal = (magnitude + Vector256.Create(0x0FFFu) + ((magnitude >> 13) & Vector256<uint>.One)) & Vector256.Create(0xFFFF_E000u);
        var small = ((magnitude.AsSingle() + Vector256.Create(0.5f)) - Vector256.Create(0.5f)).AsUInt32();
        var rounded = Vector256.ConditionalSelect(Vector256.LessThan(magnitude, Vector256.Create(HalfRounding.MinNormal)), small, normal);
        rounded = Vector256.ConditionalSelect(Vector256.GreaterThan(rounded, Vector256.Create(HalfRounding.MaxFinite)), Vector256.Create(HalfRounding.Infinity), rounded);
        var result = rounded | (bits & Vector256.Create(0x8000_0000u));
        return Vector256.ConditionalSelect(Vector256.GreaterThan(magnitude, Vector256.Create(HalfRounding.Infinity)), bits, result).AsSingle();
    }
}

/// <summary>128-bit lanes: the fallback (correct, if slow, where no vectors are accelerated).</summary>
internal readonly struct AttentionLanes128 : IAttentionLanes<Vector128<float>>
{
    public static int Count => Vector128<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Broadcast(float value) => Vector128.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Load(ref float source, nuint offset) => Vector128.LoadUnsafe(ref source, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<float> value, ref float destination, nuint offset) => value.StoreUnsafe(ref destination, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Vector128.MultiplyAddEstimate(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Multiply(Vector128<float> a, Vector128<float> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Max(Vector128<float> a, Vector128<float> b) => Vector128.Max(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(Vector128<float> value) =>
        MathF.Max(MathF.Max(value.GetElement(0), value.GetElement(1)), MathF.Max(value.GetElement(2), value.GetElement(3)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SumAcross(Vector128<float> value) => Vector128.Sum(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> ExpShifted(Vector128<float> x, Vector128<float> shift) => Vector128.Exp(x - shift);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> RoundToHalf(Vector128<float> x)
    {
        var bits = x.AsUInt32();
        var magnitude = bits & Vector128.Create(0x7FFF_FFFFu);
        var normal = (magnitude + Vector128.Create(0x0FFFu) + ((magnitude >> 13) & Vector128<uint>.One)) & Vector128.Create(0xFFFF_E000u);
        var small = ((magnitude.AsSingle() + Vector128.Create(0.5f)) - Vector128.Create(0.5f)).AsUInt32();
        var rounded = Vector128.ConditionalSelect(Vector128.LessThan(magnitude, Vector128.Create(HalfRounding.MinNormal)), small, normal);
        rounded = Vector128.ConditionalSelect(Vector128.GreaterThan(rounded, Vector128.Create(HalfRounding.MaxFinite)), Vector128.Create(HalfRounding.Infinity), rounded);
        var result = rounded | (bits & Vector128.Create(0x8000_0000u));
        return Vector128.ConditionalSelect(Vector128.GreaterThan(magnitude, Vector128.Create(HalfRounding.Infinity)), bits, result).AsSingle();
    }
}

/// <summary>
/// Bit patterns for rounding a float to binary16 precision in float lanes: below <see cref="MinNormal"/> (2^−14)
/// the step is a fixed 2^−24, which (|x| + ½) − ½ rounds to exactly; above, the low 13 mantissa bits are rounded to
/// nearest even; a result past <see cref="MaxFinite"/> (65504) becomes infinity.
/// </summary>
internal static class HalfRounding
{
    public const uint MinNormal = 0x3880_0000u;

    public const uint MaxFinite = 0x477F_E000u;

    public const uint Infinity = 0x7F80_0000u;
}
