using System.Text;

namespace Edgewise.Tokenization;

/// <summary>
/// Turns a stream of generated ids into text without ever emitting a broken character: bytes of an incomplete
/// UTF-8 sequence (e.g. one split across byte-fallback tokens) are held until the sequence completes; an invalid
/// sequence, or one still incomplete at <see cref="Flush"/>, becomes U+FFFD. Not thread-safe: one per sequence.
/// </summary>
public sealed class StreamingDetokenizer
{
    private readonly Tokenizer _tokenizer;
    private readonly bool _renderSpecial;
    private readonly Decoder _decoder = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetDecoder();
    private char[] _chars = new char[64];

    /// <summary>Creates a detokenizer.</summary>
    /// <param name="tokenizer">The tokenizer whose pieces are concatenated.</param>
    /// <param name="renderSpecial">Render control tokens as their text (otherwise they produce nothing).</param>
    public StreamingDetokenizer(Tokenizer tokenizer, bool renderSpecial = false)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        _tokenizer = tokenizer;
        _renderSpecial = renderSpecial;
    }

    /// <summary>Adds one id; returns the text that became complete (possibly empty).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is not in the vocabulary.</exception>
    public string Append(int id) => Decode(_tokenizer.TokenToPiece(id, _renderSpecial), flush: false);

    /// <summary>Ends the stream: returns U+FFFD for bytes of an unfinished character (or empty) and resets.</summary>
    public string Flush() => Decode([], flush: true);

    /// <summary>Discards any held bytes.</summary>
    public void Reset() => _decoder.Reset();

    private string Decode(ReadOnlySpan<byte> bytes, bool flush)
    {
        // Each byte yields at most one char, plus up to three U+FFFD for bytes held from before.
        var needed = bytes.Length + 4;
        if (_chars.Length < needed)
        {
            _chars = new char[Math.Max(needed, _chars.Length * 2)];
        }

        var count = _decoder.GetChars(bytes, _chars, flush);
        return count == 0 ? string.Empty : new string(_chars, 0, count);
    }
}
