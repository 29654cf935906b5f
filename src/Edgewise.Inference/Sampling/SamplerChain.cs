namespace Edgewise.Inference.Sampling;

/// <summary>
/// Samplers applied in order to the logits of one step; the last one (or a final greedy pick when none did)
/// selects the token. <see cref="Accept"/> passes chosen and prompt tokens to every sampler. Not thread-safe:
/// one chain per sequence. The candidates a step works on (three arrays the size of the vocabulary, 1.8 MB for a
/// 152K vocabulary) are allocated at the first <see cref="Sample(ReadOnlySpan{float})"/>; chains that never sample
/// at the same time (a batch scheduler's sequences) share one set through
/// <see cref="Sample(ReadOnlySpan{float}, TokenCandidates)"/>, so a request allocates none.
/// </summary>
public sealed class SamplerChain
{
    private readonly Sampler[] _samplers;
    private readonly int _vocabSize;
    private readonly GreedySampler _fallback = new();
    private TokenCandidates? _candidates;

    /// <summary>Creates a chain over a vocabulary of <paramref name="vocabSize"/> tokens.</summary>
    public SamplerChain(int vocabSize, IEnumerable<Sampler> samplers)
    {
        ArgumentNullException.ThrowIfNull(samplers);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(vocabSize);
        _samplers = [.. samplers];
        _vocabSize = vocabSize;
    }

    /// <summary>The samplers, in order.</summary>
    public IReadOnlyList<Sampler> Samplers => _samplers;

    /// <summary>
    /// Builds the usual chain: logit bias, penalties, then greedy when temperature ≤ 0, else top-k, top-p, min-p,
    /// temperature and a seeded random draw.
    /// </summary>
    public static SamplerChain Create(SamplingOptions options, int vocabSize) => Create(options, vocabSize, null);

    /// <summary>
    /// Builds the usual chain (see <see cref="Create(SamplingOptions, int)"/>) with <paramref name="constraint"/>,
    /// when given, first, so that every later sampler sees only the tokens it allows.
    /// </summary>
    public static SamplerChain Create(SamplingOptions options, int vocabSize, Sampler? constraint)
    {
        ArgumentNullException.ThrowIfNull(options);
        var list = new List<Sampler>();
        if (constraint is not null)
        {
            list.Add(constraint);
        }

        if (options.LogitBias is { Count: > 0 } bias)
        {
            list.Add(new LogitBiasSampler(bias));
        }

        var repetition = options.RepetitionPenalty ?? 1f;
        var frequency = options.FrequencyPenalty ?? 0f;
        var presence = options.PresencePenalty ?? 0f;
        if (repetition != 1f || frequency != 0f || presence != 0f)
        {
            list.Add(new PenaltySampler(options.PenaltyLastN ?? 64, repetition, frequency, presence));
        }

        var temperature = options.Temperature ?? 0.8f;
        if (temperature <= 0)
        {
            list.Add(new GreedySampler());
            return new SamplerChain(vocabSize, list);
        }

        list.Add(new TopKSampler(options.TopK ?? 40));
        list.Add(new TopPSampler(options.TopP ?? 0.95f));
        list.Add(new MinPSampler(options.MinP ?? 0.05f));
        list.Add(new TemperatureSampler(temperature));
        list.Add(new DistributionSampler(options.Seed));
        return new SamplerChain(vocabSize, list);
    }

    /// <summary>Chooses the next token from <paramref name="logits"/> (does not <see cref="Accept"/> it).</summary>
    public int Sample(ReadOnlySpan<float> logits) => Sample(logits, _candidates ??= new TokenCandidates(_vocabSize));

    /// <summary>
    /// Chooses the next token from <paramref name="logits"/> (does not <see cref="Accept"/> it), working in
    /// <paramref name="scratch"/>: candidates for the vocabulary that no other chain uses during this call.
    /// </summary>
    public int Sample(ReadOnlySpan<float> logits, TokenCandidates scratch)
    {
        ArgumentNullException.ThrowIfNull(scratch);
        scratch.Load(logits);
        foreach (var sampler in _samplers)
        {
            sampler.Apply(scratch);
        }

        if (scratch.Selected < 0)
        {
            _fallback.Apply(scratch);
        }

        return scratch.SelectedId;
    }

    /// <summary>Tells every sampler that <paramref name="token"/> is now part of the sequence.</summary>
    public void Accept(int token)
    {
        foreach (var sampler in _samplers)
        {
            sampler.Accept(token);
        }
    }

    /// <summary>Tells every sampler that the prompt tokens <paramref name="tokens"/> were fed.</summary>
    public void AcceptPrompt(ReadOnlySpan<int> tokens)
    {
        foreach (var token in tokens)
        {
            foreach (var sampler in _samplers)
            {
                sampler.AcceptPrompt(token);
            }
        }
    }

    /// <summary>Resets every sampler.</summary>
    public void Reset()
    {
        foreach (var sampler in _samplers)
        {
            sampler.Reset();
        }
    }
}
