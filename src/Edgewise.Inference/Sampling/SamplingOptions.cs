namespace Edgewise.Inference.Sampling;

/// <summary>
/// Settings for <see cref="SamplerChain.Create(SamplingOptions, int)"/>. A null property means the documented default (llama.cpp's
/// defaults). Temperature ≤ 0 means greedy decoding.
/// </summary>
public sealed record SamplingOptions
{
    /// <summary>Temperature; default 0.8. ≤ 0 selects the most likely token.</summary>
    public float? Temperature { get; init; }

    /// <summary>Top-k; default 40; ≤ 0 disables.</summary>
    public int? TopK { get; init; }

    /// <summary>Top-p (nucleus); default 0.95; 1 disables.</summary>
    public float? TopP { get; init; }

    /// <summary>Min-p; default 0.05; 0 disables.</summary>
    public float? MinP { get; init; }

    /// <summary>Repetition penalty; default 1 (off).</summary>
    public float? RepetitionPenalty { get; init; }

    /// <summary>Frequency penalty; default 0 (off).</summary>
    public float? FrequencyPenalty { get; init; }

    /// <summary>Presence penalty; default 0 (off).</summary>
    public float? PresencePenalty { get; init; }

    /// <summary>Tokens the penalties look back over; default 64.</summary>
    public int? PenaltyLastN { get; init; }

    /// <summary>Bias added to the logits of token ids; default none.</summary>
    public IReadOnlyDictionary<int, float>? LogitBias { get; init; }

    /// <summary>Seed of the random draw; default random. Same seed and input give the same output.</summary>
    public long? Seed { get; init; }
}
