using Edgewise.Inference.Sampling;

namespace Edgewise.Inference.Constraints;

/// <summary>
/// Constrained decoding as a <see cref="Sampler"/>: <see cref="Apply"/> removes every candidate whose bytes would
/// break the <see cref="Constraint"/> (end-of-generation only once the output is complete), <see cref="Accept"/>
/// advances the incremental parser by the chosen token's bytes. Put it first in the chain so later samplers see
/// only valid tokens. Prompt tokens are not output and are ignored. A lazy constraint (<see cref="Constraint.Trigger"/>)
/// leaves free text alone until the trigger text appears. Not thread-safe: one per sequence.
/// </summary>
public sealed class ConstraintSampler : Sampler
{
    private readonly TokenIndex _index;
    private readonly TokenMasker _masker;
    private readonly ulong[] _allowed;
    private readonly byte[]? _trigger;
    private readonly List<byte> _recent = [];
    private List<ParseStack> _states = [];
    private List<ParseStack> _next = [];

    internal ConstraintSampler(Constraint constraint, TokenIndex index)
    {
        Constraint = constraint;
        _index = index;
        _masker = new TokenMasker(index);
        _allowed = new ulong[(index.VocabSize + 63) / 64];
        _trigger = constraint.Trigger is { } trigger ? System.Text.Encoding.UTF8.GetBytes(trigger) : null;
        Reset();
    }

    /// <summary>The constraint enforced.</summary>
    public Constraint Constraint { get; }

    /// <summary>True while the constraint masks tokens (always, unless it is lazy and its trigger has not appeared).</summary>
    public bool IsActive { get; private set; }

    /// <summary>True when the output so far is a complete value (end-of-generation is allowed).</summary>
    public bool IsComplete
    {
        get
        {
            if (!IsActive)
            {
                return false;
            }

            foreach (var s in _states)
            {
                if (s.CanFinish)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>
    /// True when a token the constraint did not allow was accepted (only possible when another sampler ran before
    /// this one, or when a lazy trigger was followed by invalid text in the same token); the sampler then stops masking.
    /// </summary>
    public bool IsFailed { get; private set; }

    /// <inheritdoc/>
    public override void Apply(TokenCandidates candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        if (!IsActive || IsFailed)
        {
            return;
        }

        _masker.Compute(_states, _allowed);
        if (Array.TrueForAll(_allowed, w => w == 0))
        {
            // A dead end cannot happen for supported schemas; end the output rather than write invalid text.
            foreach (var id in _index.EndOfGeneration)
            {
                _allowed[id >> 6] |= 1UL << (id & 63);
            }
        }

        candidates.Keep(_allowed);
    }

    /// <summary>
    /// Writes into <paramref name="allowed"/> (one bit per token id, cleared first) the tokens the constraint
    /// allows now; all bits are set while the constraint is inactive.
    /// </summary>
    /// <returns>True when end-of-generation tokens are allowed.</returns>
    public bool ComputeAllowed(Span<ulong> allowed)
    {
        if (allowed.Length < _allowed.Length)
        {
            throw new ArgumentException("The span needs one bit per token id.", nameof(allowed));
        }

        if (!IsActive || IsFailed)
        {
            allowed.Fill(ulong.MaxValue);
            return true;
        }

        var finish = _masker.Compute(_states, _allowed);
        _allowed.AsSpan().CopyTo(allowed);
        return finish;
    }

    /// <inheritdoc/>
    public override void Accept(int token)
    {
        if (IsFailed || (uint)token >= (uint)_index.VocabSize || Array.IndexOf(_index.EndOfGeneration, token) >= 0)
        {
            return;
        }

        var piece = _index.Piece(token);
        var start = 0;
        if (!IsActive)
        {
            start = FindTrigger(piece);
            if (start < 0)
            {
                return;
            }

            IsActive = true;
            _states = [Constraint.Start()];
            Feed(_trigger);
        }

        Feed(piece.AsSpan(start));
    }

    /// <summary>Prompt tokens are not part of the output: ignored.</summary>
    public override void AcceptPrompt(int token)
    {
    }

    /// <inheritdoc/>
    public override void Reset()
    {
        _recent.Clear();
        IsFailed = false;
        IsActive = _trigger is null;
        _states = IsActive ? [Constraint.Start()] : [];
    }

    private int FindTrigger(byte[] piece)
    {
        for (var i = 0; i < piece.Length; i++)
        {
            _recent.Add(piece[i]);
            if (_recent.Count > _trigger!.Length)
            {
                _recent.RemoveAt(0);
            }

            if (_recent.Count == _trigger.Length && _recent.SequenceEqual(_trigger))
            {
                return i + 1;
            }
        }

        return -1;
    }

    private void Feed(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            ParseStack.Feed(_states, b, _next);
            if (_next.Count == 0)
            {
                IsFailed = true;
                return;
            }

            (_states, _next) = (_next, _states);
        }
    }
}
