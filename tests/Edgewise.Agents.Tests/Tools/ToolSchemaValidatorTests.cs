using System.Text.Json;
using Edgewise.Agents.Tools;
using Microsoft.Extensions.AI;

namespace Edgewise.Agents.Tests.Tools;

public sealed class ToolSchemaValidatorTests
{
    private const string CitySchema = """
        {"type":"object","properties":{"city":{"type":"string","maxLength":10},"days":{"type":"integer","minimum":1,"maximum":7},
        "unit":{"type":"string","enum":["c","f"]},"tags":{"type":"array","items":{"type":"string"},"maxItems":3}},"required":["city"]}
        """;

    [Theory]
    [InlineData("{\"city\":\"Oslo\"}", null)]
    [InlineData("{\"city\":\"Oslo\",\"days\":3,\"unit\":\"c\",\"tags\":[\"a\"]}", null)]
    [InlineData("{\"city\":\"Oslo\",\"days\":3.0}", null)]
    [InlineData("{}", "$: missing required property 'city'")]
    [InlineData("{\"city\":5}", "$.city: expected string")]
    [InlineData("{\"city\":\"Oslo\",\"extra\":1}", "$: unexpected property 'extra'")]
    [InlineData("{\"city\":\"Llanfairpwllgwyngyll\"}", "$.city: longer than 10 characters")]
    [InlineData("{\"city\":\"Oslo\",\"days\":2.5}", "$.days: expected integer")]
    [InlineData("{\"city\":\"Oslo\",\"days\":8}", "$.days: above 7")]
    [InlineData("{\"city\":\"Oslo\",\"unit\":\"k\"}", "$.unit: not one of the allowed values")]
    [InlineData("{\"city\":\"Oslo\",\"tags\":[\"a\",1]}", "$.tags[1]: expected string")]
    [InlineData("{\"city\":\"Oslo\",\"tags\":[\"a\",\"b\",\"c\",\"d\"]}", "$.tags: more than 3 items")]
    [InlineData("[]", "$: expected object")]
    public void Validate_A02_SchemaSubset(string arguments, string? expected)
    {
        Assert.Equal(expected, Validate(CitySchema, arguments));
    }

    [Fact]
    public void Validate_A02_UnsupportedKeyword_FailsClosed()
    {
        Assert.Equal("$: unsupported schema", Validate("{\"$ref\":\"#/defs/x\"}", "{}"));
    }

    [Fact]
    public void Validate_A02_NullableAndAnyOf()
    {
        const string Schema = "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":[\"string\",\"null\"]},\"b\":{\"anyOf\":[{\"type\":\"integer\"},{\"type\":\"boolean\"}]}}}";
        Assert.Null(Validate(Schema, "{\"a\":null,\"b\":true}"));
        Assert.Equal("$.b: matches none of the allowed shapes", Validate(Schema, "{\"b\":\"x\"}"));
    }

    [Fact]
    public void Validate_A02_FactorySchema_AcceptsValidAndRejectsExtras()
    {
        var function = AIFunctionFactory.Create((string city, int days = 3, bool? metric = null) => city, "f", "d");
        var schema = function.JsonSchema;
        Assert.Null(ToolSchemaValidator.Validate(schema, Parse("{\"city\":\"Oslo\",\"days\":2,\"metric\":null}")));
        Assert.Null(ToolSchemaValidator.Validate(schema, Parse("{\"city\":\"Oslo\"}")));
        Assert.NotNull(ToolSchemaValidator.Validate(schema, Parse("{\"city\":\"Oslo\",\"path\":\"../../etc/passwd\"}")));
        Assert.NotNull(ToolSchemaValidator.Validate(schema, Parse("{\"days\":2}")));
    }

    [Fact]
    public async Task Run_A02_RandomArguments_NeverReachToolUnlessValid()
    {
        var random = new Random(42);
        var reached = 0;
        var expectedValid = 0;
        var function = new SchemaFunction(Parse(CitySchema), arguments =>
        {
            var city = ((JsonElement)arguments["city"]!).GetString()!;
            Assert.True(city.Length <= 10);
            Assert.All(arguments.Keys, k => Assert.Contains(k, new[] { "city", "days", "unit", "tags" }));
            reached++;
            return "ok";
        });
        for (var i = 0; i < 150; i++)
        {
            var arguments = RandomArguments(random);
            if (Oracle(arguments))
            {
                expectedValid++;
            }

            var client = new ScriptedChatClient().ThenCalls(new FunctionCallContent("c", "weather", arguments)).ThenText("done");
            var options = new AgentOptions();
            options.Tools.Add(new AgentTool(function));
            await new ChatAgent(client, options).RunAsync("x", new AgentSession(), cancellationToken: TestContext.Current.CancellationToken);
        }

        Assert.Equal(expectedValid, reached);
        Assert.InRange(reached, 10, 140);
    }

    private static Dictionary<string, object?> RandomArguments(Random random)
    {
        var result = new Dictionary<string, object?>();
        if (random.Next(5) > 0)
        {
            result["city"] = random.Next(4) switch
            {
                0 => 12,
                1 => new string('a', random.Next(0, 15)),
                2 => null,
                _ => "Oslo",
            };
        }

        if (random.Next(3) == 0)
        {
            result["days"] = random.Next(3) switch { 0 => 2.5, 1 => random.Next(-2, 10), _ => "3" };
        }

        if (random.Next(5) == 0)
        {
            result[random.Next(2) == 0 ? "path" : "__proto__"] = "../x";
        }

        return result;
    }

    private static bool Oracle(Dictionary<string, object?> arguments) =>
        arguments.TryGetValue("city", out var city) && city is string s && s.Length <= 10
        && (!arguments.TryGetValue("days", out var days) || days is int d && d is >= 1 and <= 7)
        && arguments.Keys.All(k => k is "city" or "days");

    private static string? Validate(string schema, string arguments) => ToolSchemaValidator.Validate(Parse(schema), Parse(arguments));

    private static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement.Clone();

    private sealed class SchemaFunction(JsonElement schema, Func<AIFunctionArguments, object?> body) : AIFunction
    {
        public override string Name => "weather";

        public override string Description => "Weather.";

        public override JsonElement JsonSchema => schema;

        protected override ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken) =>
            ValueTask.FromResult(body(arguments));
    }
}
