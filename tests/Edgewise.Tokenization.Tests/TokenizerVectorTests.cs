using System.Text;
using Edgewise.Testing;

namespace Edgewise.Tokenization.Tests;

/// <summary>llama.cpp's own tokenizer tests (<c>test-tokenizer-0</c>): every string of every <c>.inp</c> file.</summary>
public sealed class TokenizerVectorTests
{
    private static readonly string[] s_vocabularies =
    [
        "ggml-vocab-qwen2-rebuilt.gguf", "ggml-vocab-llama-bpe-rebuilt.gguf", "ggml-vocab-gpt-2.gguf",
        "ggml-vocab-starcoder.gguf", "ggml-vocab-llama-spm.gguf", "ggml-vocab-phi-3.gguf",
    ];

    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var vocab in s_vocabularies)
        {
            var count = SharedPaths.Available ? ReadInputs(vocab).Length : 1;
            for (var i = 0; i < count; i++)
            {
                data.Add(vocab, i);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Encode_ReferenceVector_MatchesLlamaCpp(string vocab, int index)
    {
        var input = ReadInputs(vocab)[index];
        var expected = ReadOutputs(vocab)[index];

        var actual = ReferenceVocabularies.Vocab(vocab).Encode(input, addSpecial: false, parseSpecial: false);

        Assert.Equal(expected, actual);
    }

    public static TheoryData<string, int> RoundTripCases()
    {
        var data = new TheoryData<string, int>();
        foreach (var vocab in (string[])["ggml-vocab-qwen2-rebuilt.gguf", "ggml-vocab-llama-spm.gguf", "ggml-vocab-phi-3.gguf"])
        {
            var count = SharedPaths.Available ? ReadInputs(vocab).Length : 1;
            for (var i = 0; i < count; i++)
            {
                data.Add(vocab, i);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(RoundTripCases))]
    public void Decode_ReferenceVector_ReturnsConcatenatedPieces(string vocab, int index)
    {
        var tokenizer = ReferenceVocabularies.Vocab(vocab);
        var ids = ReadOutputs(vocab)[index];
        var bytes = new List<byte>();
        foreach (var id in ids)
        {
            bytes.AddRange(tokenizer.TokenToPiece(id, renderSpecial: false).ToArray());
        }

        var pieces = Encoding.UTF8.GetString([.. bytes]);

        var decoded = tokenizer.Decode(ids, renderSpecial: false);

        if (tokenizer.Vocabulary.Model == VocabularyModel.SentencePiece)
        {
            // The space the encoder prepended is dropped again.
            Assert.Equal(pieces.StartsWith(' ') ? pieces[1..] : pieces, decoded);
        }
        else
        {
            // Qwen2 keeps spaces as they are, so detokenization is the exact inverse of tokenization.
            Assert.Equal(ReadInputs(vocab)[index], decoded);
            Assert.Equal(pieces, decoded);
        }
    }

    /// <summary>The test strings; the file ends with a separator, which starts no further string.</summary>
    internal static string[] ReadInputs(string vocab)
    {
        const string separator = "\n__ggml_vocab_test__\n";
        var text = File.ReadAllText(SharedPaths.ReferenceFile("tokenizer", vocab + ".inp"), Encoding.UTF8);
        if (text.EndsWith(separator, StringComparison.Ordinal))
        {
            text = text[..^separator.Length];
        }

        return text.Split(separator);
    }

    internal static int[][] ReadOutputs(string vocab)
    {
        var lines = File.ReadAllText(SharedPaths.ReferenceFile("tokenizer", vocab + ".out")).Split('\n');
        var count = ReadInputs(vocab).Length;
        var result = new int[count][];
        for (var i = 0; i < count; i++)
        {
            result[i] = lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
        }

        return result;
    }
}
