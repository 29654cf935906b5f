namespace Edgewise.Inference.Sampling;

/// <summary>
/// One small stateful step of a <see cref="SamplerChain"/>: <see cref="Apply"/> edits the candidates (filters,
/// rescales, or selects one), <see cref="Accept"/> sees every token that was finally chosen (or fed as the prompt),
/// <see cref="Reset"/> forgets that history.
/// </summary>
public abstract class Sampler
{
    /// <summary>Edits <paramref name="candidates"/>.</summary>
    public abstract void Apply(TokenCandidates candidates);

    /// <summary>Records a token that was chosen or fed. Default: nothing.</summary>
    public virtual void Accept(int token)
    {
    }

    /// <summary>
    /// Records a prompt token (fed, not generated). Default: <see cref="Accept"/>, so penalties see the prompt;
    /// constraints, which only judge output, ignore it.
    /// </summary>
    public virtual void AcceptPrompt(int token) => Accept(token);

    /// <summary>Forgets accepted tokens and restores the initial state. Default: nothing.</summary>
    public virtual void Reset()
    {
    }
}
