namespace Edgewise.Inference.Runtime;

/// <summary>
/// Continuous batching over one <see cref="Context"/>: up to <see cref="Context.SequenceCount"/> sequences run at
/// once, each in its own KV slot. Every step is one forward pass over the next token of every decoding sequence plus
/// prompt chunks of joining ones (up to <see cref="Context.BatchSize"/> tokens), so the weights are read once per
/// step for all of them; sequences join and leave between steps and more wait in arrival order. Prompts reuse the
/// KV entries of the <see cref="PrefixCache"/> when given, and fill it as they finish. One background thread runs
/// the steps; a step allocates nothing.
/// </summary>
internal sealed class BatchScheduler : IDisposable
{
    private readonly Context _context;
    private readonly PrefixCache? _prefixes;
    private readonly object _gate = new();
    private readonly Queue<BatchSequence> _waiting = new();
    private readonly BatchSequence?[] _slots;
    private readonly int[][] _history;
    private readonly DecodeBatch _batch;
    private readonly float[] _logits;
    private readonly int _vocab;
    private Thread? _thread;
    private int _active;
    private int _rotation;
    private bool _disposed;

    public BatchScheduler(Context context, PrefixCache? prefixes)
    {
        _context = context;
        _prefixes = prefixes;
        _vocab = context.VocabSize;
        var slots = context.SequenceCount;
        _slots = new BatchSequence?[slots];
        _history = new int[slots][];
        for (var i = 0; i < slots; i++)
        {
            _history[i] = new int[context.ContextLength];
        }

        _batch = new DecodeBatch(context.BatchSize);
        _logits = new float[checked(Math.Min(slots, context.BatchSize) * _vocab)];
    }

    /// <summary>Prompt tokens run through the model (restored prefix tokens are not), for tests and statistics.</summary>
    public long EvaluatedPromptTokens { get; private set; }

    /// <summary>Forward steps run.</summary>
    public long Steps { get; private set; }

    /// <summary>Queues <paramref name="sequence"/>; it starts when a slot is free.</summary>
    /// <exception cref="ContextLimitExceededException">The prompt does not fit in a slot.</exception>
    public void Enqueue(BatchSequence sequence)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        if (sequence.Prompt.Length >= _context.ContextLength)
        {
            throw new ContextLimitExceededException(0, sequence.Prompt.Length + 1, _context.ContextLength);
        }

        foreach (var token in sequence.Prompt)
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)token, (uint)_vocab, nameof(sequence));
        }

        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            sequence.Scheduler = this;
            _waiting.Enqueue(sequence);
            if (_thread is null)
            {
                _thread = new Thread(Loop) { IsBackground = true, Name = "Edgewise batch scheduler" };
                _thread.Start();
            }

            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Wakes the loop (a sequence was cancelled).</summary>
    public void Wake()
    {
        lock (_gate)
        {
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Stops the loop after its current step; sequences still queued or running end with <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        Thread? thread;
        lock (_gate)
        {
            _disposed = true;
            thread = _thread;
            Monitor.PulseAll(_gate);
        }

        if (thread is not null && thread != Thread.CurrentThread)
        {
            thread.Join();
        }

        lock (_gate)
        {
            while (_waiting.TryDequeue(out var waiting))
            {
                waiting.Complete(new ObjectDisposedException(nameof(BatchScheduler)));
            }
        }

        for (var slot = 0; slot < _slots.Length; slot++)
        {
            if (_slots[slot] is not null)
            {
                Finish(slot, new ObjectDisposedException(nameof(BatchScheduler)), keep: false);
            }
        }
    }

    private void Loop()
    {
        while (true)
        {
            lock (_gate)
            {
                while (!_disposed && _waiting.Count == 0 && _active == 0)
                {
                    Monitor.Wait(_gate);
                }

                if (_disposed)
                {
                    return;
                }

                Admit();
            }

            Step();
        }
    }

    /// <summary>Moves waiting sequences into free slots, restoring cached prefixes (under the gate).</summary>
    private void Admit()
    {
        for (var slot = 0; slot < _slots.Length && _waiting.Count > 0; slot++)
        {
            if (_slots[slot] is not null)
            {
                continue;
            }

            BatchSequence? next = null;
            while (next is null && _waiting.TryDequeue(out var candidate))
            {
                if (candidate.IsCancelled)
                {
                    candidate.Complete(new OperationCanceledException());
                }
                else
                {
                    next = candidate;
                }
            }

            if (next is null)
            {
                return;
            }

            _context.ClearSequence(slot);
            var reused = _prefixes?.Restore(next.Prompt, next.Prompt.Length - 1, _context.Cache, slot) ?? 0;
            _context.Cache.SetLength(slot, reused);
            next.Prompt.AsSpan(0, reused).CopyTo(_history[slot]);
            next.ReusedPromptTokens = reused;
            next.Fed = reused;
            next.Decoding = false;
            next.Slot = slot;
            _slots[slot] = next;
            _active++;
        }
    }

    private void Step()
    {
        for (var slot = 0; slot < _slots.Length; slot++)
        {
            if (_slots[slot] is { IsCancelled: true })
            {
                Finish(slot, new OperationCanceledException(), keep: true);
            }
        }

        if (!FillBatch())
        {
            return;
        }

        try
        {
            _context.EvaluateBatch(_batch, _logits);
        }
        catch (Exception error)
        {
            for (var slot = 0; slot < _slots.Length; slot++)
            {
                if (_slots[slot] is not null)
                {
                    Finish(slot, error, keep: false);
                }
            }

            return;
        }

        Steps++;
        for (var slot = 0; slot < _slots.Length; slot++)
        {
            if (_slots[slot] is { LogitRow: >= 0 } sequence)
            {
                Advance(slot, sequence);
            }
        }
    }

    /// <summary>One token per decoding sequence, then prompt chunks in the room left; false when there is nothing to run.</summary>
    private bool FillBatch()
    {
        _batch.Clear();
        var slots = _slots.Length;
        _rotation = (_rotation + 1) % slots;
        for (var i = 0; i < slots; i++)
        {
            var slot = (_rotation + i) % slots;
            if (_slots[slot] is not { } sequence)
            {
                continue;
            }

            sequence.LogitRow = -1;
            if (sequence.Decoding && _batch.Free > 0)
            {
                _history[slot][sequence.Fed] = sequence.Next;
                sequence.LogitRow = _batch.Add(sequence.Next, slot, sequence.Fed, logits: true);
                sequence.Fed++;
            }
        }

        for (var i = 0; i < slots; i++)
        {
            var slot = (_rotation + i) % slots;
            if (_slots[slot] is not { Decoding: false } sequence)
            {
                continue;
            }

            var prompt = sequence.Prompt;
            var take = Math.Min(_batch.Free, prompt.Length - sequence.Fed);
            for (var k = 0; k < take; k++)
            {
                var position = sequence.Fed + k;
                var last = position == prompt.Length - 1;
                _history[slot][position] = prompt[position];
                var row = _batch.Add(prompt[position], slot, position, last);
                if (last)
                {
                    sequence.LogitRow = row;
                }
            }

            sequence.Fed += take;
            EvaluatedPromptTokens += take;
        }

        return _batch.Count > 0;
    }

    private void Advance(int slot, BatchSequence sequence)
    {
        if (!sequence.Decoding)
        {
            sequence.Decoding = true;
            _prefixes?.Store(_history[slot].AsSpan(0, sequence.Fed), _context.Cache, slot);
        }

        int next;
        try
        {
            next = sequence.OnLogits(_logits.AsSpan(sequence.LogitRow * _vocab, _vocab));
        }
        catch (Exception error)
        {
            Finish(slot, error, keep: true);
            return;
        }

        if (next < 0 || (uint)next >= (uint)_vocab || sequence.Fed >= _context.ContextLength)
        {
            Finish(slot, next >= _vocab ? new ArgumentOutOfRangeException(nameof(next), "A token id is outside the vocabulary.") : null, keep: true);
            return;
        }

        sequence.Next = next;
    }

    /// <summary>Frees <paramref name="slot"/>; with <paramref name="keep"/> its KV entries go to the prefix cache first.</summary>
    private void Finish(int slot, Exception? error, bool keep)
    {
        var sequence = _slots[slot]!;
        if (keep)
        {
            _prefixes?.Store(_history[slot].AsSpan(0, _context.Cache.Length(slot)), _context.Cache, slot);
        }

        lock (_gate)
        {
            _slots[slot] = null;
            _active--;
        }

        sequence.Slot = -1;
        sequence.Complete(error);
    }
}
