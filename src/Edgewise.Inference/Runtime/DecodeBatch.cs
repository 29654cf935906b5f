namespace Edgewise.Inference.Runtime;

/// <summary>
/// The tokens of one forward step over several sequences: token t goes to sequence <see cref="Sequences"/>[t] at
/// position <see cref="Positions"/>[t]; <see cref="LogitTokens"/> lists the batch indices whose logits are wanted.
/// Allocated once for a capacity and refilled every step.
/// </summary>
internal sealed class DecodeBatch
{
    public DecodeBatch(int capacity)
    {
        Tokens = new int[capacity];
        Sequences = new int[capacity];
        Positions = new int[capacity];
        LogitTokens = new int[capacity];
    }

    public int[] Tokens { get; }

    public int[] Sequences { get; }

    public int[] Positions { get; }

    public int[] LogitTokens { get; }

    /// <summary>Tokens in the batch.</summary>
    public int Count { get; private set; }

    /// <summary>Entries of <see cref="LogitTokens"/> in use.</summary>
    public int LogitCount { get; private set; }

    /// <summary>Room left.</summary>
    public int Free => Tokens.Length - Count;

    public void Clear()
    {
        Count = 0;
        LogitCount = 0;
    }

    /// <summary>Adds a token; with <paramref name="logits"/> its logits are wanted. Returns its logit row, or −1.</summary>
    public int Add(int token, int sequence, int position, bool logits)
    {
        Tokens[Count] = token;
        Sequences[Count] = sequence;
        Positions[Count] = position;
        if (!logits)
        {
            Count++;
            return -1;
        }

        LogitTokens[LogitCount] = Count++;
        return LogitCount++;
    }
}
