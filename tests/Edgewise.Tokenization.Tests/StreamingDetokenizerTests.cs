using System.Text;

namespace Edgewise.Tokenization.Tests;

/// <summary>H17: streamed output never contains a broken character, whatever bytes the model emits.</summary>
public sealed class StreamingDetokenizerTests
{
    private static Tokenizer Phi3 => ReferenceVocabularies.Vocab("ggml-vocab-phi-3.gguf");

    [Fact]
    public void H17_Append_ThreeByteCharacterSplitAcrossByteTokens_HoldsBytesUntilComplete()
    {
        var stream = new StreamingDetokenizer(Phi3);

        Assert.Equal(string.Empty, stream.Append(ByteToken(0xE2)));
        Assert.Equal(string.Empty, stream.Append(ByteToken(0x82)));
        Assert.Equal("€", stream.Append(ByteToken(0xAC)));
        Assert.Equal(string.Empty, stream.Flush());
    }

    [Fact]
    public void H17_Append_FourByteEmojiSplitAcrossByteTokens_EmitsWholeSurrogatePair()
    {
        var stream = new StreamingDetokenizer(Phi3);
        var text = new StringBuilder();

        foreach (var b in "😀"u8.ToArray())
        {
            text.Append(stream.Append(ByteToken(b)));
            Assert.False(text.Length == 1, "Half of a surrogate pair was emitted.");
        }

        Assert.Equal("😀", text.ToString());
    }

    [Fact]
    public void H17_Flush_IncompleteSequence_EmitsReplacementCharacter()
    {
        var stream = new StreamingDetokenizer(Phi3);
        stream.Append(ByteToken(0xE4));
        stream.Append(ByteToken(0xB8));

        Assert.Equal("\uFFFD", stream.Flush());
        Assert.Equal(" a", stream.Append(Phi3.Encode("a", addSpecial: false, parseSpecial: false)[^1]));
    }

    [Fact]
    public void H17_Append_InvalidLeadByte_EmitsReplacementAndContinues()
    {
        var stream = new StreamingDetokenizer(Phi3);

        Assert.Equal("\uFFFD", stream.Append(ByteToken(0xFF)));
        Assert.Equal("\uFFFD", stream.Append(ByteToken(0x80)));
    }

    [Fact]
    public void H17_Append_TruncatedSequenceFollowedByText_EmitsReplacementThenText()
    {
        var stream = new StreamingDetokenizer(Phi3);
        var hello = Phi3.Encode("Hello", addSpecial: false, parseSpecial: false);

        Assert.Equal(string.Empty, stream.Append(ByteToken(0xE2)));
        var text = new StringBuilder();
        foreach (var id in hello)
        {
            text.Append(stream.Append(id));
        }

        Assert.Equal("\uFFFD Hello", text.ToString());
    }

    [Fact]
    public void H17_Append_RandomByteTokens_MatchesWholeDecodeAndNeverSplitsSurrogates()
    {
        var random = new Random(17);
        var stream = new StreamingDetokenizer(Phi3);
        var bytes = new List<byte>();
        var text = new StringBuilder();
        for (var i = 0; i < 5000; i++)
        {
            // Mostly well-formed continuation patterns, with arbitrary bytes mixed in.
            var b = (byte)(random.Next(4) == 0 ? random.Next(256) : random.Next(3) switch { 0 => 0xE4, 1 => 0xF0, _ => 0x80 + random.Next(64) });
            bytes.Add(b);
            var piece = stream.Append(ByteToken(b));
            Assert.True(IsWellFormed(piece));
            text.Append(piece);
        }

        text.Append(stream.Flush());

        Assert.Equal(Encoding.UTF8.GetString([.. bytes]), text.ToString());
    }

    [Fact]
    public void Append_ControlToken_RendersOnlyWhenAsked()
    {
        var end = IdOf(Phi3, "<|end|>");

        Assert.Equal(string.Empty, new StreamingDetokenizer(Phi3).Append(end));
        Assert.Equal("<|end|>", new StreamingDetokenizer(Phi3, renderSpecial: true).Append(end));
    }

    [Fact]
    public void Reset_HeldBytes_AreDiscarded()
    {
        var stream = new StreamingDetokenizer(Phi3);
        stream.Append(ByteToken(0xE2));

        stream.Reset();

        Assert.Equal(string.Empty, stream.Flush());
    }

    [Fact]
    public void Append_QwenTokensOfMixedText_ReassemblesText()
    {
        var qwen = ReferenceVocabularies.Vocab("ggml-vocab-qwen2-rebuilt.gguf");
        const string text = "naïve café 你好世界 🦙🚀 done";
        var stream = new StreamingDetokenizer(qwen);
        var output = new StringBuilder();

        foreach (var id in qwen.Encode(text, addSpecial: false, parseSpecial: false))
        {
            var piece = stream.Append(id);
            Assert.True(IsWellFormed(piece));
            output.Append(piece);
        }

        Assert.Equal(text, output.Append(stream.Flush()).ToString());
    }

    private static int ByteToken(byte b) => IdOf(Phi3, $"<0x{b:X2}>");

    private static int IdOf(Tokenizer tokenizer, string text) =>
        tokenizer.Vocabulary.TryGetId(text, out var id) ? id : throw new InvalidOperationException(text);

    private static bool IsWellFormed(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(s[i]))
            {
                return false;
            }
        }

        return true;
    }
}
