using Edgewise.Inference.Model;
using Edgewise.Inference.Runtime;
using Edgewise.Testing;
using Microsoft.Extensions.AI;

namespace Edgewise.Inference.Tests;

public sealed class LocalChatClientRawPromptTests
{
    private const string Text = "The sea is <|im_start|> calm today";

    private static ChatOptions Raw(int maxTokens) => new()
    {
        Temperature = 0,
        MaxOutputTokens = maxTokens,
        AdditionalProperties = new() { [LocalChatClient.RawPromptKey] = true },
    };

    [Theory]
    [InlineData("ref-qwen2-F32.gguf")]
    [InlineData("ref-llama32-F16.gguf")]
    public async Task GetResponseAsync_RawPrompt_PromptTokensAreTextTokensPlusModelBos(string file)
    {
        using var model = LocalModel.Load(SharedPaths.ReferenceFile("models", file));
        using var client = new LocalChatClient(model);
        ChatMessage[] messages = [new(ChatRole.User, Text)];
        var vocabulary = client.Tokenizer.Vocabulary;
        var textTokens = client.Tokenizer.Encode(Text, addSpecial: false, parseSpecial: true);

        var response = await client.GetResponseAsync(messages, Raw(2), TestContext.Current.CancellationToken);
        var prompt = client.TokenizePrompt(messages, Raw(2));

        var expected = textTokens.Length + (vocabulary.AddBos ? 1 : 0);
        Assert.Equal(expected, response.Usage!.InputTokenCount);
        Assert.Equal(expected, prompt.Length);
        Assert.Equal(textTokens, prompt[^textTokens.Length..]);
        if (vocabulary.AddBos)
        {
            Assert.Equal(vocabulary.BosId, prompt[0]);
        }

        Assert.NotEqual(client.TokenizePrompt(messages).Length, prompt.Length);
    }

    [Fact]
    public void TokenizePrompt_RawPromptFlagOnBothModels_AddBosDiffers()
    {
        using var qwen = LocalModel.Load(SharedPaths.ReferenceFile("models", "ref-qwen2-F32.gguf"));
        using var llama = LocalModel.Load(SharedPaths.ReferenceFile("models", "ref-llama32-F16.gguf"));
        using var qwenClient = new LocalChatClient(qwen);
        using var llamaClient = new LocalChatClient(llama);

        Assert.False(qwenClient.Tokenizer.Vocabulary.AddBos);
        Assert.True(llamaClient.Tokenizer.Vocabulary.AddBos);
    }

    [Fact]
    public async Task GetResponseAsync_RawPromptGreedy_MatchesContextGenerationOfSameTokens()
    {
        using var model = LocalModel.Load(SharedPaths.ReferenceFile("models", "ref-llama32-F16.gguf"));
        using var client = new LocalChatClient(model);
        var prompt = client.Tokenizer.Encode(Text, addSpecial: true, parseSpecial: true);

        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, Text)], Raw(8), TestContext.Current.CancellationToken);

        using var context = model.CreateContext(new ContextOptions { KvCacheType = KvCacheType.F16 });
        var ids = new List<int>();
        var next = ArgMax(context.Evaluate(prompt));
        while (ids.Count < 8 && !client.Tokenizer.IsEndOfGeneration(next))
        {
            ids.Add(next);
            next = ArgMax(context.Evaluate([next]));
        }

        Assert.NotEmpty(ids);
        Assert.Equal(client.Tokenizer.Decode([.. ids], renderSpecial: false), response.Text);
    }

    [Fact]
    public async Task GetResponseAsync_RawPromptWithSystemMessage_ThrowsArgumentException()
    {
        using var model = LocalModel.Load(SharedPaths.ReferenceFile("models", "ref-qwen2-F32.gguf"));
        using var client = new LocalChatClient(model);
        ChatMessage[] messages = [new(ChatRole.System, "s"), new(ChatRole.User, "u")];

        await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync(messages, Raw(2), TestContext.Current.CancellationToken));
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
