using System.Text.Json;
using Edgewise.Inference.Constraints;
using FsCheck;
using FsCheck.Fluent;
using static Edgewise.Inference.Tests.Constraints.ConstraintTestSupport;

namespace Edgewise.Inference.Tests.Constraints;

/// <summary>
/// <see cref="Constraint.FindViolation"/>: finished output checked by the schema's meaning (output from a backend that
/// may have ignored the schema), against fixed cases and against the independent <see cref="ReferenceValidator"/>.
/// </summary>
public sealed class OutputCheckTests
{
    private const string Person = """
        {"type":"object","properties":{"name":{"type":"string","minLength":1,"maxLength":5},"age":{"type":"integer","minimum":0,"maximum":130},
         "tags":{"type":"array","items":{"enum":["a","b"]},"maxItems":2},"code":{"type":"string","pattern":"[0-9]{3}"},"born":{"type":"string","format":"date"}},
         "required":["name","age"],"additionalProperties":false}
        """;

    [Theory]
    [InlineData("""{"name":"Ann","age":30}""")]
    [InlineData("""{ "age" : 30 ,  "name" : "Ann" }""")] // any key order and whitespace
    [InlineData("""{"name":"Ann","age":30.0}""")] // 30.0 is an integer
    [InlineData("""{"name":"Ann","age":3e1}""")]
    [InlineData("""{"name":"Ann","age":30,"tags":["b","a"]}""")]
    [InlineData("""{"name":"Ann","age":30,"code":"x123y"}""")] // a pattern searches
    [InlineData("""{"name":"Ann","age":30,"born":"2024-01-31"}""")] // every real date, not only the generator's 01-28
    [InlineData("""{"name":"Ännä","age":30}""")] // lengths count code points
    public void FindViolation_ValidOutput_IsNull(string output) => Assert.Null(Compile(Person).FindViolation(output));

    [Theory]
    [InlineData("""{"name":"Ann"}""", "$.age", "required")]
    [InlineData("""{"name":"Ann","age":-1}""", "$.age", "minimum")]
    [InlineData("""{"name":"Ann","age":131}""", "$.age", "maximum")]
    [InlineData("""{"name":"Ann","age":30.5}""", "$.age", "type")]
    [InlineData("""{"name":"Ann","age":"30"}""", "$.age", "type")]
    [InlineData("""{"name":"","age":30}""", "$.name", "minLength")]
    [InlineData("""{"name":"Annabel","age":30}""", "$.name", "maxLength")]
    [InlineData("""{"name":"Ann","age":30,"tags":["c"]}""", "$.tags[0]", "enum")]
    [InlineData("""{"name":"Ann","age":30,"tags":["a","a","b"]}""", "$.tags", "maxItems")]
    [InlineData("""{"name":"Ann","age":30,"code":"12"}""", "$.code", "pattern")]
    [InlineData("""{"name":"Ann","age":30,"born":"2023-02-29"}""", "$.born", "format")]
    [InlineData("""{"name":"Ann","age":30,"extra":1}""", "$.extra", "additionalProperties")]
    [InlineData("""{"name":"Ann","age":30,"name":"Bo"}""", "$.name", "duplicate key")]
    [InlineData("""[1]""", "$", "type")]
    [InlineData("""{"name":"Ann","age":30""", "$", "json")]
    [InlineData("""{"name":"Ann","age":30} and more""", "$", "json")]
    [InlineData("Sure! Here is the JSON.", "$", "json")]
    public void FindViolation_BrokenOutput_NamesPathAndRule(string output, string path, string rule) =>
        Assert.Equal(new ConstraintViolation(path, rule), Compile(Person).FindViolation(output));

    [Fact]
    public void FindViolation_OpenObject_AllowsUndeclaredKeys()
    {
        var open = Compile("""{"type":"object","properties":{"a":{"type":"boolean"}}}""");
        Assert.Null(open.FindViolation("""{"b":[1,2],"a":true}"""));
        Assert.Equal(new ConstraintViolation("$.a", "enum"), open.FindViolation("""{"a":1}"""));
    }

    [Fact]
    public void FindViolation_ConstObject_ComparesByValue()
    {
        var constant = Compile("""{"const":{"k":[1,null],"j":"x"}}""");
        Assert.Null(constant.FindViolation("""{"j":"x","k":[1.0,null]}"""));
        Assert.Equal(new ConstraintViolation("$", "enum"), constant.FindViolation("""{"j":"x","k":[1,null],"l":0}"""));
    }

    [Fact]
    public void FindViolation_AnyOfAndRecursiveRef_ChecksEveryLevel()
    {
        var tree = Compile("""
            {"$defs":{"node":{"type":"object","properties":{"v":{"anyOf":[{"type":"integer"},{"type":"null"}]},"kids":{"type":"array","items":{"$ref":"#/$defs/node"}}},"required":["v"]}},
             "$ref":"#/$defs/node"}
            """);
        Assert.Null(tree.FindViolation("""{"v":1,"kids":[{"v":null},{"v":2,"kids":[]}]}"""));
        Assert.Equal(new ConstraintViolation("$.kids[1].kids[0].v", "anyOf"), tree.FindViolation("""{"v":1,"kids":[{"v":null},{"v":2,"kids":[{"v":"x"}]}]}"""));
    }

    [Fact]
    public void FindViolation_JsonObjectAndChoices()
    {
        Assert.Null(Constraint.ForJsonObject().FindViolation("""{"any":"thing"}"""));
        Assert.Equal(new ConstraintViolation("$", "type"), Constraint.ForJsonObject().FindViolation("[]"));
        var choices = Constraint.ForChoices(["yes", "no"]);
        Assert.Null(choices.FindViolation(" yes"));
        Assert.Equal(new ConstraintViolation("$", "enum"), choices.FindViolation("maybe"));
    }

    /// <summary>
    /// A pattern that makes a backtracking engine take exponential time (nested quantifiers against a long near-match,
    /// SECURITY.md H21) is checked in linear time: this returns at once instead of hanging the test.
    /// </summary>
    [Fact]
    public void FindViolation_CatastrophicPatternAgainstALongNearMatch_AnswersPromptly()
    {
        var nested = Compile("""{"type":"string","pattern":"^(a+)+$"}""");
        var nearMatch = "\"" + new string('a', 20_000) + "!\"";

        Assert.Equal(new ConstraintViolation("$", "pattern"), nested.FindViolation(nearMatch));
        Assert.Null(nested.FindViolation("\"" + new string('a', 20_000) + "\""));
    }

    /// <summary>Whatever the constraint generates for a schema passes the check of that schema (300 random schemas).</summary>
    [Fact]
    public void FindViolation_SampledOutput_AlwaysPasses()
    {
        var generator = from schema in SchemaGenerator.Schemas(3)
                        from seed in Gen.Choose(0, int.MaxValue)
                        select (schema, seed);
        Prop.ForAll(Arb.From(generator), c =>
        {
            var constraint = Compile(c.schema.Schema.ToJsonString());
            var (text, ended) = SampleRandom(constraint, Phi, c.seed, c.schema.MaxBytes + 2);
            Assert.True(ended);
            Assert.True(constraint.FindViolation(text) is null, c.schema + " -> " + text + ": " + constraint.FindViolation(text));
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(300).WithQuietOnSuccess(true));
    }

    /// <summary>
    /// Output generated for one random schema, checked against another: the check agrees with the independent
    /// validator in every case (400 pairs, so both verdicts occur many times).
    /// </summary>
    [Fact]
    public void FindViolation_OutputOfAnotherSchema_AgreesWithTheReferenceValidator()
    {
        var generator = from checkedAgainst in SchemaGenerator.Schemas(2)
                        from generatedFor in SchemaGenerator.Schemas(2)
                        from seed in Gen.Choose(0, int.MaxValue)
                        select (checkedAgainst, generatedFor, seed);
        var verdicts = new int[2];
        Prop.ForAll(Arb.From(generator), c =>
        {
            var (text, _) = SampleRandom(Compile(c.generatedFor.Schema.ToJsonString()), Phi, c.seed, c.generatedFor.MaxBytes + 2);
            using var schema = JsonDocument.Parse(c.checkedAgainst.Schema.ToJsonString());
            using var value = JsonDocument.Parse(text);
            var expected = ReferenceValidator.IsValid(schema.RootElement, value.RootElement);
            var violation = Compile(c.checkedAgainst.Schema.ToJsonString()).FindViolation(text);
            verdicts[expected ? 1 : 0]++;
            Assert.True(expected == violation is null, c.checkedAgainst + " <- " + text + ": reference " + expected + ", check " + violation);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(400).WithQuietOnSuccess(true));
        Assert.True(verdicts[0] > 20 && verdicts[1] > 20, "valid " + verdicts[1] + ", invalid " + verdicts[0]);
    }

    private static Constraint Compile(string schema)
    {
        using var document = JsonDocument.Parse(schema);
        return Constraint.ForJsonSchema(document.RootElement.Clone());
    }
}
