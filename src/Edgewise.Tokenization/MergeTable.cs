namespace Edgewise.Tokenization;

/// <summary>
/// BPE merge ranks keyed by a pair of token ids: an open-addressing hash table (linear probing, power-of-two
/// capacity, multiplicative hashing). A plain <c>Dictionary&lt;long, …&gt;</c> hashes <c>(a &lt;&lt; 32) | b</c> to
/// <c>a ^ b</c>, which collides badly for token-id pairs.
/// </summary>
internal sealed class MergeTable
{
    private const long Empty = -1;

    private readonly long[] _keys;
    private readonly int[] _ranks;
    private readonly int[] _merged;
    private readonly int _shift;

    public MergeTable(int capacityHint)
    {
        var capacity = 16;
        while (capacity < capacityHint * 2)
        {
            capacity <<= 1;
        }

        _keys = new long[capacity];
        Array.Fill(_keys, Empty);
        _ranks = new int[capacity];
        _merged = new int[capacity];
        _shift = 64 - System.Numerics.BitOperations.Log2((uint)capacity);
    }

    /// <summary>Number of merges stored.</summary>
    public int Count { get; private set; }

    /// <summary>Adds the merge of <paramref name="left"/> and <paramref name="right"/> unless the pair is present (first rank wins).</summary>
    public bool TryAdd(int left, int right, int rank, int merged)
    {
        var key = Key(left, right);
        var slot = Find(key);
        if (_keys[slot] == key)
        {
            return false;
        }

        _keys[slot] = key;
        _ranks[slot] = rank;
        _merged[slot] = merged;
        Count++;
        return true;
    }

    /// <summary>The rank of merging <paramref name="left"/> with <paramref name="right"/> and the resulting id (−1 when it is no token).</summary>
    public bool TryGet(int left, int right, out int rank, out int merged)
    {
        var key = Key(left, right);
        var slot = Find(key);
        if (_keys[slot] == key)
        {
            rank = _ranks[slot];
            merged = _merged[slot];
            return true;
        }

        rank = int.MaxValue;
        merged = -1;
        return false;
    }

    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    private int Find(long key)
    {
        var mask = _keys.Length - 1;
        var slot = (int)((ulong)key * 0x9E3779B97F4A7C15UL >> _shift);
        while (_keys[slot] != Empty && _keys[slot] != key)
        {
            slot = (slot + 1) & mask;
        }

        return slot;
    }
}
