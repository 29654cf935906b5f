using Edgewise.Inference.Constraints;
using static Edgewise.Inference.Tests.Constraints.ConstraintTestSupport;

namespace Edgewise.Inference.Tests.Constraints;

public sealed class ConstraintMachineTests
{
    private const string Person = """
        {"type":"object","properties":{"name":{"type":"string","maxLength":5},"age":{"type":"integer","minimum":0,"maximum":120},"tags":{"type":"array","items":{"enum":["a","b"]},"maxItems":2}},"required":["name","age"],"additionalProperties":false}
        """;

    [Theory]
    [InlineData("""{"name":"Ann","age":30}""")]
    [InlineData("""{"name": "Ann", "age": 7, "tags": ["a", "b"]}""")]
    [InlineData("""{"name":"","age":120,"tags":[]}""")]
    [InlineData(""" {"name":"héllo","age":0}""")]
    public void Run_ValidPersonDocument_Complete(string text) => Assert.True(Accepts(Schema(Person), text));

    [Theory]
    [InlineData("""{"age":30,"name":"Ann"}""")] // schema order only
    [InlineData("""{"name":"Ann"}""")] // required age missing
    [InlineData("""{"name":"Annabel","age":1}""")] // maxLength
    [InlineData("""{"name":"Ann","age":121}""")] // maximum
    [InlineData("""{"name":"Ann","age":-1}""")] // minimum
    [InlineData("""{"name":"Ann","age":1.5}""")] // integer
    [InlineData("""{"name":"Ann","age":1,"tags":["c"]}""")] // enum
    [InlineData("""{"name":"Ann","age":1,"tags":["a","a","b"]}""")] // maxItems
    [InlineData("""{"name":"Ann","age":1,"x":1}""")] // additionalProperties
    [InlineData("""{"name":"Ann",  "age":1}""")] // two whitespace bytes
    [InlineData("""{"name":"Ann","age":1} """)] // trailing whitespace
    [InlineData("""{"name":"A\u0001","age":1}""")] // raw control character
    public void Run_InvalidPersonDocument_NotComplete(string text) => Assert.False(Accepts(Schema(Person), text.Replace("\\u0001", "\u0001", StringComparison.Ordinal)));

    [Fact]
    public void Run_PrefixOfValidDocument_IsPrefix() => Assert.Equal(Outcome.Prefix, Run(Schema(Person), """{"name":"An"""));

    [Theory]
    [InlineData("""{"type":"number","minimum":-2.5,"maximum":3}""", "-2.5", true)]
    [InlineData("""{"type":"number","minimum":-2.5,"maximum":3}""", "-2.51", false)]
    [InlineData("""{"type":"number","minimum":-2.5,"maximum":3}""", "3.000001", false)]
    [InlineData("""{"type":"number","minimum":-2.5,"maximum":3}""", "0.25", true)]
    [InlineData("""{"type":"number"}""", "1e5", false)]
    [InlineData("""{"type":"number"}""", "01", false)]
    [InlineData("""{"type":"integer","exclusiveMinimum":10,"exclusiveMaximum":13}""", "11", true)]
    [InlineData("""{"type":"integer","exclusiveMinimum":10,"exclusiveMaximum":13}""", "13", false)]
    [InlineData("""{"type":"integer","minimum":100,"maximum":150}""", "99", false)]
    [InlineData("""{"type":"integer","minimum":100,"maximum":150}""", "149", true)]
    [InlineData("""{"type":"string","minLength":2,"maxLength":3}""", "\"日本\"", true)]
    [InlineData("""{"type":"string","minLength":2,"maxLength":3}""", "\"日本語だ\"", false)]
    [InlineData("""{"type":"string","minLength":2,"maxLength":3}""", "\"\\n\\u00e9\"", true)]
    [InlineData("""{"type":"string"}""", "\"\\ud800\"", false)]
    [InlineData("""{"type":"string","pattern":"^[a-z]{2}-\\d+$"}""", "\"ab-12\"", true)]
    [InlineData("""{"type":"string","pattern":"^[a-z]{2}-\\d+$"}""", "\"ab-\"", false)]
    [InlineData("""{"type":"string","pattern":"^(cat|dog)s?$"}""", "\"dogs\"", true)]
    [InlineData("""{"type":"string","format":"date"}""", "\"2024-02-28\"", true)]
    [InlineData("""{"type":"string","format":"date"}""", "\"2024-02-30\"", false)]
    [InlineData("""{"const":{"a":[1,2]}}""", """{"a":[1,2]}""", true)]
    [InlineData("""{"enum":[1,"x",null]}""", "null", true)]
    [InlineData("""{"type":["string","null"]}""", "null", true)]
    [InlineData("""{"anyOf":[{"type":"integer"},{"type":"string","maxLength":1}]}""", "\"ab\"", false)]
    [InlineData("""{"oneOf":[{"type":"integer"},{"type":"string"}]}""", "5", true)]
    [InlineData("""{"type":"boolean"}""", "true", true)]
    [InlineData("""{"type":"array","minItems":2,"items":{"type":"integer"}}""", "[1]", false)]
    [InlineData("""{"type":"array","minItems":2,"items":{"type":"integer"}}""", "[1,\n2]", true)]
    [InlineData("""{"$defs":{"node":{"type":"object","properties":{"v":{"type":"integer"},"next":{"$ref":"#/$defs/node"}},"required":["v"]}},"$ref":"#/$defs/node"}""", """{"v":1,"next":{"v":2,"next":{"v":3}}}""", true)]
    [InlineData("""{"$defs":{"node":{"type":"object","properties":{"v":{"type":"integer"},"next":{"$ref":"#/$defs/node"}},"required":["v"]}},"$ref":"#/$defs/node"}""", """{"v":1,"next":{}}""", false)]
    [InlineData("""{}""", """{"a":[true,{"b":null}],"c":-0.5}""", true)]
    [InlineData("""{"type":"object"}""", """{"free":"keys"}""", true)]
    public void Run_SchemaFeature_AcceptsExactlyValid(string schema, string text, bool valid) => Assert.Equal(valid, Accepts(Schema(schema), text));

    [Fact]
    public void ForJsonObject_ArrayOrObject_OnlyObjectAccepted()
    {
        Assert.True(Accepts(Constraint.ForJsonObject(), """{"a":1}"""));
        Assert.False(Accepts(Constraint.ForJsonObject(), "[1]"));
        Assert.True(Accepts(Constraint.ForJsonValue(), "[1]"));
    }

    [Fact]
    public void ChoiceConstraint_Choices_OnlyExactChoices()
    {
        var choice = Constraint.ForChoices(["billing", "bill", "support"]);
        Assert.True(Accepts(choice, "bill"));
        Assert.True(Accepts(choice, " billing"));
        Assert.False(Accepts(choice, "bills"));
        Assert.False(Accepts(choice, "  bill"));
        Assert.Equal(2, choice.Match(" support"));
        Assert.Equal(-1, choice.Match("other"));
    }
}
