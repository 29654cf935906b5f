namespace Edgewise.Inference.Sampling;

/// <summary>
/// Repetition, frequency and presence penalties over the last <c>lastN</c> accepted tokens, as llama.cpp applies
/// them: a seen token's logit is divided by the repetition penalty when positive (multiplied when not), then
/// lowered by count · frequency + presence.
/// </summary>
public sealed class PenaltySampler : Sampler
{
    private readonly int[] _window;
    private readonly Dictionary<int, int> _counts = [];
    private int _head;
    private int _filled;

    /// <summary>Creates the sampler.</summary>
    /// <param name="lastN">Window of accepted tokens considered (positive).</param>
    /// <param name="repetition">Repetition penalty; 1 is off.</param>
    /// <param name="frequency">Subtracted per occurrence; 0 is off.</param>
    /// <param name="presence">Subtracted once for any occurrence; 0 is off.</param>
    public PenaltySampler(int lastN, float repetition, float frequency, float presence)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(lastN);
        if (!float.IsFinite(repetition) || repetition <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(repetition));
        }

        if (!float.IsFinite(frequency) || !float.IsFinite(presence))
        {
            throw new ArgumentOutOfRangeException(nameof(frequency));
        }

        _window = new int[lastN];
        Repetition = repetition;
        Frequency = frequency;
        Presence = presence;
    }

    /// <summary>Repetition penalty.</summary>
    public float Repetition { get; }

    /// <summary>Frequency penalty.</summary>
    public float Frequency { get; }

    /// <summary>Presence penalty.</summary>
    public float Presence { get; }

    /// <inheritdoc/>
    public override void Apply(TokenCandidates candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        if (_counts.Count == 0 || (Repetition == 1 && Frequency == 0 && Presence == 0))
        {
            return;
        }

        var ids = candidates.Ids;
        var logits = candidates.Logits;
        for (var i = 0; i < ids.Length; i++)
        {
            if (!_counts.TryGetValue(ids[i], out var count))
            {
                continue;
            }

            var logit = logits[i];
            logit = logit <= 0 ? logit * Repetition : logit / Repetition;
            logits[i] = logit - (count * Frequency) - Presence;
        }
    }

    /// <inheritdoc/>
    public override void Accept(int token)
    {
        if (_filled == _window.Length)
        {
            var evicted = _window[_head];
            if (--_counts[evicted] == 0)
            {
                _counts.Remove(evicted);
            }
        }
        else
        {
            _filled++;
        }

        _window[_head] = token;
        _head = (_head + 1) % _window.Length;
        _counts[token] = _counts.GetValueOrDefault(token) + 1;
    }

    /// <inheritdoc/>
    public override void Reset()
    {
        _counts.Clear();
        _head = 0;
        _filled = 0;
    }
}
