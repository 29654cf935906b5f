namespace Edgewise.Inference.Architectures;

/// <summary>How rotary position frequencies are rescaled.</summary>
public enum RopeScalingKind
{
    /// <summary>Plain RoPE: angle = pos · θ^(−2i/d).</summary>
    None,

    /// <summary>Llama 3.x: the <c>rope_freqs</c> tensor holds one divisor per rotated pair, used at every context size.</summary>
    FrequencyFactors,

    /// <summary>
    /// Phi-3.5 / Phi-4-mini LongRoPE: <c>rope_factors_long</c> when the context exceeds
    /// <see cref="RopeScaling.OriginalContextLength"/>, else <c>rope_factors_short</c>; cos and sin are scaled by
    /// <see cref="RopeScaling.AttentionFactor"/>.
    /// </summary>
    LongRope,
}

/// <summary>RoPE scaling parameters of a model.</summary>
/// <param name="Kind">Which scheme applies.</param>
/// <param name="OriginalContextLength">The training context the factors were fitted for (0 when unknown).</param>
/// <param name="AttentionFactor">Multiplier of cos and sin (1 when absent).</param>
public sealed record RopeScaling(RopeScalingKind Kind, int OriginalContextLength, float AttentionFactor)
{
    /// <summary>No scaling.</summary>
    public static RopeScaling None { get; } = new(RopeScalingKind.None, 0, 1f);
}
