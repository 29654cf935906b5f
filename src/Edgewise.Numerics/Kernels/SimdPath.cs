using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Edgewise.Numerics.Kernels;

/// <summary>
/// The rungs of the kernel ladder. Production code takes <see cref="SimdSupport.Best"/>; tests force each rung this
/// machine can run and compare it with <see cref="Scalar"/>.
/// </summary>
internal enum SimdPath
{
    /// <summary>Plain C#: the definition every vector path is tested against.</summary>
    Scalar,

    /// <summary>Portable 128-bit vectors (SSE, ARM64 AdvSimd): only cross-platform <see cref="Vector128"/> operations.</summary>
    Vector128,

    /// <summary>256-bit x86 vectors: AVX2 (and AVX-VNNI for byte dot products where the CPU has it).</summary>
    Vector256,

    /// <summary>512-bit x86 vectors: AVX-512 F/BW.</summary>
    Vector512,
}

/// <summary>Which rungs of <see cref="SimdPath"/> this machine runs.</summary>
internal static class SimdSupport
{
    /// <summary>The fastest path this machine runs.</summary>
    public static SimdPath Best { get; } = Detect();

    /// <summary>Every path this machine can run (always including the scalar and portable 128-bit ones).</summary>
    public static IReadOnlyList<SimdPath> Available { get; } = ListAvailable();

    /// <summary>Whether the 256-bit byte dot products use AVX-VNNI's <c>vpdpbusd</c>.</summary>
    public static bool UseVnni256 { get; } = AvxVnni.IsSupported;

    /// <summary>Whether <paramref name="path"/> can run here.</summary>
    public static bool IsSupported(SimdPath path) => path switch
    {
        SimdPath.Scalar or SimdPath.Vector128 => true,
        SimdPath.Vector256 => Avx2.IsSupported && Fma.IsSupported,
        SimdPath.Vector512 => Avx512BW.IsSupported && Avx512F.IsSupported && Vector512.IsHardwareAccelerated,
        _ => false,
    };

    private static SimdPath Detect()
    {
        if (IsSupported(SimdPath.Vector512))
        {
            return SimdPath.Vector512;
        }

        if (IsSupported(SimdPath.Vector256))
        {
            return SimdPath.Vector256;
        }

        return Vector128.IsHardwareAccelerated ? SimdPath.Vector128 : SimdPath.Scalar;
    }

    private static SimdPath[] ListAvailable()
    {
        var list = new List<SimdPath>();
        foreach (var path in Enum.GetValues<SimdPath>())
        {
            if (IsSupported(path))
            {
                list.Add(path);
            }
        }

        return [.. list];
    }
}
