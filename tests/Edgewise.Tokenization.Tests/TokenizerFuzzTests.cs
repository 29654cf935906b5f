using System.Text;
using Edgewise.Gguf;

namespace Edgewise.Tokenization.Tests;

/// <summary>M09 fuzz: arbitrary text and mutated tokenizer metadata never crash or produce ids outside the vocabulary.</summary>
public sealed class TokenizerFuzzTests
{
    private static readonly string[] s_pieces =
    [
        "a", "Z", " ", "  ", "\t", "\n", "\r\n", "'s", "'LL", "123", "4567", "é", "ß", "你好", "こんにちは", "🦙", "👨‍👩‍👧", "\u0301",
        "\u00A0", "\u3000", "\uD800", "\uDC00", "\0", "\u001F", "<|im_start|>", "<|im_end|>", "<|user|>", "<|end|>", "<s>",
        "</s>", "<0x41>", "<|begin_of_text|>", "<tool_call>", ".,!?", "$+<=>^~|`", "\u2581", "[PAD32011]", "<unk>",
    ];

    public static TheoryData<string> Vocabularies() =>
    [
        "ggml-vocab-qwen2-rebuilt.gguf", "ggml-vocab-llama-bpe-rebuilt.gguf", "ggml-vocab-gpt-2.gguf",
        "ggml-vocab-starcoder.gguf", "ggml-vocab-llama-spm.gguf", "ggml-vocab-phi-3.gguf",
    ];

    [Theory]
    [MemberData(nameof(Vocabularies))]
    public void Encode_RandomText_IdsInRangeAndPiecesRebuildText(string vocab)
    {
        var tokenizer = ReferenceVocabularies.Vocab(vocab);
        var random = new Random(vocab.Length);
        for (var trial = 0; trial < 300; trial++)
        {
            var text = RandomText(random);
            foreach (var (addSpecial, parseSpecial) in (ReadOnlySpan<(bool, bool)>)[(false, false), (true, true), (true, false), (false, true)])
            {
                var ids = tokenizer.Encode(text, addSpecial, parseSpecial);
                Assert.All(ids, id => Assert.InRange(id, 0, tokenizer.Vocabulary.Count - 1));
                var decoded = tokenizer.Decode(ids, renderSpecial: true);
                Assert.Equal(ReplaceLoneSurrogates(decoded), decoded);
            }

            if (vocab == "ggml-vocab-qwen2-rebuilt.gguf")
            {
                // Qwen2 has every byte, no space clean-up and no prefix space: tokenization is lossless.
                var ids = tokenizer.Encode(text, addSpecial: false, parseSpecial: false);
                Assert.Equal(ReplaceLoneSurrogates(text), tokenizer.Decode(ids, renderSpecial: true));
            }
        }
    }

    [Fact]
    public void FromGguf_MutatedMetadata_LoadsOrRejectsWithVocabCode()
    {
        var random = new Random(9);
        var (loaded, rejected) = (0, 0);
        for (var trial = 0; trial < 2000; trial++)
        {
            var entries = BaseEntries(random.Next(2) == 0);
            Mutate(entries, random);
            var metadata = new GgufMetadata(entries.Select(e => KeyValuePair.Create(e.Key, e.Value)));

            Tokenizer tokenizer;
            try
            {
                tokenizer = Tokenizer.FromGguf(metadata);
            }
            catch (InvalidModelFileException e)
            {
                Assert.StartsWith("vocab.", e.Code, StringComparison.Ordinal);
                rejected++;
                continue;
            }

            loaded++;
            var ids = tokenizer.Encode(RandomText(random), addSpecial: true, parseSpecial: true);
            Assert.All(ids, id => Assert.InRange(id, 0, tokenizer.Vocabulary.Count - 1));
            tokenizer.Decode(ids, renderSpecial: true);
        }

        Assert.True(loaded > 100 && rejected > 100, $"loaded {loaded}, rejected {rejected}");
    }

    private static string RandomText(Random random)
    {
        var text = new StringBuilder();
        for (var i = random.Next(0, 24); i > 0; i--)
        {
            text.Append(s_pieces[random.Next(s_pieces.Length)]);
        }

        return text.ToString();
    }

    private static string ReplaceLoneSurrogates(string text)
    {
        var builder = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                builder.Append(text, i++, 2);
            }
            else
            {
                builder.Append(char.IsSurrogate(text[i]) ? '\uFFFD' : text[i]);
            }
        }

        return builder.ToString();
    }

    private static List<(string Key, GgufValue Value)> BaseEntries(bool sentencePiece)
    {
        if (sentencePiece)
        {
            var tokens = VocabularyValidationTests.SpmTokens();
            return
            [
                ("tokenizer.ggml.model", GgufValue.String("llama")),
                ("tokenizer.ggml.tokens", GgufValue.Array(GgufValueType.String, tokens)),
                ("tokenizer.ggml.scores", GgufValue.Array(GgufValueType.Float32, new float[tokens.Length])),
                ("tokenizer.ggml.token_type", GgufValue.Array(GgufValueType.Int32, VocabularyValidationTests.SpmTypes(tokens.Length))),
                ("tokenizer.ggml.bos_token_id", GgufValue.UInt32(1)),
                ("tokenizer.ggml.eos_token_id", GgufValue.UInt32(2)),
            ];
        }

        var bpeTokens = new List<string>();
        for (var b = 0; b < 256; b++)
        {
            bpeTokens.Add(((char)(b is (>= 0x21 and <= 0x7E) or (>= 0xA1 and <= 0xAC) or (>= 0xAE) ? b : 0x100 + b % 68)).ToString());
        }

        bpeTokens = [.. bpeTokens.Distinct(), "Ġa", "ab", "<|im_end|>"];
        return
        [
            ("tokenizer.ggml.model", GgufValue.String("gpt2")),
            ("tokenizer.ggml.pre", GgufValue.String("qwen2")),
            ("tokenizer.ggml.tokens", GgufValue.Array(GgufValueType.String, bpeTokens.ToArray())),
            ("tokenizer.ggml.merges", GgufValue.Array(GgufValueType.String, new[] { "Ġ a", "a b" })),
            ("tokenizer.ggml.eos_token_id", GgufValue.UInt32((uint)bpeTokens.Count - 1)),
        ];
    }

    private static void Mutate(List<(string Key, GgufValue Value)> entries, Random random)
    {
        var index = random.Next(entries.Count);
        var (key, value) = entries[index];
        GgufValue replacement = random.Next(7) switch
        {
            0 => GgufValue.Int32(random.Next(-3, 400)),
            1 => GgufValue.UInt32((uint)random.Next()),
            2 => GgufValue.String("<0xZZ>"),
            3 => GgufValue.Array(GgufValueType.UInt8, new byte[random.Next(0, 300)]),
            4 => GgufValue.Array(GgufValueType.String, Enumerable.Range(0, random.Next(0, 5)).Select(i => i % 2 == 0 ? "<0x-1>" : "a z").ToArray()),
            5 => GgufValue.Array(GgufValueType.Int32, Enumerable.Range(0, value.Count + random.Next(-1, 2)).Select(_ => random.Next(-1, 8)).ToArray()),
            _ => GgufValue.Bool(random.Next(2) == 0),
        };
        if (random.Next(4) == 0)
        {
            entries.RemoveAt(index);
        }
        else
        {
            entries[index] = (key, replacement);
        }

        if (random.Next(3) == 0)
        {
            entries.Add(("tokenizer.ggml.add_bos_token", GgufValue.Bool(true)));
        }
    }
}
