using System.Text;

namespace Edgewise.Tokenization;

/// <summary>
/// The bytes each token renders to (llama.cpp's token-to-piece cache, built with special tokens rendered), stored
/// in one buffer, and detokenization on top of it.
/// </summary>
internal sealed class TokenPieces
{
    private const TokenAttributes Special = TokenAttributes.Unknown | TokenAttributes.Control;

    private readonly Vocabulary _vocabulary;
    private readonly byte[] _bytes;
    private readonly int[] _offsets;

    public TokenPieces(Vocabulary vocabulary)
    {
        _vocabulary = vocabulary;
        var n = vocabulary.Count;
        _offsets = new int[n + 1];
        var buffer = new List<byte>(n * 6);
        Span<byte> scratch = stackalloc byte[4];
        for (var id = 0; id < n; id++)
        {
            _offsets[id] = buffer.Count;
            AppendPiece(id, buffer, scratch);
        }

        _offsets[n] = buffer.Count;
        _bytes = [.. buffer];
    }

    /// <summary>The bytes of <paramref name="id"/>; control and unknown tokens are empty unless <paramref name="renderSpecial"/>.</summary>
    public ReadOnlySpan<byte> Get(int id, bool renderSpecial)
    {
        if (!renderSpecial && (_vocabulary.AttributesUnchecked(id) & Special) != 0)
        {
            return [];
        }

        return _bytes.AsSpan(_offsets[id], _offsets[id + 1] - _offsets[id]);
    }

    /// <summary>
    /// llama.cpp's <c>llama_detokenize</c> with <c>remove_special = false</c>: concatenated pieces, the first one
    /// without its leading space when the vocabulary adds a space prefix, then <c>clean_spaces</c> where the
    /// pre-tokenizer asks for it. Invalid UTF-8 becomes U+FFFD.
    /// </summary>
    public string Detokenize(ReadOnlySpan<int> ids, bool renderSpecial)
    {
        var text = new List<byte>(ids.Length * 4);
        var removeSpace = _vocabulary.AddSpacePrefix;
        foreach (var id in ids)
        {
            var piece = Get(id, renderSpecial);
            if (removeSpace && piece.Length > 0 && piece[0] == (byte)' ')
            {
                piece = piece[1..];
            }

            removeSpace = false;
            foreach (var b in piece)
            {
                text.Add(b);
            }
        }

        var bytes = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(text);
        var total = bytes.Length;
        if (_vocabulary.Pre.CleanSpaces && _vocabulary.Model == VocabularyModel.BytePairEncoding)
        {
            total = CleanSpaces(bytes);
        }

        return Encoding.UTF8.GetString(bytes[..total]);
    }

    private void AppendPiece(int id, List<byte> buffer, Span<byte> scratch)
    {
        var attributes = _vocabulary.AttributesUnchecked(id);
        var text = _vocabulary.TextUnchecked(id);
        if ((attributes & (Special | TokenAttributes.UserDefined)) != 0)
        {
            buffer.AddRange(Encoding.UTF8.GetBytes(text));
        }
        else if ((attributes & TokenAttributes.Normal) != 0)
        {
            if (_vocabulary.Model == VocabularyModel.SentencePiece)
            {
                buffer.AddRange(Encoding.UTF8.GetBytes(text.Replace('\u2581', ' ')));
            }
            else
            {
                AppendByteLevel(text, buffer, scratch);
            }
        }
        else if ((attributes & TokenAttributes.Byte) != 0)
        {
            buffer.Add((byte)((HexValue(text[3]) << 4) | HexValue(text[4])));
        }
    }

    /// <summary>Maps each character back to its byte; an unmapped one renders as llama.cpp's <c>[UNK_BYTE_0x…]</c> marker.</summary>
    private static void AppendByteLevel(string text, List<byte> buffer, Span<byte> scratch)
    {
        foreach (var rune in text.EnumerateRunes())
        {
            var b = ByteEncoding.ToByte(rune.Value);
            if (b >= 0)
            {
                buffer.Add((byte)b);
                continue;
            }

            buffer.AddRange("[UNK_BYTE_0x"u8);
            var count = rune.EncodeToUtf8(scratch);
            for (var i = 0; i < count; i++)
            {
                buffer.AddRange(Encoding.ASCII.GetBytes(scratch[i].ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
            }

            buffer.AddRange(Encoding.UTF8.GetBytes(text));
            buffer.Add((byte)']');
        }
    }

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

    /// <summary>llama.cpp's three <c>clean_spaces</c> passes, in place; returns the new length.</summary>
    private static int CleanSpaces(Span<byte> text)
    {
        var total1 = text.Length;
        var total = total1 > 0 ? 1 : 0;
        for (var i = 1; i < total1; i++)
        {
            var x = text[i];
            if (text[i - 1] == ' ' && x is (byte)'?' or (byte)'!' or (byte)'.' or (byte)',')
            {
                total--;
            }

            text[total++] = x;
        }

        var total2 = total;
        total = total2 > 0 ? 1 : 0;
        for (var i = 1; i < total2; i++)
        {
            var x = text[i];
            if (x == '\'' && i + 1 < total2 && text[i - 1] == ' ' && text[i + 1] == ' ')
            {
                total--;
                text[++i] = 0;
            }

            text[total++] = x;
        }

        var total3 = total;
        total = total3 > 0 ? 1 : 0;
        for (var i = 1; i < total3; i++)
        {
            var x = text[i];
            if (text[i - 1] == ' ' && x == '\'' && i + 1 < total3)
            {
                var x1 = text[i + 1];
                if (x1 is (byte)'s' or (byte)'m')
                {
                    total--;
                }
                else if (x1 is not ((byte)'t' or (byte)'d') && i + 2 < total3)
                {
                    var x2 = text[i + 2];
                    if ((x1 == 'r' && x2 == 'e') || (x1 == 'v' && x2 == 'e'))
                    {
                        total--;
                    }
                }
            }

            text[total++] = x;
        }

        return total;
    }
}
