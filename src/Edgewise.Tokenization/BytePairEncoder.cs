using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Edgewise.Tokenization.PreTokenization;

namespace Edgewise.Tokenization;

/// <summary>
/// Byte-level BPE (llama.cpp's <c>llm_tokenizer_bpe_session</c>): pre-tokenize into words, then merge each word's
/// bytes lowest rank first (ties: leftmost). Merges run on token ids through a rank table keyed by id pairs, so no
/// strings are built per lookup. Word results are cached.
/// </summary>
internal sealed class BytePairEncoder
{
    private const int MaxCachedWords = 1 << 16;
    private const int MaxCachedWordLength = 64;

    /// <summary>Words up to this many bytes merge by scanning pair ranks; longer ones use a priority queue.</summary>
    internal const int ScanMergeLimit = 32;

    private readonly Vocabulary _vocabulary;
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _cacheLookup;
    private int _cacheCount;

    public BytePairEncoder(Vocabulary vocabulary)
    {
        _vocabulary = vocabulary;
        _cacheLookup = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Appends the tokens of <paramref name="text"/> (no special-token parsing) to <paramref name="output"/>.</summary>
    public void Encode(ReadOnlySpan<char> text, List<int> output, BpeWorkspace work)
    {
        if (text.IsEmpty)
        {
            return;
        }

        var count = work.LoadCodepoints(text);
        var cps = work.Codepoints.AsSpan(0, count);
        PreTokenizer.Split(_vocabulary.Pre.Kind, cps, work.Words, work.Scratch);
        var cp = 0;
        foreach (var wordLength in work.Words)
        {
            var charStart = work.CharStarts[cp];
            var chars = text[charStart..work.CharStarts[cp + wordLength]];
            var cacheable = chars.Length <= MaxCachedWordLength;
            if (cacheable && _cacheLookup.TryGetValue(chars, out var cached))
            {
                output.AddRange(cached);
            }
            else
            {
                var before = output.Count;
                EncodeWord(cps.Slice(cp, wordLength), output, work);
                if (cacheable)
                {
                    if (Interlocked.Increment(ref _cacheCount) > MaxCachedWords)
                    {
                        _cache.Clear();
                        Interlocked.Exchange(ref _cacheCount, 0);
                    }

                    _cacheLookup.TryAdd(chars, CollectionsMarshal.AsSpan(output)[before..].ToArray());
                }
            }

            cp += wordLength;
        }
    }

    /// <summary>Encodes one pre-tokenized word; <paramref name="forceQueue"/> selects the queue merge for any length (tests).</summary>
    internal void EncodeWord(ReadOnlySpan<int> word, List<int> output, BpeWorkspace work, bool forceQueue = false)
    {
        var n = work.LoadBytes(word);
        var bytes = work.Bytes;
        if (_vocabulary.Pre.IgnoreMerges && WholeWordToken(bytes.AsSpan(0, n), work) is var whole and >= 0)
        {
            output.Add(whole);
            return;
        }

        var ids = work.Ids;
        var lengths = work.Lengths;
        var prev = work.Prev;
        var next = work.Next;
        var byteTokens = _vocabulary.ByteTokens;
        for (var i = 0; i < n; i++)
        {
            ids[i] = byteTokens[bytes[i]];
            lengths[i] = 1;
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }

        if (n <= ScanMergeLimit && !forceQueue)
        {
            MergeByScan(n, work);
        }
        else
        {
            MergeByQueue(n, work);
        }

        var offset = 0;
        for (var i = 0; i >= 0 && i < n; i = next[i])
        {
            if (ids[i] >= 0)
            {
                output.Add(ids[i]);
            }
            else
            {
                // llama.cpp falls back to single-byte tokens; only a printable ASCII byte can be one.
                for (var b = offset; b < offset + lengths[i]; b++)
                {
                    if (bytes[b] is >= 0x21 and <= 0x7E && byteTokens[bytes[b]] >= 0)
                    {
                        output.Add(byteTokens[bytes[b]]);
                    }
                }
            }

            offset += lengths[i];
        }
    }

    /// <summary>Lowest rank first, ties leftmost: a scan over the cached rank of each adjacent pair.</summary>
    internal void MergeByScan(int n, BpeWorkspace work)
    {
        var ids = work.Ids;
        var lengths = work.Lengths;
        var prev = work.Prev;
        var next = work.Next;
        var ranks = work.PairRanks;
        var merged = work.PairMerged;
        for (var i = 0; i + 1 < n; i++)
        {
            PairRank(ids[i], ids[i + 1], out ranks[i], out merged[i]);
        }

        if (n > 0)
        {
            ranks[n - 1] = int.MaxValue;
        }

        while (true)
        {
            var best = -1;
            var bestRank = int.MaxValue;
            for (var i = 0; i >= 0; i = next[i])
            {
                if (ranks[i] < bestRank)
                {
                    bestRank = ranks[i];
                    best = i;
                }
            }

            if (best < 0)
            {
                return;
            }

            var right = next[best];
            ids[best] = merged[best];
            lengths[best] += lengths[right];
            lengths[right] = 0;
            next[best] = next[right];
            if (next[right] >= 0)
            {
                prev[next[right]] = best;
                PairRank(ids[best], ids[next[best]], out ranks[best], out merged[best]);
            }
            else
            {
                ranks[best] = int.MaxValue;
            }

            if (prev[best] >= 0)
            {
                PairRank(ids[prev[best]], ids[best], out ranks[prev[best]], out merged[prev[best]]);
            }
        }
    }

    /// <summary>The same merge order with llama.cpp's priority queue of candidate pairs, for long words.</summary>
    internal void MergeByQueue(int n, BpeWorkspace work)
    {
        var ids = work.Ids;
        var lengths = work.Lengths;
        var prev = work.Prev;
        var next = work.Next;
        var queue = work.Queue;
        queue.Clear();
        for (var i = 1; i < n; i++)
        {
            AddBigram(queue, ids, lengths, i - 1, i);
        }

        while (queue.TryDequeue(out var bigram, out _))
        {
            var (left, right, size, mergedId) = bigram;
            if (lengths[left] == 0 || lengths[right] == 0 || lengths[left] + lengths[right] != size)
            {
                continue;
            }

            ids[left] = mergedId;
            lengths[left] = size;
            lengths[right] = 0;
            next[left] = next[right];
            if (next[right] >= 0)
            {
                prev[next[right]] = left;
            }

            if (prev[left] >= 0)
            {
                AddBigram(queue, ids, lengths, prev[left], left);
            }

            if (next[left] >= 0)
            {
                AddBigram(queue, ids, lengths, left, next[left]);
            }
        }
    }

    private void PairRank(int leftId, int rightId, out int rank, out int merged)
    {
        if (leftId < 0 || rightId < 0 || !_vocabulary.Merges.TryGet(leftId, rightId, out rank, out merged))
        {
            rank = int.MaxValue;
            merged = -1;
        }
    }

    private void AddBigram(PriorityQueue<(int, int, int, int), long> queue, int[] ids, int[] lengths, int left, int right)
    {
        if (ids[left] < 0 || ids[right] < 0)
        {
            return;
        }

        if (_vocabulary.Merges.TryGet(ids[left], ids[right], out var rank, out var merged))
        {
            queue.Enqueue((left, right, lengths[left] + lengths[right], merged), ((long)rank << 32) | (uint)left);
        }
    }

    private int WholeWordToken(ReadOnlySpan<byte> bytes, BpeWorkspace work)
    {
        var chars = work.EncodedChars(bytes.Length);
        for (var i = 0; i < bytes.Length; i++)
        {
            chars[i] = ByteEncoding.ToChar(bytes[i]);
        }

        return _vocabulary.TryGetId(chars.AsSpan(0, bytes.Length), out var id) ? id : -1;
    }
}
