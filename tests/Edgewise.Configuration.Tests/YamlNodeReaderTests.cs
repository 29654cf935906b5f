namespace Edgewise.Configuration.Tests;

/// <summary>The strict YAML reader every section of edgewise.yaml goes through: its values and its error locations.</summary>
public sealed class YamlNodeReaderTests
{
    private static YamlNodeReader Value(string scalar) => YamlNodeReader.Parse("key: " + scalar + "\n", "edgewise.yaml").Mapping().Single().Value;

    [Fact]
    public void Parse_TwoDocuments_IsRefused()
    {
        var e = Assert.Throws<ConfigException>(() => YamlNodeReader.Parse("a: 1\n---\nb: 2\n", "edgewise.yaml"));

        Assert.Equal("edgewise.yaml:1:1: (root): expected exactly one YAML document", e.Message);
    }

    [Theory]
    [InlineData("a: [1, 2\n")]
    [InlineData("a: {b: 1\n")]
    [InlineData("a: 'open\n")]
    public void Parse_NotYaml_SaysSoWithTheFile(string yaml)
    {
        var e = Assert.Throws<ConfigException>(() => YamlNodeReader.Parse(yaml, "edgewise.yaml"));

        Assert.StartsWith("edgewise.yaml:", e.Message, StringComparison.Ordinal);
        Assert.Contains("not valid YAML", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Mapping_UnknownKey_NamesLineColumnPathAndTheAllowedKeys()
    {
        var root = YamlNodeReader.Parse("server:\n  limits:\n    parralel: 2\n", "edgewise.yaml");
        var limits = root.Mapping("server").Single().Value.Mapping("limits").Single().Value;

        var e = Assert.Throws<ConfigException>(() => limits.Mapping("parallel", "queue_length").ToList());

        Assert.Equal("edgewise.yaml:3:5: server.limits.parralel: unknown key; expected one of: parallel, queue_length", e.Message);
        Assert.Equal(3, e.Line);
        Assert.Equal(5, e.Column);
    }

    [Fact]
    public void Sequence_Items_AreNamedByIndex()
    {
        var items = Value("[a, 2, [x]]").Sequence();

        Assert.Equal(["key[0]", "key[1]", "key[2]"], items.Select(i => i.Path));
        var e = Assert.Throws<ConfigException>(() => items[2].String());
        Assert.Equal("key[2]", e.KeyPath);
        Assert.Equal("expected a text value", e.Problem);
    }

    [Theory]
    [InlineData("~", true)]
    [InlineData("null", true)]
    [InlineData("", true)]
    [InlineData("'null'", false)]
    [InlineData("\"\"", false)]
    [InlineData("none", false)]
    public void IsNull_QuotedTextIsNeverNull(string scalar, bool expected)
    {
        Assert.Equal(expected, Value(scalar).IsNull);
    }

    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("30s", 30_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("5m", 300_000)]
    [InlineData("2h", 7_200_000)]
    [InlineData("7d", 604_800_000)]
    public void Duration_EachUnit_IsRead(string text, long milliseconds)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), Value(text).Duration());
    }

    [Theory]
    [InlineData("30", "with a unit")]
    [InlineData("5w", "with a unit")]
    [InlineData("0s", "positive duration")]
    [InlineData("-1s", "positive duration")]
    [InlineData("soon", "positive duration")]
    [InlineData("[1s]", "expected a duration")]
    public void Duration_Bad_IsRefused(string text, string problem)
    {
        var e = Assert.Throws<ConfigException>(() => Value(text).Duration());

        Assert.Equal("key", e.KeyPath);
        Assert.Contains(problem, e.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1024", 1024L)]
    [InlineData("2KiB", 2048L)]
    [InlineData("4MiB", 4L << 20)]
    [InlineData("1GiB", 1L << 30)]
    public void Bytes_EachUnit_IsRead(string text, long expected)
    {
        Assert.Equal(expected, Value(text).Bytes(1024, 1L << 30));
    }

    [Theory]
    [InlineData("4MB", "expected a size")]
    [InlineData("-1", "expected a size")]
    [InlineData("1.5MiB", "expected a size")]
    [InlineData("1023", "must be between 1024 and 1073741824 bytes")]
    [InlineData("2GiB", "must be between 1024 and 1073741824 bytes")]
    [InlineData("9999999999999GiB", "expected a size")]
    public void Bytes_Bad_IsRefused(string text, string problem)
    {
        var e = Assert.Throws<ConfigException>(() => Value(text).Bytes(1024, 1L << 30));

        Assert.Contains(problem, e.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0", "must be between 1 and 10")]
    [InlineData("11", "must be between 1 and 10")]
    [InlineData("2.5", "expected a whole number")]
    [InlineData("two", "expected a whole number")]
    public void Int_OutOfRangeOrNotWhole_IsRefused(string text, string problem)
    {
        var e = Assert.Throws<ConfigException>(() => Value(text).Int(1, 10));

        Assert.Equal(problem, e.Problem);
    }

    [Theory]
    [InlineData("yes")]
    [InlineData("True")]
    [InlineData("1")]
    public void Bool_OnlyTrueOrFalse(string text)
    {
        Assert.True(Value("true").Bool());
        Assert.False(Value("false").Bool());
        Assert.Equal("expected true or false", Assert.Throws<ConfigException>(() => Value(text).Bool()).Problem);
    }

    [Theory]
    [InlineData("nan")]
    [InlineData(".inf")]
    [InlineData("1e400")]
    public void Float_NotFinite_IsRefused(string text)
    {
        Assert.Equal(0.25f, Value("0.25").Float());
        Assert.Throws<ConfigException>(() => Value(text).Float());
    }
}
