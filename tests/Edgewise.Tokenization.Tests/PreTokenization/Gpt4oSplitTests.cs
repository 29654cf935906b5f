using Edgewise.Tokenization.PreTokenization;

namespace Edgewise.Tokenization.Tests.PreTokenization;

/// <summary>The o200k ("gpt-4o") splitter: hand-derived cases, then llama.cpp's own splits of a wider table.</summary>
public sealed class Gpt4oSplitTests
{
    [Fact]
    public void Split_Gpt4o_AsciiCapitalsThenLowercaseStayTogetherUntilTheNextCapital()
    {
        Assert.Equal(["XMLHttp", "Request", " HELLO", " world", " i", "Phone"], Split("XMLHttpRequest HELLO world iPhone"));
    }

    [Fact]
    public void Split_Gpt4o_ContractionsAttachToTheWordInEitherCase()
    {
        Assert.Equal(["I'M", " don'T", " we're", " O", "'Neil's"], Split("I'M don'T we're O'Neil's"));
    }

    [Fact]
    public void Split_Gpt4o_NonAsciiLettersCountAsBothCasesLikeLlamaCpp()
    {
        Assert.Equal(["Ü", "BER", " Über", " 你好世界"], Split("ÜBER Über 你好世界"));
    }

    [Fact]
    public void Split_Gpt4o_CombiningMarkSplitsLikePunctuationAndLeadsTheNextWord()
    {
        Assert.Equal(["e", "\u0301x", " e", "\u0301\u0301"], Split("e\u0301x e\u0301\u0301"));
    }

    [Fact]
    public void Split_Gpt4o_NumbersInRunsOfAtMostThree()
    {
        Assert.Equal(["123", "456", "7", " ", "12", "x"], Split("1234567 12x"));
    }

    [Fact]
    public void Split_Gpt4o_PunctuationTakesFollowingNewlinesAndSlashes()
    {
        Assert.Equal(["a", ":/\n/", "b", " ?!\r\n", "c"], Split("a:/\n/b ?!\r\nc"));
    }

    [Fact]
    public void Split_Gpt4o_WhitespaceRunsLeaveOneSpaceForTheNextWordAndEndAtTheLastNewline()
    {
        Assert.Equal([" ", " x", "\n\n", "  "], Split("  x\n\n  "));
    }

    [Fact]
    public void Split_Gpt4o_NeverCrossesAnInputSegment()
    {
        int[] cps = [.. "ab cd!x".EnumerateRunes().Select(r => r.Value)];
        var words = new List<int>();

        Splitters.Gpt4o(cps, [3, 3, 1], words);

        Assert.Equal([2, 1, 2, 1, 1], words);
    }

    [Theory]
    [MemberData(nameof(Gpt4oReferenceSplits.Rows), MemberType = typeof(Gpt4oReferenceSplits))]
    public void Split_Gpt4o_MatchesLlamaCppRegexSplit(string text, string[] expected)
    {
        Assert.Equal(expected, Split(text));
    }

    [Theory]
    [InlineData("gpt-4o")]
    [InlineData("llama4")]
    [InlineData("kanana2")]
    [InlineData("talkie")]
    [InlineData("minimax-m2")]
    public void TryResolve_Gpt4oName_KeepsMergesAndSpacesAndNoBos(string name)
    {
        Assert.True(PreTokenizer.TryResolve(name, out var settings));
        Assert.Equal(new PreTokenizerSettings(PreTokenizerKind.Gpt4o, IgnoreMerges: false, CleanSpaces: false, AddBos: false), settings);
    }

    internal static string[] Split(string text)
    {
        var cps = text.EnumerateRunes().Select(r => r.Value).ToArray();
        var words = new List<int>();
        PreTokenizer.Split(PreTokenizerKind.Gpt4o, cps, words, []);
        var result = new List<string>();
        var at = 0;
        foreach (var length in words)
        {
            result.Add(string.Concat(cps.Skip(at).Take(length).Select(char.ConvertFromUtf32)));
            at += length;
        }

        return [.. result];
    }
}
