namespace Edgewise.Tokenization.PreTokenization;

/// <summary>The o200k ("gpt-4o") splitter.</summary>
internal static partial class Splitters
{
    /// <summary>
    /// The o200k split as llama.cpp runs it. The tokenizer.json pattern uses <c>\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}</c> and
    /// <c>\p{Ll}\p{Lm}\p{Lo}\p{M}</c> for the two halves of a word; llama.cpp replaces them with "a letter that is not
    /// <c>[a-z]</c>" and "a letter that is not <c>[A-Z]</c>" and runs
    /// <c>[^\r\n\p{L}\p{N}]?U*L+C?|[^\r\n\p{L}\p{N}]?U+L*C?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+</c>
    /// (C the ASCII contractions, either case) through <c>std::regex</c> on text where every code point at or above
    /// U+0080 is reduced to its category. So, unlike Hugging Face and tiktoken: only ASCII letters have a case (every
    /// other letter is both upper and lower, so <c>ÜBER</c> splits as <c>Ü</c> <c>BER</c>), and combining marks are not
    /// part of words (they split like punctuation and may lead the next word). This splitter reproduces that exactly,
    /// with the regex engine's leftmost-alternative, greedy-with-backtracking choices worked out in closed form.
    /// </summary>
    public static void Gpt4o(ReadOnlySpan<int> cps, List<int> input, List<int> output)
    {
        var start = 0;
        foreach (var length in input)
        {
            var end = start + length;
            var seg = new Segment(cps, start, end, output);
            var pos = start;
            while (pos < end)
            {
                var c = cps[pos];
                var f = seg.Flags(pos);
                var word = (f & CodepointClass.Letter) != 0
                    ? pos
                    : (f & CodepointClass.Number) == 0 && c != '\r' && c != '\n' && (seg.Flags(pos + 1) & CodepointClass.Letter) != 0
                        ? pos + 1
                        : -1;
                if (word >= 0)
                {
                    pos = seg.Emit(Contraction(ref seg, CasedWordEnd(ref seg, word)));
                    continue;
                }

                if ((f & CodepointClass.Number) != 0)
                {
                    var run = pos;
                    while ((seg.Flags(pos) & CodepointClass.Number) != 0)
                    {
                        pos++;
                        if (pos - run == 3)
                        {
                            seg.Emit(pos);
                            run = pos;
                        }
                    }

                    pos = seg.Emit(pos);
                    continue;
                }

                var lead = c == ' ' ? 1 : 0;
                if (!seg.InRange(pos + lead) || (seg.Flags(pos + lead) & LetterNumberSpace) != 0)
                {
                    lead = 0;
                }

                if ((seg.Flags(pos + lead) & LetterNumberSpace) == 0)
                {
                    pos += lead;
                    while (seg.InRange(pos) && (seg.Flags(pos) & LetterNumberSpace) == 0)
                    {
                        pos++;
                    }

                    while (seg.Codepoint(pos) is '\r' or '\n' or '/')
                    {
                        pos++;
                    }

                    pos = seg.Emit(pos);
                    continue;
                }

                pos = WhitespaceTail(ref seg, pos, end, trackNewlines: true);
            }

            start = end;
        }
    }

    /// <summary>
    /// Where <c>U*L+</c> (else <c>U+L*</c>) ends for a word starting with the letter at <paramref name="pos"/>, U a letter
    /// other than a-z and L a letter other than A-Z. The greedy <c>U*</c> gives back code points until <c>L+</c> can
    /// start: at the end of the U run when an a-z letter follows it, else at its last non-ASCII letter (the only
    /// letters that are both U and L). With neither, the run is ASCII capitals and the second alternative takes it.
    /// </summary>
    private static int CasedWordEnd(ref Segment seg, int pos)
    {
        var upperEnd = pos;
        var lastCaseless = -1;
        while ((seg.Flags(upperEnd) & CodepointClass.Letter) != 0 && seg.Codepoint(upperEnd) is not (>= 'a' and <= 'z'))
        {
            if (seg.Codepoint(upperEnd) >= 0x80)
            {
                lastCaseless = upperEnd;
            }

            upperEnd++;
        }

        if (seg.Codepoint(upperEnd) is >= 'a' and <= 'z')
        {
            var lowerEnd = upperEnd;
            while ((seg.Flags(lowerEnd) & CodepointClass.Letter) != 0 && seg.Codepoint(lowerEnd) is not (>= 'A' and <= 'Z'))
            {
                lowerEnd++;
            }

            return lowerEnd;
        }

        return lastCaseless >= 0 ? lastCaseless + 1 : upperEnd;
    }

    /// <summary>The end of an optional <c>'s|'t|'re|'ve|'m|'ll|'d</c> (ASCII, either case) at <paramref name="pos"/>.</summary>
    private static int Contraction(ref Segment seg, int pos)
    {
        if (seg.Codepoint(pos) != '\'')
        {
            return pos;
        }

        var n = AsciiLower(seg.Codepoint(pos + 1));
        if (n is 's' or 't' or 'm' or 'd')
        {
            return pos + 2;
        }

        var nn = AsciiLower(seg.Codepoint(pos + 2));
        return (n == 'r' && nn == 'e') || (n == 'v' && nn == 'e') || (n == 'l' && nn == 'l') ? pos + 3 : pos;
    }
}
