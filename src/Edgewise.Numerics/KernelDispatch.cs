using System.Runtime.Intrinsics.X86;
using Edgewise.Numerics.Kernels;

namespace Edgewise.Numerics;

/// <summary>
/// Which matrix kernels this process runs, so that a measured figure can say what it measures: the vector width the
/// CPU and runtime allow, how byte dot products are done, and per weight type and layout the kernel that multiplies one
/// token (decode) and a batch of tokens (a prompt). Reads the same decisions <see cref="MatMul"/> takes.
/// </summary>
public static class KernelDispatch
{
    /// <summary>Widest vectors the kernels use here: 512, 256, 128, or 0 for plain scalar code.</summary>
    public static int VectorBits => SimdSupport.Best switch
    {
        SimdPath.Vector512 => 512,
        SimdPath.Vector256 => 256,
        SimdPath.Vector128 => 128,
        _ => 0,
    };

    /// <summary>The instruction set behind <see cref="VectorBits"/>, e.g. "AVX-512 F/BW", "AVX2", "Vector128".</summary>
    public static string InstructionSet => SimdSupport.Best switch
    {
        SimdPath.Vector512 => "AVX-512 F/BW",
        SimdPath.Vector256 => "AVX2",
        SimdPath.Vector128 => "Vector128",
        _ => "scalar",
    };

    /// <summary>Whether 8-bit dot products use AVX-VNNI's <c>vpdpbusd</c> (256-bit; .NET 10 exposes no 512-bit VNNI).</summary>
    public static bool Vnni => AvxVnni.IsSupported && SimdSupport.Best is SimdPath.Vector256 or SimdPath.Vector512;

    /// <summary>How 8-bit dot products are done: "vpdpbusd (AVX-VNNI)" or "vpmaddubsw + vpmaddwd".</summary>
    public static string ByteDot => Vnni ? "vpdpbusd (AVX-VNNI)" : Avx2.IsSupported ? "vpmaddubsw + vpmaddwd" : "portable";

    /// <summary>One line: width, instruction set and byte dot, e.g. "512-bit AVX-512 F/BW, byte dots vpmaddubsw + vpmaddwd (no AVX-VNNI)".</summary>
    public static string Summary =>
        $"{VectorBits}-bit {InstructionSet}, byte dots {ByteDot}{(Vnni || !Avx2.IsSupported ? string.Empty : " (no AVX-VNNI)")}";

    /// <summary>The kernel that multiplies weights of <paramref name="type"/> in <paramref name="layout"/> by one token.</summary>
    public static string DecodeKernel(TensorType type, WeightLayout layout) => MatMul.KernelName(type, layout, 1, SimdSupport.Best);

    /// <summary>The kernel that multiplies weights of <paramref name="type"/> in <paramref name="layout"/> by a prompt batch (512 tokens; a few tokens may take another, see <see cref="Kernels.RowGroups.MaxTokens"/>).</summary>
    public static string PromptKernel(TensorType type, WeightLayout layout) => MatMul.KernelName(type, layout, 512, SimdSupport.Best);
}
