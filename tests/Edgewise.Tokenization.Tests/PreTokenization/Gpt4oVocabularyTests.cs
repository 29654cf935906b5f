using System.Text;
using Edgewise.Gguf;

namespace Edgewise.Tokenization.Tests.PreTokenization;

/// <summary>A synthetic <c>gpt-4o</c> vocabulary (256 byte tokens and a few merges) loads and tokenizes word by word.</summary>
public sealed class Gpt4oVocabularyTests
{
    private const int Ca = 256;
    private const int Case = 258;
    private const int Camel = 260;

    [Fact]
    public void FromGguf_Gpt4oPre_LoadsWithoutBos()
    {
        var vocabulary = Vocabulary.FromGguf(Metadata("gpt-4o"));

        Assert.Equal("gpt-4o", vocabulary.PreTokenizerName);
        Assert.False(vocabulary.AddBos);
        Assert.Equal(Camel + 1, vocabulary.Count);
    }

    [Fact]
    public void Encode_Gpt4o_MergesStopAtTheCaseBoundary()
    {
        var tokenizer = Tokenizer.FromGguf(Metadata("gpt-4o"));

        // Unsplit, the rank-0 merge "l C" would join the two words.
        int[] expected = [Ca, 'm', 'e', 'l', Case];
        Assert.Equal(expected, tokenizer.Encode("CamelCase", addSpecial: true, parseSpecial: false));
    }

    [Fact]
    public void Encode_Gpt4o_WordThatIsATokenStillGoesThroughMerges()
    {
        var tokenizer = Tokenizer.FromGguf(Metadata("gpt-4o"));

        // ignore_merges is off for gpt-4o: "Camel" is in the vocabulary but no merge builds it.
        Assert.DoesNotContain(Camel, tokenizer.Encode("Camel", addSpecial: false, parseSpecial: false));
    }

    [Fact]
    public void Decode_Gpt4o_KeepsSpacesBeforePunctuation()
    {
        const string text = "Hi , there . I 'm";
        var gpt4o = Tokenizer.FromGguf(Metadata("gpt-4o"));
        var gpt2 = Tokenizer.FromGguf(Metadata("gpt-2"));

        Assert.Equal(text, gpt4o.Decode(gpt4o.Encode(text, addSpecial: false, parseSpecial: false), renderSpecial: false));
        Assert.NotEqual(text, gpt2.Decode(gpt2.Encode(text, addSpecial: false, parseSpecial: false), renderSpecial: false));
    }

    [Theory]
    [MemberData(nameof(Gpt4oReferenceSplits.Rows), MemberType = typeof(Gpt4oReferenceSplits))]
    public void Encode_Gpt4o_RoundTripsAndEveryWordBoundaryIsATokenBoundary(string text, string[] words)
    {
        var tokenizer = Tokenizer.FromGguf(Metadata("gpt-4o"));

        var ids = tokenizer.Encode(text, addSpecial: true, parseSpecial: false);

        Assert.Equal(text, tokenizer.Decode(ids, renderSpecial: false));
        var tokenEnds = new HashSet<int>();
        var at = 0;
        foreach (var id in ids)
        {
            at += tokenizer.TokenToPiece(id, renderSpecial: false).Length;
            tokenEnds.Add(at);
        }

        at = 0;
        foreach (var word in words)
        {
            at += Encoding.UTF8.GetByteCount(word);
            Assert.Contains(at, tokenEnds);
        }
    }

    /// <summary>Byte tokens 0–255 (id = byte), then Ca, Cas, Case, lC, Camel; merges "l C" (rank 0), "C a", "Ca s", "Cas e".</summary>
    private static GgufMetadata Metadata(string pre)
    {
        var tokens = new List<string>();
        for (var b = 0; b < 256; b++)
        {
            tokens.Add(ByteEncoding.ToChar((byte)b).ToString());
        }

        tokens.AddRange(["Ca", "Cas", "Case", "lC", "Camel"]);
        return VocabularyValidationTests.Bpe([.. tokens], ["l C", "C a", "Ca s", "Cas e"], pre);
    }
}
