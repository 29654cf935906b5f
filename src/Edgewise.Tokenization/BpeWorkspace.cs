using System.Text;

namespace Edgewise.Tokenization;

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

    public int[] PairRanks { get; private set; } = new int[256];

    public int[] PairMerged { get; private set; } = new int[256];

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
            PairRanks = new int[needed];
            PairMerged = new int[needed];
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
