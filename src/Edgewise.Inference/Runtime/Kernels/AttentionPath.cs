namespace Edgewise.Inference.Runtime.Kernels;

/// <summary>The vector width the blocked attention kernel runs with.</summary>
internal enum AttentionPath
{
    /// <summary>128-bit vectors: the fallback.</summary>
    Vector128,

    /// <summary>256-bit vectors (AVX2 class).</summary>
    Vector256,

    /// <summary>512-bit vectors, only where they are accelerated.</summary>
    Vector512,
}
