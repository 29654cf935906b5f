namespace Edgewise.Inference.Runtime;

/// <summary>
/// One sequence run by a <see cref="BatchScheduler"/>: its prompt is prefilled (in chunks, beside other sequences'
/// decode steps), then every step feeds the token <see cref="OnLogits"/> chose. Callbacks run on the scheduler's
/// thread, one at a time; they must not block.
/// </summary>
internal abstract class BatchSequence
{
    private int _cancelled;
    private int _completed;

    protected BatchSequence(int[] prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        if (prompt.Length == 0)
        {
            throw new ArgumentException("The prompt needs at least one token.", nameof(prompt));
        }

        Prompt = prompt;
    }

    /// <summary>Prompt token ids.</summary>
    public int[] Prompt { get; }

    /// <summary>Prompt tokens whose KV entries came from the prefix cache (not evaluated), once admitted.</summary>
    public int ReusedPromptTokens { get; internal set; }

    internal bool IsCancelled => Volatile.Read(ref _cancelled) != 0;

    internal BatchScheduler? Scheduler { get; set; }

    /// <summary>KV slot while admitted, else −1.</summary>
    internal int Slot { get; set; } = -1;

    /// <summary>Tokens in the slot (prompt tokens fed or restored, then generated tokens fed).</summary>
    internal int Fed { get; set; }

    /// <summary>The token to feed next once decoding.</summary>
    internal int Next { get; set; } = -1;

    /// <summary>Whether the prompt is done and every step feeds <see cref="Next"/>.</summary>
    internal bool Decoding { get; set; }

    /// <summary>This step's logit row, or −1.</summary>
    internal int LogitRow { get; set; } = -1;

    /// <summary>Asks the scheduler to drop the sequence before its next step (its <see cref="OnCompleted"/> then gets an <see cref="OperationCanceledException"/>).</summary>
    public void Cancel()
    {
        Volatile.Write(ref _cancelled, 1);
        Scheduler?.Wake();
    }

    /// <summary>
    /// Chooses the next token from the logits after the last fed token. Returns the token to feed next, or −1 to end
    /// the sequence (the scheduler also ends it when its slot is full).
    /// </summary>
    public abstract int OnLogits(ReadOnlySpan<float> logits);

    /// <summary>Called once when the sequence leaves the scheduler: null when it ended normally, else why it stopped.</summary>
    protected abstract void OnCompleted(Exception? error);

    internal void Complete(Exception? error)
    {
        if (Interlocked.Exchange(ref _completed, 1) == 0)
        {
            OnCompleted(error);
        }
    }
}
