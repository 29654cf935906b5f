using Edgewise.Gguf;

namespace Edgewise.Tokenization.Tests;

/// <summary>
/// Fill-in-the-middle ids: stated ones (<c>tokenizer.ggml.fim_*_token_id</c>) replace llama.cpp's text detection,
/// pad / repo / file-separator end generation, and text detection still applies when the file says nothing.
/// </summary>
public sealed class FimTokenTests
{
    private const int FimPadText = 256;
    private const int FileSepText = 257;
    private const int FimPrefixText = 258;
    private const int PlainX = 259;
    private const int PlainY = 260;

    [Fact]
    public void FromGguf_NoFimKeys_DetectsFimPadAndFileSepByTextAsControlEndOfGeneration()
    {
        var vocabulary = Vocabulary.FromGguf(Metadata());

        Assert.True(vocabulary.IsEndOfGeneration(FimPadText));
        Assert.True(vocabulary.IsEndOfGeneration(FileSepText));
        Assert.False(vocabulary.IsEndOfGeneration(FimPrefixText));
        Assert.True(vocabulary.GetAttributes(FimPrefixText).HasFlag(TokenAttributes.Control));
    }

    [Theory]
    [InlineData(GgufKeys.Tokenizer.FimPadId)]
    [InlineData(GgufKeys.Tokenizer.FimRepoId)]
    [InlineData(GgufKeys.Tokenizer.FimSeparatorId)]
    public void FromGguf_StatedEndingFimId_IsEndOfGenerationWithoutBecomingControl(string key)
    {
        var vocabulary = Vocabulary.FromGguf(Metadata((key, GgufValue.UInt32(PlainX))));

        Assert.True(vocabulary.IsEndOfGeneration(PlainX));
        Assert.Equal(TokenAttributes.Normal, vocabulary.GetAttributes(PlainX));
    }

    [Fact]
    public void FromGguf_StatedFimIds_ReplaceTextDetection()
    {
        var vocabulary = Vocabulary.FromGguf(Metadata(
            (GgufKeys.Tokenizer.FimPadId, GgufValue.UInt32(PlainX)),
            (GgufKeys.Tokenizer.FimSeparatorId, GgufValue.UInt32(PlainY)),
            (GgufKeys.Tokenizer.LegacyPrefixId, GgufValue.UInt32(PlainX))));

        Assert.False(vocabulary.IsEndOfGeneration(FimPadText));
        Assert.False(vocabulary.IsEndOfGeneration(FileSepText));
        Assert.Equal(TokenAttributes.Normal, vocabulary.GetAttributes(FimPadText));
        Assert.Equal(TokenAttributes.Normal, vocabulary.GetAttributes(FimPrefixText));
        Assert.True(vocabulary.IsEndOfGeneration(PlainY));
    }

    [Theory]
    [InlineData(GgufKeys.Tokenizer.FimPadId)]
    [InlineData(GgufKeys.Tokenizer.FimPrefixId)]
    [InlineData(GgufKeys.Tokenizer.LegacyMiddleId)]
    public void FromGguf_FimIdOutOfRange_RejectsWithSpecialIdCode(string key)
    {
        var error = Assert.Throws<InvalidModelFileException>(() => Vocabulary.FromGguf(Metadata((key, GgufValue.UInt32(PlainY + 1)))));

        Assert.Equal(VocabErrorCodes.SpecialId, error.Code);
    }

    /// <summary>256 byte tokens, then &lt;|fim_pad|&gt;, &lt;|file_sep|&gt;, &lt;|fim_prefix|&gt;, Xx and Yy, all normal.</summary>
    private static GgufMetadata Metadata(params (string Key, GgufValue Value)[] extra)
    {
        var tokens = new List<string>();
        for (var b = 0; b < 256; b++)
        {
            tokens.Add(ByteEncoding.ToChar((byte)b).ToString());
        }

        tokens.AddRange(["<|fim_pad|>", "<|file_sep|>", "<|fim_prefix|>", "Xx", "Yy"]);
        var types = new int[tokens.Count];
        Array.Fill(types, 1);
        var entries = new List<(string, GgufValue)>
        {
            ("tokenizer.ggml.model", GgufValue.String("gpt2")),
            ("tokenizer.ggml.pre", GgufValue.String("gpt-4o")),
            ("tokenizer.ggml.tokens", GgufValue.Array(GgufValueType.String, tokens.ToArray())),
            ("tokenizer.ggml.token_type", GgufValue.Array(GgufValueType.Int32, types)),
            ("tokenizer.ggml.merges", GgufValue.Array(GgufValueType.String, Array.Empty<string>())),
        };
        entries.AddRange(extra);
        return VocabularyValidationTests.Build([.. entries]);
    }
}
