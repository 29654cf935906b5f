namespace Edgewise.Inference.Runtime;

/// <summary>
/// KV entries of token prefixes seen before, kept across requests: a prefix is cut into blocks of
/// <see cref="BlockTokens"/> tokens and each block's K and V (all layers) is saved under its tokens and the block
/// before it, so a new prompt that starts with a cached prefix copies those entries into its slot instead of
/// recomputing them. Exact: an entry is used only when every token of the prefix up to its end matches. Bounded by
/// a byte budget; the least recently used blocks go first, and their entries (token copy, K and V arrays, list node)
/// are reused for the next blocks, so a full cache stores without allocating: a server that sees distinct prompts
/// without end does not leave garbage behind in the oldest generation. Used from the scheduler's thread only, except
/// <see cref="Count"/> and <see cref="Bytes"/>, which any thread may read (metrics).
/// </summary>
internal sealed class PrefixCache
{
    /// <summary>Tokens per block.</summary>
    public const int BlockTokens = 16;

    private readonly long _capacityBytes;
    private readonly long _blockBytes;
    private readonly Dictionary<Key, Entry> _entries = [];
    private readonly LinkedList<Entry> _recent = new();
    private readonly Stack<Entry> _spare = new();
    private long _nextId = 1;
    private int _count;

    /// <param name="cache">The cache whose layout the blocks copy.</param>
    /// <param name="capacityBytes">Most bytes of saved K and V.</param>
    public PrefixCache(KvCache cache, long capacityBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacityBytes);
        _capacityBytes = capacityBytes;
        var element = cache.Type == KvCacheType.F32 ? sizeof(float) : sizeof(ushort);
        _blockBytes = 2L * BlockTokens * cache.PositionValues * element;
    }

    /// <summary>Blocks held.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Bytes of K and V held (the arrays' payload; each block also costs about 250 bytes of bookkeeping).</summary>
    public long Bytes => Count * _blockBytes;

    /// <summary>Most bytes of K and V held: the cache is full when one more block would not fit.</summary>
    public long CapacityBytes => _capacityBytes;

    /// <summary>Bytes of K and V in one block.</summary>
    public long BlockBytes => _blockBytes;

    /// <summary>
    /// Copies the longest cached prefix of <paramref name="tokens"/> (whole blocks, at most
    /// <paramref name="limit"/> tokens) into positions 0 … of <paramref name="slot"/>; returns its length.
    /// </summary>
    public int Restore(ReadOnlySpan<int> tokens, int limit, KvCache cache, int slot)
    {
        var parent = 0L;
        var restored = 0;
        while (restored + BlockTokens <= Math.Min(limit, tokens.Length))
        {
            var block = tokens.Slice(restored, BlockTokens);
            if (!_entries.TryGetValue(new Key(parent, Hash(block)), out var entry) || !block.SequenceEqual(entry.Tokens))
            {
                break;
            }

            cache.CopyIn(slot, restored, BlockTokens, entry.Keys, entry.Values);
            Touch(entry);
            parent = entry.Id;
            restored += BlockTokens;
        }

        return restored;
    }

    /// <summary>Saves the whole blocks of <paramref name="tokens"/> (the first tokens of <paramref name="slot"/>) not cached yet.</summary>
    public void Store(ReadOnlySpan<int> tokens, KvCache cache, int slot)
    {
        if (_blockBytes > _capacityBytes)
        {
            return;
        }

        var parent = 0L;
        for (var at = 0; at + BlockTokens <= tokens.Length; at += BlockTokens)
        {
            var block = tokens.Slice(at, BlockTokens);
            var key = new Key(parent, Hash(block));
            if (_entries.TryGetValue(key, out var entry))
            {
                if (!block.SequenceEqual(entry.Tokens))
                {
                    return;
                }

                Touch(entry);
                parent = entry.Id;
                continue;
            }

            while (Bytes + _blockBytes > _capacityBytes)
            {
                Evict();
            }

            entry = _spare.TryPop(out var spare) ? spare : new Entry(cache.CreateBlock(BlockTokens), cache.CreateBlock(BlockTokens));
            entry.Id = _nextId++;
            entry.Key = key;
            block.CopyTo(entry.Tokens);
            cache.CopyOut(slot, at, BlockTokens, entry.Keys, entry.Values);
            _recent.AddLast(entry.Node);
            _entries.Add(key, entry);
            Volatile.Write(ref _count, _entries.Count);
            parent = entry.Id;
        }
    }

    private static ulong Hash(ReadOnlySpan<int> block)
    {
        var hash = 14695981039346656037UL;
        foreach (var token in block)
        {
            hash = (hash ^ (uint)token) * 1099511628211UL;
        }

        return hash;
    }

    private void Touch(Entry entry)
    {
        _recent.Remove(entry.Node);
        _recent.AddLast(entry.Node);
    }

    private void Evict()
    {
        var oldest = _recent.First!.Value;
        _recent.Remove(oldest.Node);
        _entries.Remove(oldest.Key);
        Volatile.Write(ref _count, _entries.Count);
        _spare.Push(oldest);
    }

    private readonly record struct Key(long Parent, ulong Hash);

    /// <summary>One block; reused for another block once evicted.</summary>
    private sealed class Entry
    {
        public Entry(Array keys, Array values)
        {
            Keys = keys;
            Values = values;
            Node = new LinkedListNode<Entry>(this);
        }

        public long Id { get; set; }

        public Key Key { get; set; }

        public int[] Tokens { get; } = new int[BlockTokens];

        public Array Keys { get; }

        public Array Values { get; }

        public LinkedListNode<Entry> Node { get; }
    }
}
