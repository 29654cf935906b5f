using System.Text;

namespace Edgewise.Tokenization;

/// <summary>
/// SentencePiece-style BPE over token scores (llama.cpp's <c>llm_tokenizer_spm_session</c>): spaces become <c>▁</c>,
/// adjacent symbols whose concatenation is a token merge highest score first (ties: leftmost), and symbols that are
/// not tokens fall back to <c>&lt;0xHH&gt;</c> byte tokens.
/// </summary>
internal sealed class SentencePieceEncoder(Vocabulary vocabulary)
{
    private const char SpaceMarker = '\u2581';

    private static readonly IComparer<(float Score, int Left)> s_priority = Comparer<(float Score, int Left)>.Create(
        static (a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Left.CompareTo(b.Left));

    /// <summary>Appends the tokens of <paramref name="text"/>, with a leading space when <paramref name="prefixSpace"/>.</summary>
    public void Encode(ReadOnlySpan<char> text, bool prefixSpace, List<int> output)
    {
        var length = text.Length + (prefixSpace ? 1 : 0);
        if (length == 0)
        {
            return;
        }

        var buffer = new char[length];
        var at = 0;
        if (prefixSpace)
        {
            buffer[at++] = SpaceMarker;
        }

        foreach (var c in text)
        {
            buffer[at++] = c == ' ' ? SpaceMarker : c;
        }

        for (var i = 0; i < length; i++)
        {
            if (char.IsHighSurrogate(buffer[i]) && i + 1 < length && char.IsLowSurrogate(buffer[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(buffer[i]))
            {
                buffer[i] = '\uFFFD';
            }
        }

        var starts = new int[length];
        var lengths = new int[length];
        var prev = new int[length];
        var next = new int[length];
        var n = 0;
        for (var i = 0; i < length; n++)
        {
            var width = char.IsHighSurrogate(buffer[i]) && i + 1 < length && char.IsLowSurrogate(buffer[i + 1]) ? 2 : 1;
            starts[n] = i;
            lengths[n] = width;
            prev[n] = n - 1;
            i += width;
            next[n] = i < length ? n + 1 : -1;
        }

        var queue = new PriorityQueue<(int Left, int Right, int Size), (float Score, int Left)>(s_priority);
        for (var i = 1; i < n; i++)
        {
            TryAddBigram(queue, buffer, starts, lengths, i - 1, i);
        }

        while (queue.TryDequeue(out var bigram, out _))
        {
            var (left, right, size) = bigram;
            if (lengths[left] == 0 || lengths[right] == 0 || lengths[left] + lengths[right] != size)
            {
                continue;
            }

            lengths[left] = size;
            lengths[right] = 0;
            next[left] = next[right];
            if (next[right] >= 0)
            {
                prev[next[right]] = left;
            }

            if (prev[left] >= 0)
            {
                TryAddBigram(queue, buffer, starts, lengths, prev[left], left);
            }

            if (next[left] >= 0)
            {
                TryAddBigram(queue, buffer, starts, lengths, left, next[left]);
            }
        }

        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i >= 0; i = next[i])
        {
            var symbol = buffer.AsSpan(starts[i], lengths[i]);
            if (vocabulary.TryGetId(symbol, out var id))
            {
                output.Add(id);
                continue;
            }

            // Only single code points are left unmatched (merged symbols are tokens by construction).
            Rune.DecodeFromUtf16(symbol, out var rune, out _);
            var count = rune.EncodeToUtf8(utf8);
            for (var b = 0; b < count; b++)
            {
                var byteToken = vocabulary.ByteTokens[utf8[b]];
                if (byteToken >= 0)
                {
                    output.Add(byteToken);
                }
                else if (vocabulary.UnknownId >= 0)
                {
                    output.Add(vocabulary.UnknownId);
                }
            }
        }
    }

    private void TryAddBigram(
        PriorityQueue<(int Left, int Right, int Size), (float Score, int Left)> queue, char[] buffer, int[] starts, int[] lengths, int left, int right)
    {
        var size = lengths[left] + lengths[right];
        if (vocabulary.TryGetId(buffer.AsSpan(starts[left], size), out var id))
        {
            queue.Enqueue((left, right, size), (vocabulary.ScoreUnchecked(id), left));
        }
    }
}
