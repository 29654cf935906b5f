using Edgewise.Inference.Constraints;
using static Edgewise.Inference.Tests.Constraints.ConstraintTestSupport;

namespace Edgewise.Inference.Tests.Constraints;

public sealed class SchemaRefusalTests
{
    [Theory]
    [InlineData("""{"type":"object","patternProperties":{"^a":{}}}""", "patternProperties")]
    [InlineData("""{"type":"object","minProperties":1}""", "minProperties")]
    [InlineData("""{"type":"array","uniqueItems":true}""", "uniqueItems")]
    [InlineData("""{"type":"array","prefixItems":[{}]}""", "prefixItems")]
    [InlineData("""{"type":"array","contains":{}}""", "contains")]
    [InlineData("""{"type":"number","multipleOf":3}""", "multipleOf")]
    [InlineData("""{"if":{},"then":{}}""", "if")]
    [InlineData("""{"not":{"type":"string"}}""", "not")]
    [InlineData("""{"allOf":[{"type":"string"},{"maxLength":2}]}""", "allOf (more than one schema)")]
    [InlineData("""{"oneOf":[{"type":"string"},{"type":"string","maxLength":3}]}""", "oneOf (branches not provably exclusive)")]
    [InlineData("""{"oneOf":[{"type":"integer"},{"type":"number"}]}""", "oneOf (branches not provably exclusive)")]
    [InlineData("""{"$ref":"https://example.com/s.json"}""", "$ref (remote or anchor)")]
    [InlineData("""{"$ref":"#/$defs/missing"}""", "$ref (unresolvable)")]
    [InlineData("""{"$defs":{"a":{"$ref":"#/$defs/b"},"b":{"$ref":"#/$defs/a"}},"$ref":"#/$defs/a"}""", "$ref cycle without structure")]
    [InlineData("""{"type":"string","format":"email"}""", "format 'email'")]
    [InlineData("""{"type":"string","pattern":"(?<=a)b"}""", "pattern: look-around or group flags")]
    [InlineData("""{"type":"string","pattern":"^a+$","minLength":2}""", "minLength with pattern or format")]
    [InlineData("""{"type":"string","minLength":3,"maxLength":2}""", "minLength greater than maxLength")]
    [InlineData("""{"type":"integer","minimum":5,"maximum":4}""", "empty or out-of-range number range")]
    [InlineData("""{"type":"object","required":["x"]}""", "required property not declared in properties")]
    [InlineData("""{"type":"string","enum":[1,2]}""", "enum or const with no value of the schema's type")]
    [InlineData("""{"type":"date"}""", "type 'date'")]
    [InlineData("""false""", "false schema")]
    public void ForJsonSchema_UnsupportedFeature_ThrowsNamingIt(string schema, string feature)
    {
        var error = Assert.Throws<UnsupportedSchemaFeatureException>(() => Schema(schema));
        Assert.Equal(feature, error.Feature);
        Assert.Contains(feature, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"type":"object","title":"T","description":"d","properties":{"a":{"type":"string","default":"x","examples":["y"]}},"$schema":"https://json-schema.org/draft/2020-12/schema"}""")]
    [InlineData("""{"allOf":[{"$ref":"#/$defs/x"}],"$defs":{"x":{"type":"integer"}}}""")]
    [InlineData("""{"oneOf":[{"type":"object","properties":{"kind":{"const":"a"}},"required":["kind"]},{"type":"object","properties":{"kind":{"const":"b"}},"required":["kind"]}]}""")]
    public void ForJsonSchema_AnnotationsAndSupportedShapes_Compiles(string schema) => Assert.NotNull(Schema(schema));
}
