using System.ClientModel;
using System.Text;
using Edgewise.Models.Management;
using OpenAI;
using OpenAI.Chat;
using SdkFinishReason = OpenAI.Chat.ChatFinishReason;

namespace Edgewise.Server.Tests.Agents;

/// <summary>
/// End to end on the embedded engine: a random-weight reference model (so its text is noise) behind an agent, through
/// the agents API and the OpenAI SDK. The assertions are about structure, not words.
/// </summary>
public sealed class AgentEngineTests
{
    private static string Yaml() => $$"""
        models:
          small:
            path: {{AgentServer.ModelPath}}
        agents:
          helper:
            description: Answers briefly.
            instructions: Answer in one word.
            model: small
            temperature: 0
            max_tokens: 6
        """;

    private static Task<AgentServer> StartAsync() =>
        AgentServer.StartAsync(Yaml(), models: null, settings: new ModelSettings { ContextLength = 512 });

    [Fact]
    public async Task Run_EmbeddedEngine_AnswersContinuesAndStoresTheSession()
    {
        await using var server = await StartAsync();

        var first = await server.RunAsync("helper", "Hello");
        var id = first.GetProperty("session_id").GetString()!;
        var second = await server.RunAsync("helper", "Again", id);

        Assert.Matches("^[0-9a-f]{32}$", id);
        Assert.Contains(first.GetProperty("finish_reason").GetString(), new[] { "stop", "length" });
        var usage = first.GetProperty("usage");
        Assert.True(usage.GetProperty("prompt_tokens").GetInt32() > 0);
        Assert.InRange(usage.GetProperty("completion_tokens").GetInt32(), 1, 6);
        Assert.True(second.GetProperty("usage").GetProperty("prompt_tokens").GetInt32() > usage.GetProperty("prompt_tokens").GetInt32());
        var (status, session) = await server.CallAsync(HttpMethod.Get, "/v1/sessions/" + id);
        Assert.Equal(200, status);
        Assert.Equal(["user", "assistant", "user", "assistant"], session.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("role").GetString()));
    }

    [Fact]
    public async Task CompleteChat_EmbeddedEngineAgentThroughOpenAiSdk_ReturnsACompletion()
    {
        await using var server = await StartAsync();
        var sdk = new ChatClient("helper", new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(server.Client.BaseAddress!, "/v1") });

        var completion = (await sdk.CompleteChatAsync([new UserChatMessage("Hello")], cancellationToken: TestContext.Current.CancellationToken)).Value;
        var streamed = new StringBuilder();
        SdkFinishReason? finish = null;
        await foreach (var update in sdk.CompleteChatStreamingAsync([new UserChatMessage("Hello")], cancellationToken: TestContext.Current.CancellationToken))
        {
            foreach (var part in update.ContentUpdate)
            {
                streamed.Append(part.Text);
            }

            finish = update.FinishReason ?? finish;
        }

        Assert.Equal("helper", completion.Model);
        Assert.Contains(completion.FinishReason, new[] { SdkFinishReason.Stop, SdkFinishReason.Length });
        Assert.True(completion.Usage.InputTokenCount > 0);
        Assert.InRange(completion.Usage.OutputTokenCount, 1, 6);
        Assert.Contains(finish, new SdkFinishReason?[] { SdkFinishReason.Stop, SdkFinishReason.Length });
        Assert.Equal(completion.Content.Count == 0 ? string.Empty : completion.Content[0].Text, streamed.ToString());
    }
}
