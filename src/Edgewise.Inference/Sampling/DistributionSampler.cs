namespace Edgewise.Inference.Sampling;

/// <summary>
/// Draws one candidate from softmax(logits) with a seeded generator (SplitMix64): the same seed and the same
/// candidates give the same choice on every platform. <see cref="Reset"/> restarts the generator from the seed.
/// </summary>
public sealed class DistributionSampler : Sampler
{
    private ulong _state;

    /// <summary>Creates the sampler; a null seed picks a random one.</summary>
    public DistributionSampler(long? seed = null)
    {
        Seed = seed ?? Random.Shared.NextInt64();
        _state = (ulong)Seed;
    }

    /// <summary>The seed.</summary>
    public long Seed { get; }

    /// <inheritdoc/>
    public override void Apply(TokenCandidates candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        candidates.Softmax();
        var probabilities = candidates.Probabilities;
        var u = NextDouble();
        double cumulative = 0;
        for (var i = 0; i < probabilities.Length; i++)
        {
            cumulative += probabilities[i];
            if (u < cumulative)
            {
                candidates.Selected = i;
                return;
            }
        }

        candidates.Selected = probabilities.Length - 1;
    }

    /// <inheritdoc/>
    public override void Reset() => _state = (ulong)Seed;

    private double NextDouble()
    {
        _state += 0x9E3779B97F4A7C15UL;
        var z = _state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (z >> 11) * (1.0 / (1UL << 53));
    }
}
