namespace Edgewise.Tokenization.PreTokenization;

/// <summary>
/// Hand-written equivalents of the pre-tokenizer regular expressions llama.cpp uses, with its exact behaviour
/// (including where its custom splitters differ from a regex engine). Each splitter refines a list of segment
/// lengths (in code points) into a finer one; text is never copied.
/// </summary>
internal static partial class Splitters
{
    private const CodepointClass LetterNumberSpace = CodepointClass.Letter | CodepointClass.Number | CodepointClass.Whitespace;

    /// <summary><c>'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+</c> (GPT-2).</summary>
    public static void Gpt2(ReadOnlySpan<int> cps, List<int> input, List<int> output)
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
                if (c == '\'' && pos + 1 < end)
                {
                    var n = cps[pos + 1];
                    if (n is 's' or 't' or 'm' or 'd')
                    {
                        pos = seg.Emit(pos + 2);
                        continue;
                    }

                    if (pos + 2 < end)
                    {
                        var nn = cps[pos + 2];
                        if ((n == 'r' && nn == 'e') || (n == 'v' && nn == 'e') || (n == 'l' && nn == 'l'))
                        {
                            pos = seg.Emit(pos + 3);
                            continue;
                        }
                    }
                }

                var lead = c == ' ' ? 1 : 0;
                var f2 = seg.Flags(pos + lead);
                if ((f2 & CodepointClass.Letter) != 0)
                {
                    pos += lead;
                    while ((seg.Flags(pos) & CodepointClass.Letter) != 0)
                    {
                        pos++;
                    }

                    pos = seg.Emit(pos);
                    continue;
                }

                if ((f2 & CodepointClass.Number) != 0)
                {
                    pos += lead;
                    while ((seg.Flags(pos) & CodepointClass.Number) != 0)
                    {
                        pos++;
                    }

                    pos = seg.Emit(pos);
                    continue;
                }

                if ((f2 & LetterNumberSpace) == 0 && seg.InRange(pos + lead))
                {
                    pos += lead;
                    while (seg.InRange(pos) && (seg.Flags(pos) & LetterNumberSpace) == 0)
                    {
                        pos++;
                    }

                    pos = seg.Emit(pos);
                    continue;
                }

                pos = WhitespaceTail(ref seg, pos, end, trackNewlines: false);
            }

            start = end;
        }
    }

    /// <summary>
    /// <c>(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,k}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+</c>:
    /// Llama 3 with <paramref name="maxDigits"/> = 3, Qwen2 with 1.
    /// </summary>
    public static void Llama3(ReadOnlySpan<int> cps, List<int> input, List<int> output, int maxDigits)
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
                if (c == '\'' && pos + 1 < end)
                {
                    var n = AsciiLower(cps[pos + 1]);
                    if (n is 's' or 't' or 'm' or 'd')
                    {
                        pos = seg.Emit(pos + 2);
                        continue;
                    }

                    if (pos + 2 < end)
                    {
                        var nn = AsciiLower(cps[pos + 2]);
                        if ((n == 'r' && nn == 'e') || (n == 'v' && nn == 'e') || (n == 'l' && nn == 'l'))
                        {
                            pos = seg.Emit(pos + 3);
                            continue;
                        }
                    }
                }

                if (c != '\r' && c != '\n' && (f & CodepointClass.Number) == 0
                    && ((f & CodepointClass.Letter) != 0 || (seg.Flags(pos + 1) & CodepointClass.Letter) != 0))
                {
                    pos++;
                    while ((seg.Flags(pos) & CodepointClass.Letter) != 0)
                    {
                        pos++;
                    }

                    pos = seg.Emit(pos);
                    continue;
                }

                if ((f & CodepointClass.Number) != 0)
                {
                    var run = pos;
                    while ((seg.Flags(pos) & CodepointClass.Number) != 0)
                    {
                        pos++;
                        if (pos - run >= maxDigits)
                        {
                            seg.Emit(pos);
                            run = pos;
                        }
                    }

                    pos = seg.Emit(pos);
                    continue;
                }

                var lead = c == ' ' ? 1 : 0;
                if ((seg.Flags(pos + lead) & LetterNumberSpace) == 0)
                {
                    pos += lead;
                    while (seg.InRange(pos) && (seg.Flags(pos) & LetterNumberSpace) == 0)
                    {
                        pos++;
                    }

                    while (seg.InRange(pos) && cps[pos] is '\r' or '\n')
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

    /// <summary>A regex that isolates every match of one code point class: <c>\p{N}</c> (single) or <c>\p{N}+</c> (runs).</summary>
    public static void Isolate(ReadOnlySpan<int> cps, List<int> input, List<int> output, Func<int, bool> matches, bool runs)
    {
        var start = 0;
        foreach (var length in input)
        {
            var end = start + length;
            var seg = new Segment(cps, start, end, output);
            var pos = start;
            while (pos < end)
            {
                if (!matches(cps[pos]))
                {
                    pos++;
                    continue;
                }

                seg.Emit(pos);
                pos++;
                while (runs && pos < end && matches(cps[pos]))
                {
                    pos++;
                }

                seg.Emit(pos);
            }

            seg.Emit(end);
            start = end;
        }
    }

    /// <summary><c>[0-9][0-9][0-9]</c>: isolates groups of three ASCII digits, leftmost first.</summary>
    public static void AsciiDigitTriples(ReadOnlySpan<int> cps, List<int> input, List<int> output)
    {
        var start = 0;
        foreach (var length in input)
        {
            var end = start + length;
            var seg = new Segment(cps, start, end, output);
            var pos = start;
            while (pos + 3 <= end)
            {
                if (IsAsciiDigit(cps[pos]) && IsAsciiDigit(cps[pos + 1]) && IsAsciiDigit(cps[pos + 2]))
                {
                    seg.Emit(pos);
                    pos += 3;
                    seg.Emit(pos);
                }
                else
                {
                    pos++;
                }
            }

            seg.Emit(end);
            start = end;
        }
    }

    /// <summary>A number as <c>\p{N}</c> sees it.</summary>
    public static bool IsNumber(int cp) => (CodepointFlags.Get(cp) & CodepointClass.Number) != 0;

    /// <summary>The class <c>[\p{P}\$\+&lt;=&gt;\^~\|]</c> of llama.cpp's default pre-tokenizer (ASCII as listed, else P*).</summary>
    public static bool IsDefaultPunctuation(int cp) => cp < 128
        ? cp is (>= '!' and <= '/' ) or (>= ':' and <= '@') or (>= '[' and <= '_') or (>= '{' and <= '~')
        : (CodepointFlags.Get(cp) & (CodepointClass.Punctuation | CodepointClass.Whitespace)) == CodepointClass.Punctuation;

    private static bool IsAsciiDigit(int cp) => (uint)(cp - '0') <= 9;

    private static int AsciiLower(int cp) => cp is >= 'A' and <= 'Z' ? cp + 32 : cp;

    private static int WhitespaceTail(ref Segment seg, int pos, int end, bool trackNewlines)
    {
        var count = 0;
        var lastNewlineEnd = -1;
        while ((seg.Flags(pos + count) & CodepointClass.Whitespace) != 0)
        {
            if (trackNewlines && seg.Codepoint(pos + count) is '\r' or '\n')
            {
                lastNewlineEnd = pos + count + 1;
            }

            count++;
        }

        if (lastNewlineEnd >= 0)
        {
            return seg.Emit(lastNewlineEnd);
        }

        if (count > 1 && pos + count < end)
        {
            return seg.Emit(pos + count - 1);
        }

        return count > 0 ? seg.Emit(pos + count) : seg.Emit(pos + 1);
    }

    /// <summary>One segment being split: bounds-checked access and emission of pieces.</summary>
    private ref struct Segment
    {
        private readonly ReadOnlySpan<int> _cps;
        private readonly int _start;
        private readonly int _end;
        private readonly List<int> _output;
        private int _previousEnd;

        public Segment(ReadOnlySpan<int> cps, int start, int end, List<int> output)
        {
            _cps = cps;
            _start = start;
            _end = end;
            _output = output;
            _previousEnd = start;
        }

        public readonly bool InRange(int pos) => pos >= _start && pos < _end;

        public readonly int Codepoint(int pos) => InRange(pos) ? _cps[pos] : -1;

        public readonly CodepointClass Flags(int pos) => InRange(pos) ? CodepointFlags.Get(_cps[pos]) : CodepointClass.None;

        /// <summary>Ends the current piece at <paramref name="pieceEnd"/> (nothing when empty); returns <paramref name="pieceEnd"/>.</summary>
        public int Emit(int pieceEnd)
        {
            if (pieceEnd > _previousEnd)
            {
                _output.Add(pieceEnd - _previousEnd);
            }

            _previousEnd = pieceEnd;
            return pieceEnd;
        }
    }
}
