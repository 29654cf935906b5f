using Edgewise.Gguf;

namespace Edgewise.Inference.Synthesis;

/// <summary>
/// A byte-level BPE vocabulary of any size for synthetic models: the 256 byte tokens (GPT-2's byte-to-character
/// mapping), no merges, <c>&lt;|endoftext|&gt;</c> as end of sequence, and unused filler tokens up to the size.
/// Text round-trips through it one byte per token.
/// </summary>
internal static class SyntheticVocabulary
{
    private const int Normal = 1;
    private const int Control = 3;
    private const int Unused = 5;

    public static IEnumerable<KeyValuePair<string, GgufValue>> Create(int size)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 257);
        var tokens = new string[size];
        var types = new int[size];
        var scores = new float[size];
        for (var b = 0; b < 256; b++)
        {
            tokens[b] = ByteToChar((byte)b).ToString();
            types[b] = Normal;
        }

        var eos = size - 1;
        for (var i = 256; i < eos; i++)
        {
            tokens[i] = "<|synthetic_" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) + "|>";
            types[i] = Unused;
        }

        tokens[eos] = "<|endoftext|>";
        types[eos] = Control;
        yield return new(GgufKeys.Tokenizer.Model, GgufValue.String("gpt2"));
        yield return new(GgufKeys.Tokenizer.Pre, GgufValue.String("default"));
        yield return new(GgufKeys.Tokenizer.Tokens, GgufValue.Array(GgufValueType.String, tokens));
        yield return new(GgufKeys.Tokenizer.TokenType, GgufValue.Array(GgufValueType.Int32, types));
        yield return new(GgufKeys.Tokenizer.Scores, GgufValue.Array(GgufValueType.Float32, scores));
        yield return new(GgufKeys.Tokenizer.Merges, GgufValue.Array(GgufValueType.String, Array.Empty<string>()));
        yield return new(GgufKeys.Tokenizer.EosId, GgufValue.UInt32((uint)eos));
        yield return new(GgufKeys.Tokenizer.AddBos, GgufValue.Bool(false));
    }

    /// <summary>GPT-2's printable mapping of a byte: printable Latin-1 maps to itself, the rest to U+0100 upward.</summary>
    private static char ByteToChar(byte b)
    {
        if (b is >= (byte)'!' and <= (byte)'~' or >= 0xA1 and <= 0xAC or >= 0xAE)
        {
            return (char)b;
        }

        var n = 0;
        for (var c = 0; c < b; c++)
        {
            if (!(c is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE))
            {
                n++;
            }
        }

        return (char)(256 + n);
    }
}
