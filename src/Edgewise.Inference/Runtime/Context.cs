using Edgewise.Inference.Model;
using Edgewise.Inference.Runtime.Kernels;

namespace Edgewise.Inference.Runtime;

/// <summary>
/// Mutable decode state over a shared <see cref="LocalModel"/>: a KV cache per sequence, scratch buffers and a
/// logits buffer, all allocated when the context is created. One call at a time (not thread-safe); create one
/// context per concurrent user, or use several sequences of one context sequentially.
/// </summary>
public sealed class Context : IDisposable
{
    private readonly KvCache _cache;
    private readonly ForwardPass _pass;
    private readonly float[] _logits;
    private readonly int[] _sequences;
    private readonly int[] _positions;
    private readonly int[] _logitTokens;
    private DecodeBatch? _decodeBatch;
    private float[]? _decodeLogits;
    private int _busy;
    private bool _disposed;

    internal Context(LocalModel model, ModelWeights weights, ContextOptions options)
    {
        Model = model;
        var hp = model.Hyperparameters;
        ContextLength = options.ContextLength ?? Math.Min(hp.ContextLength, ContextOptions.DefaultMaxContextLength);
        BatchSize = Math.Min(options.BatchSize ?? ContextOptions.DefaultBatchSize, ContextLength);
        MaxLogitRows = options.MaxLogitRows ?? 1;
        KvCacheType = options.KvCacheType ?? KvCacheType.F16;
        var compute = SharedComputePools.Get(options.Threads);
        _cache = new KvCache(KvCacheType, options.SequenceCount ?? 1, hp.BlockCount, ContextLength, hp.KeyValueLength);
        _pass = new ForwardPass(weights, hp, model.Architecture, _cache, compute, BatchSize);
        _logits = new float[checked(MaxLogitRows * hp.VocabSize)];
        _sequences = new int[BatchSize];
        _positions = new int[BatchSize];
        _logitTokens = new int[BatchSize];
    }

    /// <summary>The model.</summary>
    public LocalModel Model { get; }

    /// <summary>Positions per sequence.</summary>
    public int ContextLength { get; }

    /// <summary>Most tokens per forward batch.</summary>
    public int BatchSize { get; }

    /// <summary>Most positions whose logits one call returns.</summary>
    public int MaxLogitRows { get; }

    /// <summary>KV cache storage.</summary>
    public KvCacheType KvCacheType { get; }

    /// <summary>Number of sequences.</summary>
    public int SequenceCount => _cache.Sequences;

    /// <summary>Bytes the KV cache holds (what <see cref="KvCacheSize"/> plans for).</summary>
    internal long KvCacheBytes => _cache.Bytes;

    /// <summary>Logits per position (the vocabulary size).</summary>
    public int VocabSize => Model.Hyperparameters.VocabSize;

    /// <summary>Tokens already in <paramref name="sequence"/>.</summary>
    public int GetSequenceLength(int sequence)
    {
        CheckSequence(sequence);
        return _cache.Length(sequence);
    }

    /// <summary>Positions still free in <paramref name="sequence"/>.</summary>
    public int GetRemainingCapacity(int sequence) => ContextLength - GetSequenceLength(sequence);

    /// <summary>Empties <paramref name="sequence"/> so it can start again at position 0.</summary>
    public void ClearSequence(int sequence)
    {
        CheckSequence(sequence);
        _cache.SetLength(sequence, 0);
    }

    /// <summary>Keeps the first <paramref name="length"/> tokens of <paramref name="sequence"/> and forgets the rest.</summary>
    public void TruncateSequence(int sequence, int length)
    {
        CheckSequence(sequence);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, _cache.Length(sequence));
        _cache.SetLength(sequence, length);
    }

    /// <summary>
    /// Appends <paramref name="tokens"/> to <paramref name="sequence"/> and runs the model over them (in batches of
    /// <see cref="BatchSize"/>). Returns the last token's logits, or with <paramref name="allLogits"/> the logits of
    /// every token, row after row (tokens.Length × <see cref="VocabSize"/>; at most <see cref="MaxLogitRows"/>
    /// rows). The span is valid until the next call.
    /// </summary>
    /// <exception cref="ContextLimitExceededException">The tokens do not fit; nothing was done.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A token id is outside the vocabulary, or the sequence does not exist.</exception>
    public ReadOnlySpan<float> Evaluate(ReadOnlySpan<int> tokens, int sequence = 0, bool allLogits = false)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckSequence(sequence);
        if (tokens.IsEmpty)
        {
            throw new ArgumentException("At least one token is required.", nameof(tokens));
        }

        if (allLogits && tokens.Length > MaxLogitRows)
        {
            throw new ArgumentException("More logit rows were requested than the context was created for.", nameof(allLogits));
        }

        var vocab = VocabSize;
        foreach (var token in tokens)
        {
            if ((uint)token >= (uint)vocab)
            {
                throw new ArgumentOutOfRangeException(nameof(tokens), "A token id is outside the vocabulary.");
            }
        }

        var start = _cache.Length(sequence);
        if ((long)start + tokens.Length > ContextLength)
        {
            throw new ContextLimitExceededException(sequence, start + tokens.Length, ContextLength);
        }

        if (Interlocked.Exchange(ref _busy, 1) != 0)
        {
            throw new InvalidOperationException("The context is already evaluating; a context serves one call at a time.");
        }

        try
        {
            for (var offset = 0; offset < tokens.Length; offset += BatchSize)
            {
                var count = Math.Min(BatchSize, tokens.Length - offset);
                var position = start + offset;
                var last = offset + count == tokens.Length;
                for (var t = 0; t < count; t++)
                {
                    _sequences[t] = sequence;
                    _positions[t] = position + t;
                    _logitTokens[t] = t;
                }

                var logitTokens = allLogits ? _logitTokens.AsSpan(0, count) : last ? _logitTokens.AsSpan(count - 1, 1) : [];
                _pass.Run(tokens.Slice(offset, count), _sequences, _positions, logitTokens, _logits, allLogits ? offset : 0);

                _cache.SetLength(sequence, position + count);
            }
        }
        catch
        {
            _cache.SetLength(sequence, start);
            throw;
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }

        return _logits.AsSpan(0, (allLogits ? tokens.Length : 1) * vocab);
    }

    /// <summary>
    /// Continuous-batching decode step: appends token i of <paramref name="tokens"/> to sequence
    /// <paramref name="sequences"/>[i] (distinct sequences) and runs all of them in one forward pass, so the weights
    /// are read once for the whole step. Returns one row of logits per token, in order (tokens.Length ×
    /// <see cref="VocabSize"/>), valid until the next call. Allocates nothing after the first call.
    /// </summary>
    /// <exception cref="ArgumentException">The spans differ in length, are empty or longer than <see cref="BatchSize"/>, or a sequence repeats.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A token id is outside the vocabulary, or a sequence does not exist.</exception>
    /// <exception cref="ContextLimitExceededException">A sequence is full; nothing was done.</exception>
    public ReadOnlySpan<float> Decode(ReadOnlySpan<int> tokens, ReadOnlySpan<int> sequences)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (tokens.Length != sequences.Length || tokens.IsEmpty || tokens.Length > Math.Min(BatchSize, SequenceCount))
        {
            throw new ArgumentException("Give one token per sequence, at least one and at most the batch size and the sequence count.", nameof(tokens));
        }

        _decodeBatch ??= new DecodeBatch(Math.Min(BatchSize, SequenceCount));
        _decodeLogits ??= new float[checked(_decodeBatch.Tokens.Length * VocabSize)];
        _decodeBatch.Clear();
        for (var i = 0; i < tokens.Length; i++)
        {
            var sequence = sequences[i];
            CheckSequence(sequence);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)tokens[i], (uint)VocabSize, nameof(tokens));
            if (sequences[..i].Contains(sequence))
            {
                throw new ArgumentException("A sequence appears twice in one step.", nameof(sequences));
            }

            var position = _cache.Length(sequence);
            if (position >= ContextLength)
            {
                throw new ContextLimitExceededException(sequence, position + 1, ContextLength);
            }

            _decodeBatch.Add(tokens[i], sequence, position, logits: true);
        }

        EvaluateBatch(_decodeBatch, _decodeLogits);
        return _decodeLogits.AsSpan(0, tokens.Length * VocabSize);
    }

    /// <summary>The KV cache (for the batch scheduler and the prefix cache).</summary>
    internal KvCache Cache => _cache;

    /// <summary>
    /// Runs one mixed batch: token t of <paramref name="batch"/> goes to sequence sequences[t] at position
    /// positions[t]; each sequence's tokens must continue it (the first at its current length, then consecutive).
    /// Writes the logits of the batch's logit tokens, in order, as rows of <paramref name="logits"/>, and extends each
    /// sequence. Not thread-safe with <see cref="Evaluate"/>.
    /// </summary>
    internal void EvaluateBatch(DecodeBatch batch, float[] logits)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (batch.Count == 0)
        {
            return;
        }

        if (Interlocked.Exchange(ref _busy, 1) != 0)
        {
            throw new InvalidOperationException("The context is already evaluating; a context serves one call at a time.");
        }

        try
        {
            _pass.Run(batch.Tokens.AsSpan(0, batch.Count), batch.Sequences, batch.Positions, batch.LogitTokens.AsSpan(0, batch.LogitCount), logits, 0);
            for (var t = 0; t < batch.Count; t++)
            {
                var sequence = batch.Sequences[t];
                _cache.SetLength(sequence, Math.Max(_cache.Length(sequence), batch.Positions[t] + 1));
            }
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _disposed = true;
    }

    private void CheckSequence(int sequence) => ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)sequence, (uint)_cache.Sequences, nameof(sequence));
}
