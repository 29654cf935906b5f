using System.Text;
using Edgewise.Inference.Constraints;
using Edgewise.Tokenization;
using static Edgewise.Inference.Tests.Constraints.ConstraintTestSupport;

namespace Edgewise.Inference.Tests.Constraints;

/// <summary>The trie walk and the string fast path agree with feeding every token's bytes one by one.</summary>
public sealed class TokenMaskTests
{
    private const string Schema = """
        {"type":"object","properties":{"s":{"type":"string","minLength":2,"maxLength":4},"free":{"type":"string"},"p":{"type":"string","pattern":"^[a-f]+é$","maxLength":5},"n":{"type":"number","minimum":-5,"maximum":50},"any":{}},"required":["s","free","p","n","any"]}
        """;

    public static TheoryData<string> Prefixes() =>
    [
        "",
        "{",
        "{\"s\":\"",
        "{\"s\":\"a",
        "{\"s\":\"abc",
        "{\"s\":\"ab\\",
        "{\"s\":\"ab\\u00",
        "{\"s\":\"ab\",\"free\":\"x",
        "{\"s\":\"ab\",\"free\":\"x\xC3",
        "{\"s\":\"ab\",\"free\":\"\",\"p\":\"ab",
        "{\"s\":\"ab\",\"free\":\"\",\"p\":\"aé\",",
        "{\"s\":\"ab\",\"free\":\"\",\"p\":\"aé\",\"n\":4",
        "{\"s\":\"ab\",\"free\":\"\",\"p\":\"aé\",\"n\":-4.",
        "{\"s\":\"ab\",\"free\":\"\",\"p\":\"aé\",\"n\":1,\"any\":[{\"k\":\"v",
        "{\"s\":\"ab\",\"free\":\"\",\"p\":\"aé\",\"n\":1,\"any\":[{\"k\":\"v\"}]",
    ];

    [Theory]
    [MemberData(nameof(Prefixes))]
    public void ComputeAllowed_PhiVocabulary_MatchesBruteForce(string prefix) => AssertMatchesBruteForce(Phi, prefix);

    [Theory]
    [InlineData("{\"s\":\"a")]
    [InlineData("{\"s\":\"ab\",\"free\":\"x")]
    [InlineData("{\"s\":\"ab\",\"free\":\"\",\"p\":\"ab")]
    [InlineData("{\"s\":\"ab\",\"free\":\"\",\"p\":\"aé\",\"n\":1,\"any\":")]
    public void ComputeAllowed_QwenVocabulary_MatchesBruteForce(string prefix) => AssertMatchesBruteForce(Qwen, prefix);

    private static void AssertMatchesBruteForce(Tokenizer tokenizer, string prefix)
    {
        var constraint = ConstraintTestSupport.Schema(Schema);
        var bytes = Latin1OrUtf8(prefix);
        var states = new List<ParseStack> { constraint.Start() };
        var next = new List<ParseStack>();
        foreach (var b in bytes)
        {
            ParseStack.Feed(states, b, next);
            Assert.NotEmpty(next);
            (states, next) = (next, states);
        }

        var index = TokenIndex.For(tokenizer);
        var allowed = new ulong[(index.VocabSize + 63) / 64];
        var canFinish = new TokenMasker(index).Compute(states, allowed);
        Assert.Equal(states.Any(s => s.CanFinish), canFinish);
        var count = 0;
        for (var id = 0; id < index.VocabSize; id++)
        {
            var expected = tokenizer.IsEndOfGeneration(id) ? canFinish : Accepts(states, index.Piece(id));
            var actual = (allowed[id >> 6] & (1UL << (id & 63))) != 0;
            Assert.True(expected == actual, $"token {id} '{Encoding.UTF8.GetString(index.Piece(id))}': expected {expected}");
            count += actual ? 1 : 0;
        }

        Assert.True(count > 0);
    }

    private static bool Accepts(List<ParseStack> start, byte[] piece)
    {
        if (piece.Length == 0)
        {
            return false;
        }

        var states = start;
        foreach (var b in piece)
        {
            var next = new List<ParseStack>();
            ParseStack.Feed(states, b, next);
            if (next.Count == 0)
            {
                return false;
            }

            states = next;
        }

        return true;
    }

    private static byte[] Latin1OrUtf8(string prefix) =>
        prefix.EndsWith('\xC3') ? [.. Encoding.UTF8.GetBytes(prefix[..^1]), 0xC3] : Encoding.UTF8.GetBytes(prefix);
}
