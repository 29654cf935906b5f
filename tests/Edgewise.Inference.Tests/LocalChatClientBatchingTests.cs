using Edgewise.Inference.Model;
using Edgewise.Testing;
using Microsoft.Extensions.AI;

namespace Edgewise.Inference.Tests;

public sealed class LocalChatClientBatchingTests : IDisposable
{
    private const string System = "You are a careful assistant for a hardware store. Answer briefly and politely, and never invent prices or stock levels.";

    private static readonly string[] s_questions = ["Do you sell hammers?", "Where are the screws?", "Can I return a drill?"];

    private readonly LocalModel _model = LocalModel.Load(SharedPaths.ReferenceFile("models", "ref-qwen2-F32.gguf"));

    public void Dispose() => _model.Dispose();

    [Fact]
    public async Task GetResponseAsync_ConcurrentRequests_SameTextsAsOneAtATime()
    {
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 8 };
        var expected = new List<string>();
        using (var single = new LocalChatClient(_model, new LocalChatClientOptions { PrefixCacheBytes = 0 }))
        {
            foreach (var question in s_questions)
            {
                expected.Add((await single.GetResponseAsync(Messages(question), options, TestContext.Current.CancellationToken)).Text);
            }
        }

        using var client = new LocalChatClient(_model, new LocalChatClientOptions { MaxConcurrentRequests = 2 });
        var responses = await Task.WhenAll(s_questions.Select(q => client.GetResponseAsync(Messages(q), options, TestContext.Current.CancellationToken)));

        Assert.Equal(expected, responses.Select(r => r.Text));
    }

    [Fact]
    public async Task GetResponseAsync_SharedSystemPrompt_PrefixNotRecomputedAndSameText()
    {
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 6 };
        using var uncached = new LocalChatClient(_model, new LocalChatClientOptions { PrefixCacheBytes = 0 });
        using var client = new LocalChatClient(_model);
        await client.GetResponseAsync(Messages(s_questions[0]), options, TestContext.Current.CancellationToken);
        var before = client.EvaluatedPromptTokens;

        var second = await client.GetResponseAsync(Messages(s_questions[1]), options, TestContext.Current.CancellationToken);

        var prompt = client.TokenizePrompt(Messages(s_questions[1])).Length;
        var evaluated = client.EvaluatedPromptTokens - before;
        Assert.True(evaluated <= prompt - 16, $"{evaluated} of {prompt} prompt tokens evaluated");
        var expected = await uncached.GetResponseAsync(Messages(s_questions[1]), options, TestContext.Current.CancellationToken);
        Assert.Equal(expected.Text, second.Text);
        Assert.Equal(prompt, uncached.EvaluatedPromptTokens);
    }

    [Fact]
    public async Task WarmPrefixAsync_SystemPrompt_LaterRequestSkipsIt()
    {
        using var client = new LocalChatClient(_model);
        ChatMessage[] prefix = [new(ChatRole.System, System)];

        var warmed = await client.WarmPrefixAsync(prefix, cancellationToken: TestContext.Current.CancellationToken);
        var before = client.EvaluatedPromptTokens;
        await client.GetResponseAsync(Messages(s_questions[2]), new ChatOptions { Temperature = 0, MaxOutputTokens = 2 }, TestContext.Current.CancellationToken);

        Assert.True(warmed >= 16, $"{warmed} tokens warmed");
        Assert.Equal(0, warmed % 16);
        var prompt = client.TokenizePrompt(Messages(s_questions[2])).Length;
        Assert.Equal(prompt - warmed, client.EvaluatedPromptTokens - before);
    }

    [Fact]
    public async Task WarmPrefixAsync_CacheOff_ReturnsZero()
    {
        using var client = new LocalChatClient(_model, new LocalChatClientOptions { PrefixCacheBytes = 0 });

        var warmed = await client.WarmPrefixAsync([new(ChatRole.System, System)], cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(0, warmed);
        Assert.Equal(0, client.EvaluatedPromptTokens);
    }

    private static ChatMessage[] Messages(string question) => [new(ChatRole.System, System), new(ChatRole.User, question)];
}
