using Edgewise.Gguf;

namespace Edgewise.Tokenization.Tests;

/// <summary>Hostile tokenizer metadata (docs/security.md G31–G34, M09) is rejected with a <c>vocab.*</c> code.</summary>
public sealed class VocabularyValidationTests
{
    [Fact]
    public void G31_FromGguf_EmptyTokenArray_RejectsWithTokensCode()
    {
        var metadata = Spm(tokens: []);

        AssertRejected(metadata, VocabErrorCodes.Tokens);
    }

    [Fact]
    public void G31_FromGguf_MoreThanFourMiTokens_RejectsWithTokensCode()
    {
        var tokens = new string[Vocabulary.MaxTokens + 1];
        Array.Fill(tokens, "a");

        AssertRejected(Bpe(tokens: tokens, merges: []), VocabErrorCodes.Tokens);
    }

    [Fact]
    public void G31_FromGguf_TokensNotStrings_RejectsWithTokensCode()
    {
        var metadata = Build(("tokenizer.ggml.model", GgufValue.String("gpt2")),
            ("tokenizer.ggml.tokens", GgufValue.Array(GgufValueType.Int32, new[] { 1, 2, 3 })),
            ("tokenizer.ggml.merges", GgufValue.Array(GgufValueType.String, Array.Empty<string>())));

        AssertRejected(metadata, VocabErrorCodes.Tokens);
    }

    [Fact]
    public void G32_FromGguf_ScoresTypedUInt8_RejectsWithScoresCode()
    {
        var tokens = SpmTokens();
        var metadata = Spm(tokens, scores: GgufValue.Array(GgufValueType.UInt8, new byte[tokens.Length]));

        AssertRejected(metadata, VocabErrorCodes.Scores);
    }

    [Fact]
    public void G32_FromGguf_ScoresShorterThanTokens_RejectsWithScoresCode()
    {
        var tokens = SpmTokens();
        var metadata = Spm(tokens, scores: GgufValue.Array(GgufValueType.Float32, new float[tokens.Length - 1]));

        AssertRejected(metadata, VocabErrorCodes.Scores);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1)]
    public void G32_FromGguf_TokenTypeLengthDiffers_RejectsWithTokenTypeCode(int delta)
    {
        var tokens = SpmTokens();
        var types = new int[tokens.Length + delta];
        Array.Fill(types, 1);

        AssertRejected(Spm(tokens, types: types), VocabErrorCodes.TokenTypes);
    }

    [Fact]
    public void G32_FromGguf_TokenTypesNotIntegers_RejectsWithTokenTypeCode()
    {
        var tokens = SpmTokens();
        var metadata = Spm(tokens, typeValue: GgufValue.Array(GgufValueType.String, tokens));

        AssertRejected(metadata, VocabErrorCodes.TokenTypes);
    }

    [Theory]
    [InlineData("tokenizer.ggml.bos_token_id")]
    [InlineData("tokenizer.ggml.eos_token_id")]
    [InlineData("tokenizer.ggml.padding_token_id")]
    [InlineData("tokenizer.ggml.unknown_token_id")]
    public void G33_FromGguf_SpecialIdMinusOne_RejectsWithSpecialIdCode(string key)
    {
        AssertRejected(Spm(SpmTokens(), extra: (key, GgufValue.Int32(-1))), VocabErrorCodes.SpecialId);
    }

    [Theory]
    [InlineData("tokenizer.ggml.bos_token_id")]
    [InlineData("tokenizer.ggml.eos_token_id")]
    [InlineData("tokenizer.ggml.padding_token_id")]
    [InlineData("tokenizer.ggml.eot_token_id")]
    public void G33_FromGguf_SpecialIdAtVocabularySize_RejectsWithSpecialIdCode(string key)
    {
        var tokens = SpmTokens();

        AssertRejected(Spm(tokens, extra: (key, GgufValue.UInt32((uint)tokens.Length))), VocabErrorCodes.SpecialId);
    }

    [Fact]
    public void G33_FromGguf_SpecialIdUInt32Max_RejectsWithSpecialIdCode()
    {
        var metadata = Spm(SpmTokens(), extra: ("tokenizer.ggml.bos_token_id", GgufValue.UInt32(uint.MaxValue)));

        AssertRejected(metadata, VocabErrorCodes.SpecialId);
    }

    [Fact]
    public void G33_FromGguf_AbsentBosWhoseDefaultIsOutOfRangeButRequired_RejectsWithSpecialIdCode()
    {
        // SentencePiece defaults to BOS = 1 and add_bos = true; a one-token vocabulary has no id 1.
        var metadata = Spm(["<unk>"], types: [2]);

        AssertRejected(metadata, VocabErrorCodes.SpecialId);
    }

    [Fact]
    public void G33_FromGguf_AbsentIdsWhoseDefaultIsOutOfRange_DisablesThem()
    {
        // Byte-level BPE defaults BOS and EOS to 11; with three tokens there is none, and nothing requires one.
        var vocabulary = Vocabulary.FromGguf(Bpe(tokens: ["a", "b", "ab"], merges: ["a b"]));

        Assert.Equal(-1, vocabulary.BosId);
        Assert.Equal(-1, vocabulary.EosId);
        Assert.False(vocabulary.IsEndOfGeneration(11));
        Assert.Equal([2], new Tokenizer(vocabulary).Encode("ab", addSpecial: true, parseSpecial: true));
    }

    [Theory]
    [InlineData("<0x-1>")]
    [InlineData("<0xZZ>")]
    [InlineData("<0x4>")]
    [InlineData("<0x041>")]
    [InlineData("0x41")]
    public void G34_FromGguf_MalformedByteToken_RejectsWithByteTokenCode(string text)
    {
        var tokens = SpmTokens();
        tokens[3] = text;

        AssertRejected(Spm(tokens), VocabErrorCodes.ByteToken);
    }

    [Theory]
    [InlineData("a c")]
    [InlineData("c a")]
    [InlineData("ab")]
    [InlineData(" a")]
    public void G34_FromGguf_MergeNamingUnknownToken_RejectsWithMergesCode(string merge)
    {
        AssertRejected(Bpe(tokens: ["a", "b", "ab"], merges: ["a b", merge]), VocabErrorCodes.Merges);
    }

    [Fact]
    public void G34_FromGguf_BpeWithoutMerges_RejectsWithMergesCode()
    {
        var metadata = Build(("tokenizer.ggml.model", GgufValue.String("gpt2")),
            ("tokenizer.ggml.tokens", GgufValue.Array(GgufValueType.String, new[] { "a" })));

        AssertRejected(metadata, VocabErrorCodes.Merges);
    }

    [Fact]
    public void FromGguf_DuplicateTokenText_RejectsWithDuplicateCode()
    {
        AssertRejected(Bpe(tokens: ["a", "b", "a"], merges: []), VocabErrorCodes.DuplicateToken);
    }

    [Fact]
    public void FromGguf_UnknownModel_RejectsWithUnsupportedCode()
    {
        var metadata = Build(("tokenizer.ggml.model", GgufValue.String("bert")),
            ("tokenizer.ggml.tokens", GgufValue.Array(GgufValueType.String, new[] { "a" })));

        AssertRejected(metadata, VocabErrorCodes.ModelUnsupported);
    }

    [Fact]
    public void FromGguf_MissingModel_RejectsWithMissingCode()
    {
        var metadata = Build(("tokenizer.ggml.tokens", GgufValue.Array(GgufValueType.String, new[] { "a" })));

        AssertRejected(metadata, VocabErrorCodes.ModelMissing);
    }

    [Fact]
    public void FromGguf_UnknownPreTokenizer_RejectsWithPreCode()
    {
        var metadata = Bpe(tokens: ["a"], merges: [], pre: "no-such-pre");

        AssertRejected(metadata, VocabErrorCodes.PreTokenizerUnsupported);
    }

    [Fact]
    public void FromGguf_AddBosNotBool_RejectsWithFlagCode()
    {
        var metadata = Spm(SpmTokens(), extra: ("tokenizer.ggml.add_bos_token", GgufValue.UInt32(1)));

        AssertRejected(metadata, VocabErrorCodes.Flag);
    }

    [Fact]
    public void FromGguf_UnknownTokenTypeValue_TreatsTokenAsUndefined()
    {
        var tokens = SpmTokens();
        var types = SpmTypes(tokens.Length);
        types[^1] = 99;

        var tokenizer = Tokenizer.FromGguf(Spm(tokens, types: types));

        Assert.Equal(TokenType.Undefined, tokenizer.Vocabulary.GetTokenType(tokens.Length - 1));
        Assert.True(tokenizer.TokenToPiece(tokens.Length - 1, renderSpecial: true).IsEmpty);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(int.MaxValue)]
    public void TokenToPiece_IdOutOfRange_Throws(int id)
    {
        var tokenizer = Tokenizer.FromGguf(Spm(SpmTokens()));

        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.TokenToPiece(id, renderSpecial: true).Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.Decode([0, id], renderSpecial: true));
        Assert.False(tokenizer.IsEndOfGeneration(id));
    }

    /// <summary><c>&lt;unk&gt;</c>, <c>&lt;s&gt;</c>, <c>&lt;/s&gt;</c>, 256 byte tokens, then a few pieces.</summary>
    internal static string[] SpmTokens()
    {
        var tokens = new List<string> { "<unk>", "<s>", "</s>" };
        for (var b = 0; b < 256; b++)
        {
            tokens.Add($"<0x{b:X2}>");
        }

        tokens.AddRange(["\u2581", "\u2581a", "a", "b", "é"]);
        return [.. tokens];
    }

    internal static int[] SpmTypes(int count)
    {
        var types = new int[count];
        Array.Fill(types, 1);
        types[0] = 2;
        types[1] = 3;
        types[2] = 3;
        for (var b = 0; b < 256; b++)
        {
            types[3 + b] = 6;
        }

        return types;
    }

    internal static GgufMetadata Spm(
        string[] tokens, GgufValue? scores = null, int[]? types = null, GgufValue? typeValue = null,
        (string Key, GgufValue Value)? extra = null)
    {
        var entries = new List<(string, GgufValue)>
        {
            ("tokenizer.ggml.model", GgufValue.String("llama")),
            ("tokenizer.ggml.tokens", GgufValue.Array(GgufValueType.String, tokens)),
            ("tokenizer.ggml.scores", scores ?? GgufValue.Array(GgufValueType.Float32, new float[tokens.Length])),
        };
        if (tokens.Length > 0 || types is not null || typeValue is not null)
        {
            entries.Add(("tokenizer.ggml.token_type", typeValue ?? GgufValue.Array(GgufValueType.Int32, types ?? SpmTypes(tokens.Length))));
        }

        if (extra is { } e)
        {
            entries.Add(e);
        }

        return Build([.. entries]);
    }

    internal static GgufMetadata Bpe(string[] tokens, string[] merges, string pre = "gpt-2") => Build(
        ("tokenizer.ggml.model", GgufValue.String("gpt2")),
        ("tokenizer.ggml.pre", GgufValue.String(pre)),
        ("tokenizer.ggml.tokens", GgufValue.Array(GgufValueType.String, tokens)),
        ("tokenizer.ggml.merges", GgufValue.Array(GgufValueType.String, merges)));

    internal static GgufMetadata Build(params (string Key, GgufValue Value)[] entries) =>
        new(entries.Select(e => KeyValuePair.Create(e.Key, e.Value)));

    private static void AssertRejected(GgufMetadata metadata, string code)
    {
        var error = Assert.Throws<InvalidModelFileException>(() => Vocabulary.FromGguf(metadata));
        Assert.Equal(code, error.Code);
        Assert.StartsWith("vocab.", error.Code, StringComparison.Ordinal);
    }
}
