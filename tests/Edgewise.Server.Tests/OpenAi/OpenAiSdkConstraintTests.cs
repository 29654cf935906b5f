#pragma warning disable OPENAI001 // ChatCompletionOptions.Seed is marked experimental in the SDK; the server supports it.
using System.ClientModel;
using System.Net;
using System.Text.Json;
using Edgewise.Server.Tests.Support;
using OpenAI;
using OpenAI.Chat;

namespace Edgewise.Server.Tests.OpenAi;

/// <summary>The official SDK against the embedded engine with constrained decoding: tool calls and structured output.</summary>
public sealed class OpenAiSdkConstraintTests
{
    private const string WeatherSchema = """{"type":"object","properties":{"city":{"type":"string","minLength":1,"maxLength":8},"unit":{"enum":["celsius","fahrenheit"]}},"required":["city","unit"],"additionalProperties":false}""";

    private static ChatClient Sdk(LiveServer server, string model) =>
        new(model, new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(server.BaseAddress, "/v1") });

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ToolCallRoundTrip_RealQwenModel_RequiredToolThenAnswer(bool streaming)
    {
        await using var server = await LiveServer.StartRealAsync("qwen", "ref-qwen2-F32.gguf");
        var sdk = Sdk(server, "qwen");
        var tool = ChatTool.CreateFunctionTool("get_weather", "Current weather.", BinaryData.FromString(WeatherSchema));
        var options = new ChatCompletionOptions { Tools = { tool }, ToolChoice = ChatToolChoice.CreateRequiredChoice(), Temperature = 1, Seed = 7, MaxOutputTokenCount = 200 };
        List<ChatMessage> conversation = [new UserChatMessage("What is the weather in Paris?")];

        string callId, arguments;
        if (streaming)
        {
            (callId, arguments) = await StreamCallAsync(sdk, conversation, options);
        }
        else
        {
            var completion = (await sdk.CompleteChatAsync(conversation, options, TestContext.Current.CancellationToken)).Value;
            Assert.Equal(OpenAI.Chat.ChatFinishReason.ToolCalls, completion.FinishReason);
            var call = Assert.Single(completion.ToolCalls);
            Assert.Equal("get_weather", call.FunctionName);
            (callId, arguments) = (call.Id, call.FunctionArguments.ToString());
        }

        var args = JsonDocument.Parse(arguments).RootElement;
        Assert.InRange(args.GetProperty("city").GetString()!.EnumerateRunes().Count(), 1, 8);
        Assert.Contains(args.GetProperty("unit").GetString(), new[] { "celsius", "fahrenheit" });

        conversation.Add(new AssistantChatMessage([ChatToolCall.CreateFunctionToolCall(callId, "get_weather", BinaryData.FromString(arguments))]));
        conversation.Add(new ToolChatMessage(callId, "sunny"));
        var answer = (await sdk.CompleteChatAsync(conversation, new ChatCompletionOptions { Tools = { tool }, ToolChoice = ChatToolChoice.CreateNoneChoice(), MaxOutputTokenCount = 4, Seed = 1 }, TestContext.Current.CancellationToken)).Value;
        Assert.Empty(answer.ToolCalls);
        Assert.Contains(answer.FinishReason, new[] { OpenAI.Chat.ChatFinishReason.Stop, OpenAI.Chat.ChatFinishReason.Length });
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task StructuredOutput_RealPhiModel_JsonSchemaOutputParses(bool streaming)
    {
        await using var server = await LiveServer.StartRealAsync("phi4", "ref-phi4-Q8_0.gguf");
        var sdk = Sdk(server, "phi4");
        var options = new ChatCompletionOptions
        {
            ResponseFormat = ChatResponseFormat.CreateJsonSchemaFormat("weather", BinaryData.FromString(WeatherSchema), jsonSchemaIsStrict: true),
            Temperature = 1,
            Seed = 2,
            MaxOutputTokenCount = 200,
        };
        List<ChatMessage> messages = [new UserChatMessage("Weather in Paris as JSON")];

        var text = new System.Text.StringBuilder();
        if (streaming)
        {
            await foreach (var update in sdk.CompleteChatStreamingAsync(messages, options, TestContext.Current.CancellationToken))
            {
                foreach (var part in update.ContentUpdate)
                {
                    text.Append(part.Text);
                }
            }
        }
        else
        {
            var completion = (await sdk.CompleteChatAsync(messages, options, TestContext.Current.CancellationToken)).Value;
            Assert.Equal(OpenAI.Chat.ChatFinishReason.Stop, completion.FinishReason);
            text.Append(completion.Content[0].Text);
        }

        var value = JsonDocument.Parse(text.ToString()).RootElement;
        Assert.InRange(value.GetProperty("city").GetString()!.EnumerateRunes().Count(), 1, 8);
        Assert.Contains(value.GetProperty("unit").GetString(), new[] { "celsius", "fahrenheit" });
    }

    [Fact]
    public async Task StructuredOutput_UnsupportedSchemaFeature_Returns400()
    {
        await using var server = await LiveServer.StartRealAsync("phi4", "ref-phi4-Q8_0.gguf");

        using var response = await server.PostChatAsync("""{"model":"phi4","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"object","patternProperties":{"^x":{}}}}}}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await LiveServer.ErrorOf(response);
        Assert.Equal("response_format", error.GetProperty("param").GetString());
        Assert.Equal("unsupported_schema", error.GetProperty("code").GetString());
        Assert.Contains("'patternProperties'", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("patternProperties", "'patternProperties'")]
    [InlineData("format 'ipv4'", "'format'")]
    [InlineData("$ref (anchor)", "'$ref'")]
    [InlineData("x-secret-<script>", "a keyword or value it does not support")]
    public void DescribeSchemaFeature_NamesOnlyKnownKeywords(string feature, string expected)
    {
        Assert.Equal(expected, Edgewise.Server.Hosting.ModelHost.DescribeSchemaFeature(feature));
    }

    private static async Task<(string Id, string Arguments)> StreamCallAsync(ChatClient sdk, List<ChatMessage> conversation, ChatCompletionOptions options)
    {
        string? id = null;
        var arguments = new System.Text.StringBuilder();
        OpenAI.Chat.ChatFinishReason? finish = null;
        await foreach (var update in sdk.CompleteChatStreamingAsync(conversation, options, TestContext.Current.CancellationToken))
        {
            foreach (var call in update.ToolCallUpdates)
            {
                id ??= call.ToolCallId;
                Assert.True(call.FunctionName is null or "get_weather");
                arguments.Append(call.FunctionArgumentsUpdate?.ToString());
            }

            finish = update.FinishReason ?? finish;
        }

        Assert.Equal(OpenAI.Chat.ChatFinishReason.ToolCalls, finish);
        return (id!, arguments.ToString());
    }
}
