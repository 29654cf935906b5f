using System.ClientModel;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Edgewise.Server.Tests.Support;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Models;
using ChatFinishReason = Microsoft.Extensions.AI.ChatFinishReason;
using ChatMessage = Microsoft.Extensions.AI.ChatMessage;
using ChatResponseFormat = OpenAI.Chat.ChatResponseFormat;
using SdkFinishReason = OpenAI.Chat.ChatFinishReason;

namespace Edgewise.Server.Tests.OpenAi;

/// <summary>The official OpenAI .NET SDK against a live server on loopback.</summary>
public sealed class OpenAiSdkTests
{
    private static OpenAIClientOptions Endpoint(LiveServer server) => new() { Endpoint = new Uri(server.BaseAddress, "/v1") };

    private static ChatClient Sdk(LiveServer server, string model) => new(model, new ApiKeyCredential("unused"), Endpoint(server));

    [Fact]
    public async Task CompleteChat_RealModel_ReturnsTextFinishReasonAndUsage()
    {
        await using var server = await LiveServer.StartRealAsync("phi4", "ref-phi4-Q8_0.gguf");
        var completion = (await Sdk(server, "phi4").CompleteChatAsync(
            [new UserChatMessage("Hello")],
            new ChatCompletionOptions { MaxOutputTokenCount = 4, Temperature = 0 },
            TestContext.Current.CancellationToken)).Value;

        Assert.Equal("phi4", completion.Model);
        Assert.Contains(completion.FinishReason, new[] { SdkFinishReason.Length, SdkFinishReason.Stop });
        Assert.True(completion.Usage.InputTokenCount > 0);
        Assert.InRange(completion.Usage.OutputTokenCount, 1, 4);
        Assert.Equal(completion.Usage.InputTokenCount + completion.Usage.OutputTokenCount, completion.Usage.TotalTokenCount);
    }

    [Fact]
    public async Task CompleteChatStreaming_RealModel_StreamsSameTextAsNonStreamingWithUsage()
    {
        await using var server = await LiveServer.StartRealAsync("phi4", "ref-phi4-Q8_0.gguf");
        var sdk = Sdk(server, "phi4");
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 6, Temperature = 0 };
        var whole = (await sdk.CompleteChatAsync([new UserChatMessage("Hello")], options, TestContext.Current.CancellationToken)).Value;

        var text = new System.Text.StringBuilder();
        ChatTokenUsage? usage = null;
        SdkFinishReason? finish = null;
        await foreach (var update in sdk.CompleteChatStreamingAsync([new UserChatMessage("Hello")], options, TestContext.Current.CancellationToken))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            usage = update.Usage ?? usage;
            finish = update.FinishReason ?? finish;
        }

        Assert.Equal(whole.Content.Count == 0 ? string.Empty : whole.Content[0].Text, text.ToString());
        Assert.Equal(whole.FinishReason, finish);
        Assert.NotNull(usage);
        Assert.Equal(whole.Usage.OutputTokenCount, usage.OutputTokenCount);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ToolCallRoundTrip_ScriptedModel_CallsToolThenAnswersWithResult(bool streaming)
    {
        var model = new ScriptedChatClient(WeatherScript);
        await using var server = await LiveServer.StartAsync(model);
        var sdk = Sdk(server, "test");
        var tool = ChatTool.CreateFunctionTool("get_weather", "Weather for a city", BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"""));
        var options = new ChatCompletionOptions { Tools = { tool }, ToolChoice = ChatToolChoice.CreateRequiredChoice() };
        List<OpenAI.Chat.ChatMessage> conversation = [new UserChatMessage("Weather in Paris?")];

        var (callId, name, arguments, finish) = streaming ? await StreamToolCallAsync(sdk, conversation, options) : await CompleteToolCallAsync(sdk, conversation, options);
        Assert.Equal(SdkFinishReason.ToolCalls, finish);
        Assert.Equal("get_weather", name);
        Assert.Equal("Paris", JsonDocument.Parse(arguments).RootElement.GetProperty("city").GetString());

        conversation.Add(new AssistantChatMessage([ChatToolCall.CreateFunctionToolCall(callId, name, BinaryData.FromString(arguments))]));
        conversation.Add(new ToolChatMessage(callId, "sunny, 21 C"));
        var answer = (await sdk.CompleteChatAsync(conversation, options, TestContext.Current.CancellationToken)).Value;

        Assert.Equal("It is sunny, 21 C.", answer.Content[0].Text);
        Assert.Equal(SdkFinishReason.Stop, answer.FinishReason);
        var second = model.Received[^1];
        Assert.Equal(ChatToolMode.RequireAny, second.Options!.ToolMode);
        var declaration = Assert.IsAssignableFrom<AIFunctionDeclaration>(Assert.Single(second.Options.Tools!));
        Assert.Equal("get_weather", declaration.Name);
        Assert.Equal("object", declaration.JsonSchema.GetProperty("type").GetString());
        var call = Assert.IsType<FunctionCallContent>(second.Messages[1].Contents.Single());
        Assert.Equal(callId, call.CallId);
        var result = Assert.IsType<FunctionResultContent>(second.Messages[2].Contents.Single());
        Assert.Equal(callId, result.CallId);
    }

    [Fact]
    public async Task StructuredOutput_JsonSchema_ReachesModelAndSdkReadsJson()
    {
        var model = new ScriptedChatClient((_, options, ct) => Answer(options));
        await using var server = await LiveServer.StartAsync(model);
        var format = ChatResponseFormat.CreateJsonSchemaFormat("person", BinaryData.FromString("""{"type":"object","properties":{"name":{"type":"string"}},"required":["name"],"additionalProperties":false}"""), jsonSchemaIsStrict: true);

        var completion = (await Sdk(server, "test").CompleteChatAsync([new UserChatMessage("Name someone")], new ChatCompletionOptions { ResponseFormat = format }, TestContext.Current.CancellationToken)).Value;

        Assert.Equal("Ada", JsonDocument.Parse(completion.Content[0].Text).RootElement.GetProperty("name").GetString());
        var received = Assert.IsType<ChatResponseFormatJson>(model.Received[0].Options!.ResponseFormat);
        Assert.Equal("person", received.SchemaName);
        Assert.Equal("string", received.Schema!.Value.GetProperty("properties").GetProperty("name").GetProperty("type").GetString());

        static async IAsyncEnumerable<ChatResponseUpdate> Answer(ChatOptions? options)
        {
            await Task.Yield();
            yield return new ChatResponseUpdate(ChatRole.Assistant, options?.ResponseFormat is ChatResponseFormatJson ? """{"name":"Ada"}""" : "Ada");
            yield return ScriptedChatClient.Final(ChatFinishReason.Stop);
        }
    }

    [Fact]
    public async Task CompleteChat_H09_UnknownModel_SdkThrows404WithModelNotFound()
    {
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("hi"));

        var error = await Assert.ThrowsAsync<ClientResultException>(() => Sdk(server, "nope").CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: TestContext.Current.CancellationToken));

        Assert.Equal(404, error.Status);
        Assert.Contains("model_not_found", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CompleteChat_H07_TemperatureOutOfRange_SdkThrows400()
    {
        var model = ScriptedChatClient.Text("hi");
        await using var server = await LiveServer.StartAsync(model);

        var error = await Assert.ThrowsAsync<ClientResultException>(() => Sdk(server, "test").CompleteChatAsync([new UserChatMessage("hi")], new ChatCompletionOptions { Temperature = 5 }, TestContext.Current.CancellationToken));

        Assert.Equal(400, error.Status);
        Assert.Contains("temperature", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, model.Calls);
    }

    [Fact]
    public async Task GetModels_TwoRegistered_SdkListsBothAndGetsOne()
    {
        await using var server = await LiveServer.StartAsync(new Dictionary<string, IChatClient> { ["a"] = ScriptedChatClient.Text("x"), ["b"] = ScriptedChatClient.Text("y") });
        var models = new OpenAIModelClient(new ApiKeyCredential("unused"), Endpoint(server));

        var list = (await models.GetModelsAsync(TestContext.Current.CancellationToken)).Value;
        var one = (await models.GetModelAsync("b", TestContext.Current.CancellationToken)).Value;

        Assert.Equal(["a", "b"], list.Select(m => m.Id).Order(StringComparer.Ordinal));
        Assert.Equal("b", one.Id);
        var missing = await Assert.ThrowsAsync<ClientResultException>(() => models.GetModelAsync("c", TestContext.Current.CancellationToken));
        Assert.Equal(404, missing.Status);
    }

    private static async IAsyncEnumerable<ChatResponseUpdate> WeatherScript(IReadOnlyList<ChatMessage> messages, ChatOptions? options, [EnumeratorCancellation] CancellationToken ct)
    {
        await Task.Yield();
        if (messages[^1].Contents.OfType<FunctionResultContent>().FirstOrDefault() is { } result)
        {
            yield return new ChatResponseUpdate(ChatRole.Assistant, $"It is {result.Result}.");
            yield return ScriptedChatClient.Final(ChatFinishReason.Stop);
            yield break;
        }

        yield return new ChatResponseUpdate(ChatRole.Assistant, [new FunctionCallContent("call_abc", "get_weather", new Dictionary<string, object?> { ["city"] = "Paris" })]);
        yield return ScriptedChatClient.Final(ChatFinishReason.ToolCalls);
    }

    private static async Task<(string Id, string Name, string Arguments, SdkFinishReason? Finish)> CompleteToolCallAsync(ChatClient sdk, List<OpenAI.Chat.ChatMessage> conversation, ChatCompletionOptions options)
    {
        var completion = (await sdk.CompleteChatAsync(conversation, options, TestContext.Current.CancellationToken)).Value;
        var call = Assert.Single(completion.ToolCalls);
        return (call.Id, call.FunctionName, call.FunctionArguments.ToString(), completion.FinishReason);
    }

    private static async Task<(string Id, string Name, string Arguments, SdkFinishReason? Finish)> StreamToolCallAsync(ChatClient sdk, List<OpenAI.Chat.ChatMessage> conversation, ChatCompletionOptions options)
    {
        string? id = null, name = null;
        var arguments = new System.Text.StringBuilder();
        SdkFinishReason? finish = null;
        await foreach (var update in sdk.CompleteChatStreamingAsync(conversation, options, TestContext.Current.CancellationToken))
        {
            foreach (var call in update.ToolCallUpdates)
            {
                id ??= call.ToolCallId;
                name ??= call.FunctionName;
                arguments.Append(call.FunctionArgumentsUpdate?.ToString());
            }

            finish = update.FinishReason ?? finish;
        }

        return (id!, name!, arguments.ToString(), finish);
    }
}
