namespace Edgewise.Inference.Runtime;

/// <summary>
/// Thrown by <see cref="Context.Evaluate"/> before any work when the tokens would not fit in the sequence's context.
/// The sequence is left unchanged.
/// </summary>
public sealed class ContextLimitExceededException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="sequence">The sequence.</param>
    /// <param name="required">Positions the sequence would need.</param>
    /// <param name="contextLength">Positions it has.</param>
    public ContextLimitExceededException(int sequence, int required, int contextLength)
        : base("The tokens do not fit in the context.")
    {
        Sequence = sequence;
        Required = required;
        ContextLength = contextLength;
    }

    /// <summary>Creates the exception.</summary>
    public ContextLimitExceededException()
        : base("The tokens do not fit in the context.")
    {
    }

    /// <summary>Creates the exception.</summary>
    public ContextLimitExceededException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ContextLimitExceededException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The sequence that was full.</summary>
    public int Sequence { get; }

    /// <summary>Positions the sequence would have needed.</summary>
    public int Required { get; }

    /// <summary>Positions per sequence.</summary>
    public int ContextLength { get; }
}
