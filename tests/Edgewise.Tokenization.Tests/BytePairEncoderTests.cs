using System.Text;

namespace Edgewise.Tokenization.Tests;

/// <summary>The two merge strategies (rank scan for short words, priority queue for long ones) agree.</summary>
public sealed class BytePairEncoderTests
{
    [Theory]
    [InlineData("ggml-vocab-qwen2-rebuilt.gguf")]
    [InlineData("ggml-vocab-llama-bpe-rebuilt.gguf")]
    [InlineData("ggml-vocab-gpt-2.gguf")]
    public void EncodeWord_ScanAndQueue_ProduceSameTokens(string vocab)
    {
        var vocabulary = ReferenceVocabularies.Vocab(vocab).Vocabulary;
        var encoder = new BytePairEncoder(vocabulary);
        var work = new BpeWorkspace();
        var random = new Random(7);
        const string alphabet = "abcdefghijklmnopqrstuvwxyzABCDE é你好🦙 0123\t\n'.,-_";
        for (var trial = 0; trial < 400; trial++)
        {
            var word = new StringBuilder();
            var length = random.Next(1, 400);
            while (word.Length < length)
            {
                var i = random.Next(alphabet.Length);
                word.Append(char.IsHighSurrogate(alphabet[i]) ? alphabet.Substring(i, 2) : char.IsLowSurrogate(alphabet[i]) ? "x" : alphabet[i].ToString());
            }

            var cps = word.ToString().EnumerateRunes().Select(r => r.Value).ToArray();
            var scan = new List<int>();
            var queue = new List<int>();

            encoder.EncodeWord(cps, scan, work);
            encoder.EncodeWord(cps, queue, work, forceQueue: true);

            Assert.Equal(queue, scan);
            Assert.Equal(Encoding.UTF8.GetBytes(word.ToString()), scan.SelectMany(id => Pieces(vocab, id)).ToArray());
        }
    }

    private static byte[] Pieces(string vocab, int id) => ReferenceVocabularies.Vocab(vocab).TokenToPiece(id, renderSpecial: true).ToArray();
}
