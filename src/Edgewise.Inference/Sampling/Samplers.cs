namespace Edgewise.Inference.Sampling;

/// <summary>Selects the largest logit (ties: the smaller id).</summary>
public sealed class GreedySampler : Sampler
{
    /// <inheritdoc/>
    public override void Apply(TokenCandidates candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        var logits = candidates.Logits;
        var ids = candidates.Ids;
        var best = 0;
        for (var i = 1; i < logits.Length; i++)
        {
            if (logits[i] > logits[best] || (logits[i] == logits[best] && ids[i] < ids[best]))
            {
                best = i;
            }
        }

        candidates.Selected = best;
    }
}

/// <summary>Divides every logit by the temperature; at temperature ≤ 0 keeps only the best candidate.</summary>
/// <param name="temperature">The temperature.</param>
public sealed class TemperatureSampler(float temperature) : Sampler
{
    /// <summary>The temperature.</summary>
    public float Temperature { get; } = float.IsFinite(temperature) ? temperature : throw new ArgumentOutOfRangeException(nameof(temperature));

    /// <inheritdoc/>
    public override void Apply(TokenCandidates candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        if (Temperature <= 0)
        {
            candidates.KeepTop(1);
            return;
        }

        var logits = candidates.Logits;
        for (var i = 0; i < logits.Length; i++)
        {
            logits[i] /= Temperature;
        }
    }
}

/// <summary>Keeps the <c>k</c> largest candidates; k ≤ 0 keeps all.</summary>
/// <param name="k">How many to keep.</param>
public sealed class TopKSampler(int k) : Sampler
{
    /// <summary>How many to keep.</summary>
    public int K { get; } = k;

    /// <inheritdoc/>
    public override void Apply(TokenCandidates candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        if (K > 0)
        {
            candidates.KeepTop(K);
        }
    }
}

/// <summary>Nucleus sampling: keeps the smallest set of best candidates whose probabilities sum to at least p (at least one).</summary>
/// <param name="p">The mass to keep, in (0, 1]; 1 keeps all.</param>
public sealed class TopPSampler(float p) : Sampler
{
    /// <summary>The mass to keep.</summary>
    public float P { get; } = p is > 0 and <= 1 ? p : throw new ArgumentOutOfRangeException(nameof(p));

    /// <inheritdoc/>
    public override void Apply(TokenCandidates candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        if (P >= 1)
        {
            return;
        }

        candidates.Sort();
        candidates.Softmax();
        var probabilities = candidates.Probabilities;
        double sum = 0;
        for (var i = 0; i < probabilities.Length; i++)
        {
            sum += probabilities[i];
            if (sum >= P)
            {
                candidates.Truncate(i + 1);
                return;
            }
        }
    }
}

/// <summary>Keeps candidates whose probability is at least p times the best one's.</summary>
/// <param name="p">The ratio, in [0, 1]; 0 keeps all.</param>
public sealed class MinPSampler(float p) : Sampler
{
    /// <summary>The ratio.</summary>
    public float P { get; } = p is >= 0 and <= 1 ? p : throw new ArgumentOutOfRangeException(nameof(p));

    /// <inheritdoc/>
    public override void Apply(TokenCandidates candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        if (P <= 0)
        {
            return;
        }

        // p_i ≥ P · p_max  ⇔  logit_i ≥ logit_max + ln P.
        candidates.Sort();
        var logits = candidates.Logits;
        var threshold = logits[0] + MathF.Log(P);
        var keep = 1;
        while (keep < logits.Length && logits[keep] >= threshold)
        {
            keep++;
        }

        candidates.Truncate(keep);
    }
}

/// <summary>Adds a fixed bias to the logits of chosen ids (−∞ bans a token).</summary>
/// <param name="bias">Bias by token id.</param>
public sealed class LogitBiasSampler(IReadOnlyDictionary<int, float> bias) : Sampler
{
    private readonly IReadOnlyDictionary<int, float> _bias = bias ?? throw new ArgumentNullException(nameof(bias));

    /// <inheritdoc/>
    public override void Apply(TokenCandidates candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        if (_bias.Count == 0)
        {
            return;
        }

        var ids = candidates.Ids;
        var logits = candidates.Logits;
        for (var i = 0; i < ids.Length; i++)
        {
            if (_bias.TryGetValue(ids[i], out var b))
            {
                logits[i] += b;
            }
        }
    }
}
