using System.Text;
using Edgewise.Inference.Model;
using Edgewise.Inference.Runtime;
using Edgewise.Testing;
using Microsoft.Extensions.AI;

namespace Edgewise.Inference.Tests;

public sealed class LocalChatClientTests : IDisposable
{
    private static readonly ChatMessage[] s_messages =
    [
        new(ChatRole.System, "You are a helpful assistant."),
        new(ChatRole.User, "Write one sentence about the sea."),
    ];

    private readonly LocalModel _model = LocalModel.Load(SharedPaths.ReferenceFile("models", "ref-qwen2-F32.gguf"));

    public void Dispose() => _model.Dispose();

    [Fact]
    public async Task GetResponseAsync_Greedy_SameAsStreamingAndUsageCounted()
    {
        using var client = new LocalChatClient(_model);
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 12 };

        var response = await client.GetResponseAsync(s_messages, options, TestContext.Current.CancellationToken);
        var streamed = await Stream(client, options);

        Assert.Equal(response.Text, streamed.Text);
        Assert.Equal(response.FinishReason, streamed.FinishReason);
        Assert.NotEmpty(response.Text);
        var promptTokens = client.TokenizePrompt(s_messages).Length;
        Assert.Equal(promptTokens, response.Usage!.InputTokenCount);
        Assert.Equal(promptTokens, streamed.Usage!.InputTokenCount);
        Assert.Equal(response.FinishReason == ChatFinishReason.Length ? 12 : response.Usage.OutputTokenCount, response.Usage.OutputTokenCount);
        Assert.Equal(response.Usage.OutputTokenCount, streamed.Usage.OutputTokenCount);
        Assert.Equal(client.ModelId, response.ModelId);
    }

    [Fact]
    public async Task GetResponseAsync_Greedy_MatchesEngineArgMaxDecoding()
    {
        using var client = new LocalChatClient(_model);
        var prompt = client.TokenizePrompt(s_messages);
        Assert.Equal(151644, prompt[0]);
        Assert.Equal([151644, 77091, 198], prompt[^3..]);

        var response = await client.GetResponseAsync(s_messages, new ChatOptions { Temperature = 0, MaxOutputTokens = 10 }, TestContext.Current.CancellationToken);

        using var context = _model.CreateContext(new ContextOptions { KvCacheType = KvCacheType.F16 });
        var ids = new List<int>();
        var next = ArgMax(context.Evaluate(prompt));
        while (ids.Count < 10 && !client.Tokenizer.IsEndOfGeneration(next))
        {
            ids.Add(next);
            next = ArgMax(context.Evaluate([next]));
        }

        Assert.Equal(client.Tokenizer.Decode([.. ids], renderSpecial: false), response.Text);
    }

    [Fact]
    public async Task GetResponseAsync_SameSeed_SameText()
    {
        using var client = new LocalChatClient(_model);
        var options = new ChatOptions { Temperature = 1.2f, TopK = 50, TopP = 0.9f, Seed = 1234, MaxOutputTokens = 12 };

        var a = await client.GetResponseAsync(s_messages, options, TestContext.Current.CancellationToken);
        var b = await Stream(client, options);

        Assert.Equal(a.Text, b.Text);
    }

    [Fact]
    public async Task GetResponseAsync_StopSequence_CutsBeforeItWithStop()
    {
        using var client = new LocalChatClient(_model);
        var full = await client.GetResponseAsync(s_messages, new ChatOptions { Temperature = 0, MaxOutputTokens = 16 }, TestContext.Current.CancellationToken);
        Assert.True(full.Text.Length > 6, full.Text);
        var stop = full.Text.Substring(full.Text.Length / 2, 3);
        var expected = full.Text[..full.Text.IndexOf(stop, StringComparison.Ordinal)];
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 16, StopSequences = [stop] };

        var response = await client.GetResponseAsync(s_messages, options, TestContext.Current.CancellationToken);
        var streamed = await Stream(client, options);

        Assert.Equal(expected, response.Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.Equal(expected, streamed.Text);
        Assert.Equal(ChatFinishReason.Stop, streamed.FinishReason);
    }

    [Fact]
    public async Task GetResponseAsync_MaxOutputTokens_Length()
    {
        using var client = new LocalChatClient(_model);

        var response = await client.GetResponseAsync(s_messages, new ChatOptions { Temperature = 0, MaxOutputTokens = 3 }, TestContext.Current.CancellationToken);

        Assert.True(response.Usage!.OutputTokenCount <= 3);
        Assert.Equal(response.Usage.OutputTokenCount == 3 ? ChatFinishReason.Length : ChatFinishReason.Stop, response.FinishReason);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_Cancelled_StopsAndFreesSequence()
    {
        using var client = new LocalChatClient(_model);
        using var cts = new CancellationTokenSource();
        var updates = 0;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var update in client.GetStreamingResponseAsync(s_messages, new ChatOptions { Temperature = 0, MaxOutputTokens = 500 }, cts.Token))
            {
                updates++;
                await cts.CancelAsync();
            }
        });

        Assert.Equal(1, updates);
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        guard.CancelAfter(TimeSpan.FromMinutes(2));
        var next = await client.GetResponseAsync(s_messages, new ChatOptions { Temperature = 0, MaxOutputTokens = 2 }, guard.Token);
        Assert.NotNull(next.Usage);
    }

    [Fact]
    public async Task GetResponseAsync_PromptLongerThanContext_Throws()
    {
        using var client = new LocalChatClient(_model, new LocalChatClientOptions { Context = new ContextOptions { ContextLength = 16 } });

        await Assert.ThrowsAsync<ContextLimitExceededException>(() => client.GetResponseAsync(s_messages, null, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task GetResponseAsync_Phi4_Phi3TemplateAndSpecialTokens()
    {
        using var model = LocalModel.Load(SharedPaths.ReferenceFile("models", "ref-phi4-Q8_0.gguf"));
        using var client = new LocalChatClient(model);
        var prompt = client.TokenizePrompt([new ChatMessage(ChatRole.User, "Hi")]);

        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Hi")], new ChatOptions { Temperature = 0, MaxOutputTokens = 5 }, TestContext.Current.CancellationToken);

        Assert.Equal(1, prompt[0]);
        Assert.Contains(32010, prompt);
        Assert.Contains(32001, prompt);
        Assert.Equal(prompt.Length, response.Usage!.InputTokenCount);
        Assert.Equal("ref-phi4", client.ModelId);
    }

    [Fact]
    public void GetService_Metadata_ReportsModel()
    {
        using var client = new LocalChatClient(_model);

        var metadata = client.GetService<ChatClientMetadata>();

        Assert.Equal("ref-qwen2", metadata!.DefaultModelId);
        Assert.Same(_model, client.GetService<LocalModel>());
        Assert.Null(client.GetService<ChatClientMetadata>("key"));
    }

    private static async Task<ChatResponse> Stream(LocalChatClient client, ChatOptions options)
    {
        var updates = new List<ChatResponseUpdate>();
        var text = new StringBuilder();
        await foreach (var update in client.GetStreamingResponseAsync(s_messages, options, TestContext.Current.CancellationToken))
        {
            updates.Add(update);
            text.Append(update.Text);
        }

        var response = updates.ToChatResponse();
        Assert.Equal(text.ToString(), response.Text);
        return response;
    }

    private static int ArgMax(ReadOnlySpan<float> logits)
    {
        var best = 0;
        for (var i = 1; i < logits.Length; i++)
        {
            if (logits[i] > logits[best])
            {
                best = i;
            }
        }

        return best;
    }
}
