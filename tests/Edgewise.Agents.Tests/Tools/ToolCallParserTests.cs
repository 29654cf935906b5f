using System.Text.Json;
using Edgewise.Agents.Tools;
using Microsoft.Extensions.AI;

namespace Edgewise.Agents.Tests.Tools;

public sealed class ToolCallParserTests
{
    [Fact]
    public void Parse_HermesQwen_TwoCallsAndSurroundingText()
    {
        var text = "Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\"}}\n</tool_call>\n<tool_call>\n{\"name\": \"get_time\", \"arguments\": {}}\n</tool_call>";

        var calls = ToolCallParser.Parse(text, out var rest);

        Assert.Equal(["get_weather", "get_time"], calls.Select(c => c.Name));
        Assert.Equal("Oslo", ((JsonElement)calls[0].Arguments!["city"]!).GetString());
        Assert.All(calls, c => Assert.Null(c.Exception));
        Assert.All(calls, c => Assert.StartsWith("call_", c.CallId));
        Assert.Equal("Let me check.", rest);
    }

    [Fact]
    public void Parse_HermesUnclosedLastBlock_ReadToEnd()
    {
        var calls = ToolCallParser.Parse("<tool_call>{\"name\": \"f\", \"arguments\": {\"a\": 1}}", out _);
        Assert.Equal(1, ((JsonElement)Assert.Single(calls).Arguments!["a"]!).GetInt32());
    }

    [Fact]
    public void Parse_Llama3_ParametersFormWithPythonTagAndSemicolons()
    {
        var calls = ToolCallParser.Parse("<|python_tag|>{\"name\": \"a\", \"parameters\": {\"x\": \"1\"}}; {\"type\": \"function\", \"name\": \"b\", \"parameters\": {}}", out var rest);

        Assert.Equal(["a", "b"], calls.Select(c => c.Name));
        Assert.Equal("1", ((JsonElement)calls[0].Arguments!["x"]!).GetString());
        Assert.Equal(string.Empty, rest);
    }

    [Fact]
    public void Parse_Llama3_BareObject()
    {
        var call = Assert.Single(ToolCallParser.Parse("{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Rome\"}}", out _));
        Assert.Equal("get_weather", call.Name);
    }

    [Fact]
    public void Parse_Phi4Mini_FunctoolsArray()
    {
        var calls = ToolCallParser.Parse("functools[{\"name\": \"get_match_result\", \"arguments\": {\"match\": \"Arsenal vs ManCity\"}}, {\"name\": \"g\", \"parameters\": {\"n\": 2}}]", out var rest);

        Assert.Equal(["get_match_result", "g"], calls.Select(c => c.Name));
        Assert.Equal(2, ((JsonElement)calls[1].Arguments!["n"]!).GetInt32());
        Assert.Equal(string.Empty, rest);
    }

    [Fact]
    public void Parse_Phi4Mini_ToolCallTokens()
    {
        var call = Assert.Single(ToolCallParser.Parse("<|tool_call|>[{\"name\": \"f\", \"arguments\": {}}]<|/tool_call|> done", out var rest));
        Assert.Equal("f", call.Name);
        Assert.Equal("done", rest);
    }

    [Fact]
    public void Parse_GenericFencedJsonWithOpenAiShapeAndStringArguments()
    {
        var text = "Sure:\n```json\n{\"function\": {\"name\": \"lookup\", \"arguments\": \"{\\\"sku\\\": \\\"A-1\\\"}\"}, \"id\": \"call_9\"}\n```\nthanks";

        var call = Assert.Single(ToolCallParser.Parse(text, out var rest));

        Assert.Equal(("lookup", "call_9"), (call.Name, call.CallId));
        Assert.Equal("A-1", ((JsonElement)call.Arguments!["sku"]!).GetString());
        Assert.Equal("Sure:\n\nthanks", rest);
    }

    [Theory]
    [InlineData("<tool_call>{\"name\": \"get_weather\", \"argu")]
    [InlineData("<tool_call>{\"name\": \"get_weather\", \"arguments\": {\"city\": }}</tool_call>")]
    [InlineData("functools[{\"name\": \"get_weather\"")]
    [InlineData("{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Oslo\"")]
    [InlineData("<tool_call>[1, 2]</tool_call>")]
    [InlineData("<tool_call>{\"arguments\": {}}</tool_call>")]
    [InlineData("<tool_call>{\"name\": \"f\", \"arguments\": [1]}</tool_call>")]
    public void Parse_A01_MalformedCall_ReturnedWithException(string text)
    {
        var calls = ToolCallParser.Parse(text, out _);
        Assert.NotEmpty(calls);
        Assert.Contains(calls, c => c.Exception is not null);
    }

    [Theory]
    [InlineData("The capital of France is Paris.")]
    [InlineData("{\"answer\": 42}")]
    [InlineData("[1, 2, 3]")]
    [InlineData("Use the name field: {\"name\" is a key}")]
    [InlineData("")]
    [InlineData("   ")]
    public void Parse_PlainAnswer_NoCalls(string text)
    {
        Assert.Empty(ToolCallParser.Parse(text, out var rest));
        Assert.Equal(text.Trim(), rest);
    }

    [Fact]
    public void Parse_A01_RandomGarbage_NeverThrows()
    {
        var random = new Random(1234);
        string[] pieces = ["<tool_call>", "</tool_call>", "functools[", "<|tool_call|>", "<|/tool_call|>", "<|python_tag|>", "```json\n", "```",
            "{", "}", "[", "]", "\"name\"", "\"arguments\"", "\"parameters\"", ":", ",", "\"f\"", "1e999", "null", "\\", "\"", ";", "\n", "\ud800", "😀", "{\"name\": \"x\", \"arguments\": {}}"];
        for (var i = 0; i < 20000; i++)
        {
            var builder = new System.Text.StringBuilder();
            var count = random.Next(0, 24);
            for (var j = 0; j < count; j++)
            {
                if (random.Next(4) == 0)
                {
                    builder.Append((char)random.Next(0, 0x3000));
                }
                else
                {
                    builder.Append(pieces[random.Next(pieces.Length)]);
                }
            }

            var text = builder.ToString();
            var calls = ToolCallParser.Parse(text, out var rest);
            Assert.NotNull(rest);
            Assert.All(calls, c => Assert.False(string.IsNullOrEmpty(c.Name)));
        }
    }

    [Fact]
    public void Parse_DeeplyNestedJson_NoStackOverflow()
    {
        var text = "<tool_call>{\"name\": \"f\", \"arguments\": " + new string('[', 100000) + "</tool_call>";
        var call = Assert.Single(ToolCallParser.Parse(text, out _));
        Assert.IsType<FormatException>(call.Exception);
    }
}
