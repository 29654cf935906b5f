using System.ClientModel;
using System.Net;
using Edgewise.Server.Tests.Support;
using OpenAI;
using OpenAI.Chat;

namespace Edgewise.Server.Tests.OpenAi;

/// <summary>logprobs / top_logprobs on /v1/chat/completions, parsed by the official OpenAI .NET SDK.</summary>
public sealed class OpenAiSdkLogprobTests
{
    private static ChatClient Sdk(LiveServer server) =>
        new("phi4", new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(server.BaseAddress, "/v1") });

    private static ChatCompletionOptions Options(int top) => new()
    {
        MaxOutputTokenCount = 3,
        Temperature = 0,
        IncludeLogProbabilities = true,
        TopLogProbabilityCount = top,
    };

    [Fact]
    public async Task CompleteChat_LogprobsWithTopTwo_EveryTokenHasLogprobBytesAndTwoAlternatives()
    {
        await using var server = await LiveServer.StartRealAsync("phi4", "ref-phi4-Q8_0.gguf");

        var completion = (await Sdk(server).CompleteChatAsync([new UserChatMessage("Hello")], Options(2), TestContext.Current.CancellationToken)).Value;

        var tokens = completion.ContentTokenLogProbabilities;
        Assert.InRange(tokens.Count, 1, 3);
        Assert.All(tokens, t => Assert.True(t.LogProbability <= 0));
        Assert.All(tokens, t => Assert.NotNull(t.Utf8Bytes));
        Assert.All(tokens, t => Assert.Equal(2, t.TopLogProbabilities.Count));
        Assert.All(tokens, t => Assert.True(t.TopLogProbabilities[0].LogProbability >= t.TopLogProbabilities[1].LogProbability));
        Assert.All(tokens, t => Assert.True(t.TopLogProbabilities[0].LogProbability >= t.LogProbability - 1e-4));
    }

    [Fact]
    public async Task CompleteChatStreaming_Logprobs_ChunksCarryTheSameTokensAsNonStreaming()
    {
        await using var server = await LiveServer.StartRealAsync("phi4", "ref-phi4-Q8_0.gguf");
        var sdk = Sdk(server);
        var whole = (await sdk.CompleteChatAsync([new UserChatMessage("Hello")], Options(1), TestContext.Current.CancellationToken)).Value;

        var streamed = new List<ChatTokenLogProbabilityDetails>();
        await foreach (var update in sdk.CompleteChatStreamingAsync([new UserChatMessage("Hello")], Options(1), TestContext.Current.CancellationToken))
        {
            streamed.AddRange(update.ContentTokenLogProbabilities);
        }

        Assert.Equal(whole.ContentTokenLogProbabilities.Select(t => t.Token), streamed.Select(t => t.Token));
        Assert.Equal(whole.ContentTokenLogProbabilities.Select(t => t.LogProbability), streamed.Select(t => t.LogProbability));
        Assert.All(streamed, t => Assert.Single(t.TopLogProbabilities));
    }

    [Fact]
    public async Task CompleteChat_NoLogprobs_ChoiceLogprobsIsNull()
    {
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("hi"));

        using var response = await server.PostChatAsync(LiveServer.Chat());
        var body = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;

        Assert.Equal(System.Text.Json.JsonValueKind.Null, body.GetProperty("choices")[0].GetProperty("logprobs").ValueKind);
    }

    [Fact]
    public async Task CompleteChat_TopLogprobsWithoutLogprobs_Returns400NamingTopLogprobs()
    {
        var model = ScriptedChatClient.Text("hi");
        await using var server = await LiveServer.StartAsync(model);

        using var response = await server.PostChatAsync(LiveServer.Chat(extra: ",\"top_logprobs\":2"));
        var error = await LiveServer.ErrorOf(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("top_logprobs", error.GetProperty("param").GetString());
        Assert.Equal(0, model.Calls);
    }
}
