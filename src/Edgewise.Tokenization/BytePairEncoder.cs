using System.Collections.Concurrent;
using System.Text;
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

                    _cacheLookup.TryAdd(chars, output.GetRange(before, output.Count - before).ToArray());
                }
            }

            cp += wordLength;
        }
    }

    private void EncodeWord(ReadOnlySpan<int> word, List<int> output, BpeWorkspace work)
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

        var queue = work.Queue;
        queue.Clear();
        for (var i = 1; i < n; i++)
        {
            AddBigram(queue, ids, lengths, i - 1, i);
        }

        while (queue.TryDequeue(out var bigram, out _))
        {
            var (left, right, size, merged) = bigram;
            if (lengths[left] == 0 || lengths[right] == 0 || lengths[left] + lengths[right] != size)
            {
                continue;
            }

            ids[left] = merged;
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

    private void AddBigram(PriorityQueue<(int, int, int, int), long> queue, int[] ids, int[] lengths, int left, int right)
    {
        if (ids[left] < 0 || ids[right] < 0)
        {
            return;
        }

        if (_vocabulary.Merges.TryGetValue(((long)ids[left] << 32) | (uint)ids[right], out var packed))
        {
            var rank = (int)(packed >> 32);
            queue.Enqueue((left, right, lengths[left] + lengths[right], (int)packed), ((long)rank << 32) | (uint)left);
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

/// <summary>Reusable buffers for one encoding call.</summary>
internal sealed class BpeWorkspace
{
    public int[] Codepoints { get; private set; } = new int[256];

    public int[] CharStarts { get; private set; } = new int[257];

    public List<int> Words { get; } = [];

    public List<int> Scratch { get; } = [];

    public byte[] Bytes { get; private set; } = new byte[256];

    public int[] Ids { get; private set; } = new int[256];

    public int[] Lengths { get; private set; } = new int[256];

    public int[] Prev { get; private set; } = new int[256];

    public int[] Next { get; private set; } = new int[256];

    public PriorityQueue<(int, int, int, int), long> Queue { get; } = new();

    private char[] _encoded = new char[256];

    /// <summary>Decodes UTF-16 into code points (unpaired surrogates become U+FFFD) and records each one's char offset.</summary>
    public int LoadCodepoints(ReadOnlySpan<char> text)
    {
        if (Codepoints.Length < text.Length)
        {
            Codepoints = new int[text.Length];
            CharStarts = new int[text.Length + 1];
        }

        var n = 0;
        var i = 0;
        while (i < text.Length)
        {
            CharStarts[n] = i;
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                Codepoints[n++] = char.ConvertToUtf32(c, text[i + 1]);
                i += 2;
            }
            else
            {
                Codepoints[n++] = char.IsSurrogate(c) ? 0xFFFD : c;
                i++;
            }
        }

        CharStarts[n] = i;
        return n;
    }

    /// <summary>UTF-8 encodes <paramref name="word"/> into <see cref="Bytes"/> and sizes the symbol arrays; returns the byte count.</summary>
    public int LoadBytes(ReadOnlySpan<int> word)
    {
        var needed = word.Length * 4;
        if (Bytes.Length < needed)
        {
            Bytes = new byte[needed];
            Ids = new int[needed];
            Lengths = new int[needed];
            Prev = new int[needed];
            Next = new int[needed];
        }

        var n = 0;
        foreach (var cp in word)
        {
            n += new Rune(cp).EncodeToUtf8(Bytes.AsSpan(n));
        }

        return n;
    }

    public char[] EncodedChars(int length)
    {
        if (_encoded.Length < length)
        {
            _encoded = new char[length];
        }

        return _encoded;
    }
}
