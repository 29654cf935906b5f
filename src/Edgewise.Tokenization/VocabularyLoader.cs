using System.Text;
using Edgewise.Gguf;
using Edgewise.Tokenization.PreTokenization;

namespace Edgewise.Tokenization;

/// <summary>
/// Reads and validates <c>tokenizer.*</c> metadata the way llama.cpp's <c>llama_vocab::load</c> interprets it, but
/// rejects hostile values (G31–G34) instead of indexing out of range.
/// </summary>
internal static class VocabularyLoader
{
    public static VocabularyData Load(GgufMetadata metadata)
    {
        var modelName = metadata[GgufKeys.Tokenizer.Model]?.AsString()
            ?? throw Fail(VocabErrorCodes.ModelMissing, "The tokenizer model is missing.");
        var model = modelName switch
        {
            "gpt2" => VocabularyModel.BytePairEncoding,
            "llama" => VocabularyModel.SentencePiece,
            _ => throw Fail(VocabErrorCodes.ModelUnsupported, "The tokenizer model is not supported."),
        };

        var preName = metadata.GetString(GgufKeys.Tokenizer.Pre) ?? string.Empty;
        PreTokenizerSettings pre;
        if (model == VocabularyModel.BytePairEncoding)
        {
            if (!PreTokenizer.TryResolve(preName, out pre))
            {
                throw Fail(VocabErrorCodes.PreTokenizerUnsupported, "The pre-tokenizer is not supported.");
            }
        }
        else
        {
            pre = new PreTokenizerSettings(PreTokenizerKind.Default, IgnoreMerges: false, CleanSpaces: false, AddBos: true);
        }

        var texts = ReadTokens(metadata);
        var n = texts.Length;
        var scores = ReadScores(metadata, n);
        var types = ReadTypes(metadata, n);
        var lookup = BuildLookup(texts);
        var attributes = new TokenAttributes[n];
        for (var i = 0; i < n; i++)
        {
            attributes[i] = AttributesOf(types[i]);
            if (types[i] == TokenType.Byte && !IsByteTokenText(texts[i]))
            {
                throw Fail(VocabErrorCodes.ByteToken, "A byte token is not spelled <0xHH>.");
            }
        }

        var merges = model == VocabularyModel.BytePairEncoding ? ReadMerges(metadata, lookup) : new MergeTable(0);
        var data = new VocabularyData
        {
            Model = model,
            PreName = preName,
            Pre = pre,
            Texts = texts,
            Scores = scores,
            Types = types,
            Attributes = attributes,
            Lookup = lookup,
            Merges = merges,
            ByteTokens = model == VocabularyModel.BytePairEncoding ? ByteLevelTokens(lookup) : FallbackByteTokens(lookup),
        };

        ReadSpecialIds(metadata, data, model);
        data.AddBos = ReadFlag(metadata, GgufKeys.Tokenizer.AddBos, model == VocabularyModel.SentencePiece || pre.AddBos);
        data.AddEos = ReadFlag(metadata, GgufKeys.Tokenizer.AddEos, false);
        data.AddSpacePrefix = ReadFlag(metadata, GgufKeys.Tokenizer.AddSpacePrefix, model == VocabularyModel.SentencePiece);
        if ((data.AddBos && data.Bos < 0) || (data.AddEos && data.Eos < 0))
        {
            throw Fail(VocabErrorCodes.SpecialId, "BOS or EOS must be added but the vocabulary has none.");
        }

        SpecialTokenRules.Apply(data, metadata.GetString(GgufKeys.General.Name));
        return data;
    }

    internal static InvalidModelFileException Fail(string code, string message) => new(code, -1, message);

    private static string[] ReadTokens(GgufMetadata metadata)
    {
        var tokens = metadata[GgufKeys.Tokenizer.Tokens]?.AsArray<string>();
        if (tokens is null || tokens.Length == 0 || tokens.Length > Vocabulary.MaxTokens)
        {
            throw Fail(VocabErrorCodes.Tokens, "The token list is missing, empty or too long.");
        }

        var texts = new string[tokens.Length];
        for (var i = 0; i < tokens.Length; i++)
        {
            // llama.cpp renames empty tokens so that every text is a distinct, non-empty key.
            texts[i] = tokens[i] is { Length: > 0 } t ? t : $"[EMPTY_{i}]";
        }

        return texts;
    }

    private static float[] ReadScores(GgufMetadata metadata, int n)
    {
        var value = metadata[GgufKeys.Tokenizer.Scores];
        if (value is null)
        {
            return new float[n];
        }

        if (value.ElementType != GgufValueType.Float32 || value.AsArray<float>() is not { } scores || scores.Length != n)
        {
            throw Fail(VocabErrorCodes.Scores, "The token scores are not FLOAT32 with one entry per token.");
        }

        return scores;
    }

    private static TokenType[] ReadTypes(GgufMetadata metadata, int n)
    {
        var types = new TokenType[n];
        var value = metadata[GgufKeys.Tokenizer.TokenType];
        if (value is null)
        {
            Array.Fill(types, TokenType.Normal);
            return types;
        }

        if (!value.IsArray || value.AsInt32Array() is not { } raw || raw.Length != n)
        {
            throw Fail(VocabErrorCodes.TokenTypes, "The token types are not integers with one entry per token.");
        }

        for (var i = 0; i < n; i++)
        {
            types[i] = raw[i] is >= 1 and <= 6 ? (TokenType)raw[i] : TokenType.Undefined;
        }

        return types;
    }

    private static Dictionary<string, int> BuildLookup(string[] texts)
    {
        var lookup = new Dictionary<string, int>(texts.Length, StringComparer.Ordinal);
        for (var i = 0; i < texts.Length; i++)
        {
            if (!lookup.TryAdd(texts[i], i))
            {
                throw Fail(VocabErrorCodes.DuplicateToken, "Two tokens have the same text.");
            }
        }

        return lookup;
    }

    private static TokenAttributes AttributesOf(TokenType type) => type switch
    {
        TokenType.Normal => TokenAttributes.Normal,
        TokenType.Unknown => TokenAttributes.Unknown,
        TokenType.Control => TokenAttributes.Control,
        TokenType.UserDefined => TokenAttributes.UserDefined,
        TokenType.Unused => TokenAttributes.Unused,
        TokenType.Byte => TokenAttributes.Byte,
        _ => TokenAttributes.None,
    };

    internal static bool IsByteTokenText(string text) =>
        text.Length == 6 && text.StartsWith("<0x", StringComparison.Ordinal) && text[5] == '>'
        && char.IsAsciiHexDigit(text[3]) && char.IsAsciiHexDigit(text[4]);

    private static MergeTable ReadMerges(GgufMetadata metadata, Dictionary<string, int> lookup)
    {
        var value = metadata[GgufKeys.Tokenizer.Merges];
        var merges = value?.AsArray<string>() ?? throw Fail(VocabErrorCodes.Merges, "The BPE merges are missing or not strings.");
        var byText = lookup.GetAlternateLookup<ReadOnlySpan<char>>();
        var result = new MergeTable(merges.Length);
        Span<char> joined = stackalloc char[256];
        for (var rank = 0; rank < merges.Length; rank++)
        {
            var merge = merges[rank].AsSpan();
            var space = merge.Length > 1 ? merge[1..].IndexOf(' ') : -1;
            if (space < 0)
            {
                throw Fail(VocabErrorCodes.Merges, "A BPE merge is not two tokens separated by a space.");
            }

            var left = merge[..(space + 1)];
            var right = merge[(space + 2)..];
            if (!byText.TryGetValue(left, out var leftId) || !byText.TryGetValue(right, out var rightId))
            {
                throw Fail(VocabErrorCodes.Merges, "A BPE merge names a token that is not in the vocabulary.");
            }

            var mergedLength = left.Length + right.Length;
            var buffer = mergedLength <= joined.Length ? joined[..mergedLength] : new char[mergedLength];
            left.CopyTo(buffer);
            right.CopyTo(buffer[left.Length..]);
            var mergedId = byText.TryGetValue(buffer, out var m) ? m : -1;
            result.TryAdd(leftId, rightId, rank, mergedId);
        }

        return result;
    }

    private static int[] ByteLevelTokens(Dictionary<string, int> lookup)
    {
        var byText = lookup.GetAlternateLookup<ReadOnlySpan<char>>();
        var result = new int[256];
        Span<char> one = stackalloc char[1];
        for (var b = 0; b < 256; b++)
        {
            one[0] = ByteEncoding.ToChar((byte)b);
            result[b] = byText.TryGetValue(one, out var id) ? id : -1;
        }

        return result;
    }

    private static int[] FallbackByteTokens(Dictionary<string, int> lookup)
    {
        var byText = lookup.GetAlternateLookup<ReadOnlySpan<char>>();
        var result = new int[256];
        Span<char> hex = stackalloc char[6];
        Span<char> one = stackalloc char[1];
        for (var b = 0; b < 256; b++)
        {
            "<0x".CopyTo(hex);
            hex[3] = "0123456789ABCDEF"[b >> 4];
            hex[4] = "0123456789ABCDEF"[b & 15];
            hex[5] = '>';
            one[0] = (char)b;
            result[b] = byText.TryGetValue(hex, out var id) ? id : b < 0x80 && byText.TryGetValue(one, out id) ? id : -1;
        }

        return result;
    }

    private static void ReadSpecialIds(GgufMetadata metadata, VocabularyData data, VocabularyModel model)
    {
        var spm = model == VocabularyModel.SentencePiece;
        var n = data.Texts.Length;
        data.Bos = SpecialId(metadata, GgufKeys.Tokenizer.BosId, spm ? 1 : 11, n);
        data.Eos = SpecialId(metadata, GgufKeys.Tokenizer.EosId, spm ? 2 : 11, n);
        data.Eot = SpecialId(metadata, GgufKeys.Tokenizer.EotId, -1, n);
        data.Eom = SpecialId(metadata, GgufKeys.Tokenizer.EomId, -1, n);
        data.Unk = SpecialId(metadata, GgufKeys.Tokenizer.UnknownId, spm ? 0 : -1, n);
        data.Sep = SpecialId(metadata, GgufKeys.Tokenizer.SeparatorId, -1, n);
        data.Pad = SpecialId(metadata, GgufKeys.Tokenizer.PaddingId, -1, n);
        data.FimPrefix = SpecialId(metadata, GgufKeys.Tokenizer.LegacyPrefixId, SpecialId(metadata, GgufKeys.Tokenizer.FimPrefixId, -1, n), n);
        data.FimSuffix = SpecialId(metadata, GgufKeys.Tokenizer.LegacySuffixId, SpecialId(metadata, GgufKeys.Tokenizer.FimSuffixId, -1, n), n);
        data.FimMiddle = SpecialId(metadata, GgufKeys.Tokenizer.LegacyMiddleId, SpecialId(metadata, GgufKeys.Tokenizer.FimMiddleId, -1, n), n);
        data.FimPad = SpecialId(metadata, GgufKeys.Tokenizer.FimPadId, -1, n);
        data.FimRepo = SpecialId(metadata, GgufKeys.Tokenizer.FimRepoId, -1, n);
        data.FimSeparator = SpecialId(metadata, GgufKeys.Tokenizer.FimSeparatorId, -1, n);
    }

    /// <summary>A stored id must be an integer in range; an absent one takes llama.cpp's default, disabled when out of range.</summary>
    private static int SpecialId(GgufMetadata metadata, string key, int fallback, int n)
    {
        var value = metadata[key];
        if (value is null)
        {
            return fallback < n ? fallback : -1;
        }

        var id = value.IsArray ? null : value.AsInt64();
        if (id is not { } v || v < 0 || v >= n)
        {
            throw Fail(VocabErrorCodes.SpecialId, "A special token id is not a valid token.");
        }

        return (int)v;
    }

    private static bool ReadFlag(GgufMetadata metadata, string key, bool fallback)
    {
        var value = metadata[key];
        if (value is null)
        {
            return fallback;
        }

        return value.AsBool() ?? throw Fail(VocabErrorCodes.Flag, "A tokenizer flag is not a bool.");
    }

    /// <summary>UTF-8 length of a token text (llama.cpp orders special tokens by byte length).</summary>
    internal static int Utf8Length(string text) => Encoding.UTF8.GetByteCount(text);
}
