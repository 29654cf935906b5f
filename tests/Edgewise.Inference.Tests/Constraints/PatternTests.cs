using Edgewise.Inference.Constraints;

namespace Edgewise.Inference.Tests.Constraints;

public sealed class PatternTests
{
    [Theory]
    [InlineData(@"\d", "5", true)]
    [InlineData(@"\d+", "123", true)]
    [InlineData(@"a\d", "a1", true)]
    [InlineData(@"-\d", "-1", true)]
    [InlineData(@"\d{4}", "2024", true)]
    [InlineData(@"^[a-z]{2}-\d+$", "ab-12", true)]
    [InlineData(@"^[a-z]{2}-\d+$", "ab-", false)]
    [InlineData(@"^(cat|dog)s?$", "cats", true)]
    [InlineData(@"^[^x]*$", "abc", true)]
    [InlineData(@"^[^x]*$", "axc", false)]
    [InlineData(@"\w+@\w+\.com", "a_1@b.com", true)]
    [InlineData(@"[\d.]+", "1.5", true)]
    [InlineData(@"x{2,3}", "xxxx", false)]
    [InlineData(@"x{2,}", "xxxxx", true)]
    [InlineData(@"\u00e9\x41", "éA", true)]
    public void Matches_Pattern_FullMatchOnly(string pattern, string text, bool expected) => Assert.Equal(expected, Pattern.Parse(pattern).Matches(text));

    [Theory]
    [InlineData(@"(?=a)b", "pattern: look-around or group flags")]
    [InlineData(@"(a)\1", @"pattern: escape \1")]
    [InlineData(@"a\bb", @"pattern: escape \b")]
    [InlineData(@"a^b", "pattern: inner anchor")]
    [InlineData(@"a++", "pattern: possessive quantifier")]
    [InlineData(@"a{1000}", "pattern: repetition bounds")]
    [InlineData(@"(ab", "pattern: unbalanced parenthesis")]
    public void Parse_UnsupportedConstruct_RefusedNamingIt(string pattern, string feature) =>
        Assert.Equal(feature, Assert.Throws<UnsupportedSchemaFeatureException>(() => Pattern.Parse(pattern)).Feature);
}
