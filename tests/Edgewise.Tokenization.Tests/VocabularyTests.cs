namespace Edgewise.Tokenization.Tests;

/// <summary>Special ids, end-of-generation sets and attribute quirks as llama.cpp derives them.</summary>
public sealed class VocabularyTests
{
    [Fact]
    public void FromGguf_Qwen2_EndOfGenerationHasChatAndFimMarkers()
    {
        var vocabulary = ReferenceVocabularies.Vocab("ggml-vocab-qwen2-rebuilt.gguf").Vocabulary;

        Assert.Equal(151_936, vocabulary.Count);
        Assert.Equal(151_387, vocabulary.MergeCount);
        Assert.Equal(VocabularyModel.BytePairEncoding, vocabulary.Model);
        Assert.Equal("qwen2", vocabulary.PreTokenizerName);
        Assert.Equal(151_645, vocabulary.EosId);
        Assert.Equal(151_643, vocabulary.PaddingId);
        Assert.False(vocabulary.AddBos);
        Assert.Equal(-1, vocabulary.UnknownId);
        // "</s>" (128247) is an ordinary BPE token of Qwen's vocabulary, but llama.cpp treats that text as an end too.
        Assert.Equal(
            Ids(vocabulary, "</s>", "<|endoftext|>", "<|im_end|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>"),
            vocabulary.EndOfGenerationIds);
        Assert.Equal(TokenAttributes.Normal | TokenAttributes.Control, vocabulary.GetAttributes(128_247));
        Assert.Equal(Ids(vocabulary, "<|im_end|>")[0], vocabulary.EotId);
        Assert.False(vocabulary.IsEndOfGeneration(Ids(vocabulary, "<|im_start|>")[0]));
    }

    [Fact]
    public void FromGguf_LlamaBpe_EndOfGenerationHasEndOfTextAndEot()
    {
        var vocabulary = ReferenceVocabularies.Vocab("ggml-vocab-llama-bpe-rebuilt.gguf").Vocabulary;

        Assert.Equal(128_000, vocabulary.BosId);
        Assert.True(vocabulary.AddBos);
        Assert.Equal(128_009, vocabulary.EotId);
        Assert.Equal(-1, vocabulary.EomId);
        Assert.Equal([128_001, 128_009], vocabulary.EndOfGenerationIds);
    }

    [Fact]
    public void FromGguf_Phi3Name_ControlTokensStripWhitespaceToTheRight()
    {
        var vocabulary = ReferenceVocabularies.Vocab("ggml-vocab-phi-3.gguf").Vocabulary;

        Assert.True(vocabulary.AddSpacePrefix);
        Assert.Equal(0, vocabulary.UnknownId);
        foreach (var text in (string[])["<|user|>", "<|assistant|>", "<|end|>", "<|system|>", "</s>"])
        {
            Assert.True((vocabulary.GetAttributes(Ids(vocabulary, text)[0]) & TokenAttributes.RStrip) != 0, text);
        }

        foreach (var text in (string[])["<unk>", "<s>", "<|endoftext|>"])
        {
            Assert.Equal(TokenAttributes.None, vocabulary.GetAttributes(Ids(vocabulary, text)[0]) & TokenAttributes.RStrip);
        }

        Assert.Equal(Ids(vocabulary, "</s>", "<|endoftext|>", "<|end|>"), vocabulary.EndOfGenerationIds);
    }

    [Fact]
    public void FromGguf_Phi4Name_NoRStripQuirk()
    {
        var vocabulary = ReferenceVocabularies.Model("ref-phi4-F16.gguf").Vocabulary;

        Assert.Equal(TokenAttributes.None, vocabulary.GetAttributes(Ids(vocabulary, "<|user|>")[0]) & TokenAttributes.RStrip);
    }

    [Fact]
    public void Encode_Phi3AndPhi4ChatPrompt_DifferOnlyInNewlinesAfterMarkers()
    {
        const string prompt = "<|user|>\nHi<|end|>\n<|assistant|>\n";
        var phi3 = ReferenceVocabularies.Vocab("ggml-vocab-phi-3.gguf");
        var phi4 = ReferenceVocabularies.Model("ref-phi4-F16.gguf");

        var three = phi3.Encode(prompt, addSpecial: true, parseSpecial: true);
        var four = phi4.Encode(prompt, addSpecial: true, parseSpecial: true);

        Assert.Equal([1, 32010, 6324, 32007, 32001], three);
        Assert.Equal([1, 32010, 29871, 13, 18567, 32007, 29871, 13, 32001, 29871, 13], four);
    }

    [Fact]
    public void Encode_UserDefinedToken_IsMatchedEvenWithoutParseSpecial()
    {
        var qwen = ReferenceVocabularies.Vocab("ggml-vocab-qwen2-rebuilt.gguf");
        var toolCall = Ids(qwen.Vocabulary, "<tool_call>")[0];

        Assert.Contains(toolCall, qwen.Encode("x<tool_call>y", addSpecial: false, parseSpecial: false));
        Assert.DoesNotContain(Ids(qwen.Vocabulary, "<|im_start|>")[0], qwen.Encode("<|im_start|>", addSpecial: false, parseSpecial: false));
    }

    [Fact]
    public void Encode_LStripToken_RemovesWhitespaceOnItsLeft()
    {
        var metadata = VocabularyValidationTests.Build(
            ("tokenizer.ggml.model", Gguf.GgufValue.String("gpt2")),
            ("tokenizer.ggml.pre", Gguf.GgufValue.String("jina-v2-de")),
            ("tokenizer.ggml.tokens", Gguf.GgufValue.Array(Gguf.GgufValueType.String, new[] { "a", "Ġ", "<mask>", "Ġa" })),
            ("tokenizer.ggml.token_type", Gguf.GgufValue.Array(Gguf.GgufValueType.Int32, new[] { 1, 1, 3, 1 })),
            ("tokenizer.ggml.merges", Gguf.GgufValue.Array(Gguf.GgufValueType.String, new[] { "Ġ a" })));
        var tokenizer = Tokenizer.FromGguf(metadata);

        Assert.Equal([0, 2, 3], tokenizer.Encode("a  <mask> a", addSpecial: false, parseSpecial: true));
        Assert.Equal([0, 1, 1], tokenizer.Encode("a  ", addSpecial: false, parseSpecial: true));
    }

    [Fact]
    public void TokenToPiece_UnusedPadToken_IsEmpty()
    {
        var qwen = ReferenceVocabularies.Vocab("ggml-vocab-qwen2-rebuilt.gguf");

        Assert.Equal(TokenType.Unused, qwen.Vocabulary.GetTokenType(151_900));
        Assert.True(qwen.TokenToPiece(151_900, renderSpecial: true).IsEmpty);
    }

    [Fact]
    public void Decode_ControlToken_RenderedOnlyOnRequest()
    {
        var qwen = ReferenceVocabularies.Vocab("ggml-vocab-qwen2-rebuilt.gguf");
        var ids = qwen.Encode("<|im_start|>user\nHi<|im_end|>", addSpecial: false, parseSpecial: true);

        Assert.Equal("user\nHi", qwen.Decode(ids, renderSpecial: false));
        Assert.Equal("<|im_start|>user\nHi<|im_end|>", qwen.Decode(ids, renderSpecial: true));
        Assert.True(qwen.IsEndOfGeneration(ids[^1]));
    }

    [Fact]
    public void Decode_Gpt2_CleansSpacesBeforePunctuation()
    {
        var gpt2 = ReferenceVocabularies.Vocab("ggml-vocab-gpt-2.gguf");
        var ids = gpt2.Encode("Hello , world ! It 's fine .", addSpecial: false, parseSpecial: false);

        Assert.Equal("Hello, world! It's fine.", gpt2.Decode(ids, renderSpecial: false));
    }

    [Fact]
    public void Encode_EmptyText_OnlySpecialTokens()
    {
        var llama = ReferenceVocabularies.Vocab("ggml-vocab-llama-bpe-rebuilt.gguf");

        Assert.Equal([128_000], llama.Encode(string.Empty, addSpecial: true, parseSpecial: true));
        Assert.Empty(llama.Encode(string.Empty, addSpecial: false, parseSpecial: true));
    }

    [Fact]
    public void Encode_LoneSurrogate_EncodesAsReplacementCharacter()
    {
        var qwen = ReferenceVocabularies.Vocab("ggml-vocab-qwen2-rebuilt.gguf");
        var phi3 = ReferenceVocabularies.Vocab("ggml-vocab-phi-3.gguf");

        Assert.Equal(qwen.Encode("a\uFFFDb", false, false), qwen.Encode("a\uD800b", false, false));
        Assert.Equal(phi3.Encode("a\uFFFDb", false, false), phi3.Encode("a\uDC00b", false, false));
    }

    private static int[] Ids(Vocabulary vocabulary, params string[] texts) =>
        [.. texts.Select(t => vocabulary.TryGetId(t, out var id) ? id : throw new InvalidOperationException(t)).Order()];
}
