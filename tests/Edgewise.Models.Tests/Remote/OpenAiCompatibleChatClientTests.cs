using System.Text.Json;
using Edgewise.Models.Remote;
using Microsoft.Extensions.AI;
using static Edgewise.Models.Tests.Remote.FakeOpenAiServer;

namespace Edgewise.Models.Tests.Remote;

public sealed class OpenAiCompatibleChatClientTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GetResponseAsync_TextReply_MapsTextUsageFinishReasonAndSendsOptions()
    {
        await using var server = new FakeOpenAiServer(Reply.Json(Completion("Hello there")));
        using var client = new OpenAiCompatibleChatClient(server.Endpoint, "fake-model");
        var options = new ChatOptions { Temperature = 0.25f, TopP = 0.5f, MaxOutputTokens = 42, StopSequences = ["END"], Seed = 7 };

        var response = await client.GetResponseAsync([new(ChatRole.System, "Be brief."), new(ChatRole.User, "Hi")], options, Cancel);

        Assert.Equal("Hello there", response.Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.Equal(5, response.Usage!.InputTokenCount);
        Assert.Equal(2, response.Usage.OutputTokenCount);
        Assert.Equal("chatcmpl-1", response.ResponseId);
        Assert.True(server.Bodies.TryDequeue(out var body));
        Assert.Equal("fake-model", body.GetProperty("model").GetString());
        Assert.Equal(0.25, body.GetProperty("temperature").GetDouble(), 5);
        Assert.Equal(0.5, body.GetProperty("top_p").GetDouble(), 5);
        Assert.Equal(42, MaxTokens(body));
        Assert.Equal("END", body.GetProperty("stop")[0].GetString());
        Assert.Equal(7, body.GetProperty("seed").GetInt64());
        var messages = body.GetProperty("messages");
        Assert.Equal("system", messages[0].GetProperty("role").GetString());
        Assert.Equal("Hi", ContentText(messages[1]));
        Assert.True(server.Authorizations.TryDequeue(out var auth));
        Assert.Null(auth);
    }

    [Fact]
    public async Task GetResponseAsync_WithApiKey_SendsBearerToken()
    {
        await using var server = new FakeOpenAiServer(Reply.Json(Completion("ok")));
        using var client = new OpenAiCompatibleChatClient(server.Endpoint, "fake-model", "sk-test");

        await client.GetResponseAsync([new(ChatRole.User, "Hi")], null, Cancel);

        Assert.True(server.Authorizations.TryDequeue(out var auth));
        Assert.Equal("Bearer sk-test", auth);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_SseChunks_YieldsTextUsageAndFinishReason()
    {
        await using var server = new FakeOpenAiServer(Reply.Sse(
            Chunk(TextDelta("Hel")), Chunk(TextDelta("lo")), Chunk("{}", "length"), UsageChunk()));
        using var client = new OpenAiCompatibleChatClient(server.Endpoint, "fake-model");

        var updates = await ToListAsync(client.GetStreamingResponseAsync([new(ChatRole.User, "Hi")], null, Cancel));

        var response = updates.ToChatResponse();
        Assert.Equal("Hello", response.Text);
        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
        Assert.Equal(7, response.Usage!.TotalTokenCount);
        Assert.Equal("Hel", updates[0].Text);
        Assert.True(server.Bodies.TryDequeue(out var body));
        Assert.True(body.GetProperty("stream").GetBoolean());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task GetResponse_ToolCallRoundTrip_SendsToolsAndToolResultsBack(bool streaming)
    {
        const string Calls = "[{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Oslo\\\"}\"}}]";
        var first = streaming
            ? Reply.Sse(
                Chunk("{\"role\":\"assistant\",\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\"}}]}"),
                Chunk("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"\\\"Oslo\\\"}\"}}]}", "tool_calls"))
            : Reply.Json(Completion(null, "tool_calls", Calls));
        var second = streaming ? Reply.Sse(Chunk(TextDelta("It is sunny.")), Chunk("{}", "stop")) : Reply.Json(Completion("It is sunny."));
        await using var server = new FakeOpenAiServer(first, second);
        using var client = new OpenAiCompatibleChatClient(server.Endpoint, "fake-model");
        var tool = AIFunctionFactory.Create((string city) => "sunny in " + city, "get_weather", "Current weather of a city.");
        var options = new ChatOptions { Tools = [tool], ToolMode = ChatToolMode.RequireSpecific("get_weather") };
        List<ChatMessage> history = [new(ChatRole.User, "Weather in Oslo?")];

        var reply = await RunAsync(client, history, options, streaming);

        Assert.Equal(ChatFinishReason.ToolCalls, reply.FinishReason);
        var call = Assert.Single(reply.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal("call_1", call.CallId);
        Assert.Equal("get_weather", call.Name);
        Assert.Equal("Oslo", call.Arguments!["city"]!.ToString());
        history.AddRange(reply.Messages);
        history.Add(new ChatMessage(ChatRole.Tool, [new FunctionResultContent("call_1", "sunny in Oslo")]));

        var final = await RunAsync(client, history, options, streaming);

        Assert.Equal("It is sunny.", final.Text);
        Assert.True(server.Bodies.TryDequeue(out var firstBody));
        Assert.Equal("get_weather", firstBody.GetProperty("tools")[0].GetProperty("function").GetProperty("name").GetString());
        Assert.Equal("string", firstBody.GetProperty("tools")[0].GetProperty("function").GetProperty("parameters").GetProperty("properties").GetProperty("city").GetProperty("type").GetString());
        Assert.Equal("get_weather", firstBody.GetProperty("tool_choice").GetProperty("function").GetProperty("name").GetString());
        Assert.True(server.Bodies.TryDequeue(out var secondBody));
        var messages = secondBody.GetProperty("messages");
        Assert.Equal(3, messages.GetArrayLength());
        var assistantCall = messages[1].GetProperty("tool_calls")[0];
        Assert.Equal("call_1", assistantCall.GetProperty("id").GetString());
        Assert.Equal("Oslo", JsonDocument.Parse(assistantCall.GetProperty("function").GetProperty("arguments").GetString()!).RootElement.GetProperty("city").GetString());
        Assert.Equal("tool", messages[2].GetProperty("role").GetString());
        Assert.Equal("call_1", messages[2].GetProperty("tool_call_id").GetString());
        Assert.Equal("sunny in Oslo", ContentText(messages[2]));
    }

    [Fact]
    public async Task GetResponseAsync_JsonSchemaFormat_SendsResponseFormat()
    {
        await using var server = new FakeOpenAiServer(Reply.Json(Completion("{\"a\":1}")));
        using var client = new OpenAiCompatibleChatClient(server.Endpoint, "fake-model");
        var schema = JsonDocument.Parse("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"}}}").RootElement;
        var options = new ChatOptions { ResponseFormat = ChatResponseFormat.ForJsonSchema(schema, "answer") };

        await client.GetResponseAsync([new(ChatRole.User, "Give a")], options, Cancel);

        Assert.True(server.Bodies.TryDequeue(out var body));
        var format = body.GetProperty("response_format");
        Assert.Equal("json_schema", format.GetProperty("type").GetString());
        Assert.Equal("answer", format.GetProperty("json_schema").GetProperty("name").GetString());
        Assert.Equal("integer", format.GetProperty("json_schema").GetProperty("schema").GetProperty("properties").GetProperty("a").GetProperty("type").GetString());
    }

    [Theory]
    [InlineData(401, ModelErrorCodes.Unauthorized, false)]
    [InlineData(401, ModelErrorCodes.Unauthorized, true)]
    [InlineData(404, ModelErrorCodes.RemoteNotFound, false)]
    [InlineData(404, ModelErrorCodes.RemoteNotFound, true)]
    [InlineData(400, ModelErrorCodes.RequestRejected, false)]
    [InlineData(500, ModelErrorCodes.BackendUnavailable, false)]
    [InlineData(500, ModelErrorCodes.BackendUnavailable, true)]
    public async Task GetResponse_ErrorStatus_ThrowsModelExceptionWithFixedMessage(int status, string code, bool streaming)
    {
        const string Secret = "secret-detail-from-server";
        await using var server = new FakeOpenAiServer(Reply.Json("{\"error\":{\"message\":\"" + Secret + "\",\"type\":\"x\",\"code\":null}}", status));
        using var client = new OpenAiCompatibleChatClient(server.Endpoint, "fake-model");

        var error = await Assert.ThrowsAsync<ModelException>(() => RunAsync(client, [new(ChatRole.User, "Hi")], null, streaming));

        Assert.Equal(code, error.Code);
        Assert.DoesNotContain(Secret, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task GetResponse_MalformedBody_ThrowsInvalidResponse(bool streaming)
    {
        var reply = streaming ? Reply.Sse("{\"choices\":[{\"index\":0,\"delta\":") : Reply.Json("{\"id\":\"x\",\"choices\":[{\"index\":0,\"message\":");
        await using var server = new FakeOpenAiServer(reply);
        using var client = new OpenAiCompatibleChatClient(server.Endpoint, "fake-model");

        var error = await Assert.ThrowsAsync<ModelException>(() => RunAsync(client, [new(ChatRole.User, "Hi")], null, streaming));

        Assert.Equal(ModelErrorCodes.InvalidResponse, error.Code);
    }

    [Fact]
    public async Task GetResponseAsync_NoChoices_ThrowsInvalidResponse()
    {
        await using var server = new FakeOpenAiServer(Reply.Json("{\"id\":\"x\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\",\"choices\":[]}"));
        using var client = new OpenAiCompatibleChatClient(server.Endpoint, "fake-model");

        var error = await Assert.ThrowsAsync<ModelException>(() => client.GetResponseAsync([new(ChatRole.User, "Hi")], null, Cancel));

        Assert.Equal(ModelErrorCodes.InvalidResponse, error.Code);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_StreamEndsWithoutFinish_ThrowsAfterPartialText()
    {
        await using var server = new FakeOpenAiServer(Reply.SseTruncated(Chunk(TextDelta("half"))));
        using var client = new OpenAiCompatibleChatClient(server.Endpoint, "fake-model");
        var seen = new List<string>();

        var error = await Assert.ThrowsAsync<ModelException>(async () =>
        {
            await foreach (var update in client.GetStreamingResponseAsync([new(ChatRole.User, "Hi")], null, Cancel))
            {
                seen.Add(update.Text);
            }
        });

        Assert.Equal(ModelErrorCodes.InvalidResponse, error.Code);
        Assert.Equal(["half"], seen);
    }

    [Fact]
    public async Task GetResponseAsync_ModelIdOption_OverridesDefaultModel()
    {
        await using var server = new FakeOpenAiServer(Reply.Json(Completion("ok")));
        using var client = new OpenAiCompatibleChatClient(server.Endpoint, "fake-model", "sk-x");

        await client.GetResponseAsync([new(ChatRole.User, "Hi")], new ChatOptions { ModelId = "other-model" }, Cancel);

        Assert.True(server.Bodies.TryDequeue(out var body));
        Assert.Equal("other-model", body.GetProperty("model").GetString());
        Assert.True(server.Authorizations.TryDequeue(out var auth));
        Assert.Equal("Bearer sk-x", auth);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task GetResponse_NothingListening_ThrowsOffline(bool streaming)
    {
        using var client = new OpenAiCompatibleChatClient(DeadEndpoint(), "fake-model");

        var error = await Assert.ThrowsAsync<ModelException>(() => RunAsync(client, [new(ChatRole.User, "Hi")], null, streaming));

        Assert.Equal(ModelErrorCodes.Offline, error.Code);
    }

    [Fact]
    public async Task GetResponseAsync_SlowServer_ThrowsTimeout()
    {
        await using var server = new FakeOpenAiServer(Reply.Slow(TimeSpan.FromSeconds(30), Completion("late")));
        using var client = new OpenAiCompatibleChatClient(server.Endpoint, "fake-model", timeout: TimeSpan.FromMilliseconds(300));

        var error = await Assert.ThrowsAsync<ModelException>(() => client.GetResponseAsync([new(ChatRole.User, "Hi")], null, Cancel));

        Assert.Equal(ModelErrorCodes.Timeout, error.Code);
    }

    [Fact]
    public void GetService_Metadata_NamesEndpointAndModel()
    {
        using var client = new OpenAiCompatibleChatClient(new Uri("http://127.0.0.1:1/v1"), "m1");

        var metadata = client.GetService<ChatClientMetadata>();

        Assert.Equal("m1", metadata!.DefaultModelId);
        Assert.Equal(new Uri("http://127.0.0.1:1/v1"), metadata.ProviderUri);
        Assert.Same(client, client.GetService<OpenAiCompatibleChatClient>());
    }

    internal static Uri DeadEndpoint() => new($"http://127.0.0.1:{LoopbackServer.FreePort()}/v1");

    internal static async Task<ChatResponse> RunAsync(IChatClient client, IEnumerable<ChatMessage> messages, ChatOptions? options, bool streaming) =>
        streaming
            ? (await ToListAsync(client.GetStreamingResponseAsync(messages, options, Cancel))).ToChatResponse()
            : await client.GetResponseAsync(messages, options, Cancel);

    internal static async Task<List<ChatResponseUpdate>> ToListAsync(IAsyncEnumerable<ChatResponseUpdate> updates)
    {
        var list = new List<ChatResponseUpdate>();
        await foreach (var update in updates)
        {
            list.Add(update);
        }

        return list;
    }

    private static int MaxTokens(JsonElement body) =>
        body.TryGetProperty("max_completion_tokens", out var v) ? v.GetInt32() : body.GetProperty("max_tokens").GetInt32();

    private static string? ContentText(JsonElement message)
    {
        var content = message.GetProperty("content");
        return content.ValueKind == JsonValueKind.String ? content.GetString() : content[0].GetProperty("text").GetString();
    }
}
