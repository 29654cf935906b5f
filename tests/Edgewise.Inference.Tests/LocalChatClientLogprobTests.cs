using System.Text;
using Edgewise.Inference.Model;
using Edgewise.Inference.Runtime;
using Edgewise.Testing;
using Microsoft.Extensions.AI;

namespace Edgewise.Inference.Tests;

public sealed class LocalChatClientLogprobTests : IDisposable
{
    private const int Tokens = 8;

    private static readonly ChatMessage[] s_messages =
    [
        new(ChatRole.System, "You are a helpful assistant."),
        new(ChatRole.User, "Name three colours."),
    ];

    private readonly LocalModel _model = LocalModel.Load(SharedPaths.ReferenceFile("models", "ref-qwen2-F32.gguf"));

    public void Dispose() => _model.Dispose();

    [Fact]
    public async Task GetResponseAsync_LogprobsRequested_MatchLogSoftmaxOfEngineLogits()
    {
        using var client = new LocalChatClient(_model);

        var response = await client.GetResponseAsync(s_messages, Options(top: 5), TestContext.Current.CancellationToken);

        var logprobs = Assert.IsAssignableFrom<IReadOnlyList<TokenLogprob>>(response.AdditionalProperties![LocalChatClient.LogprobsKey]);
        var expected = ExpectedGreedy(client, client.TokenizePrompt(s_messages));
        Assert.Equal(expected.Count, logprobs.Count);
        Assert.Equal(response.Usage!.OutputTokenCount, logprobs.Count);
        for (var i = 0; i < logprobs.Count; i++)
        {
            var (id, logprob) = expected[i];
            var actual = logprobs[i];
            Assert.Equal([.. client.Tokenizer.TokenToPiece(id, renderSpecial: true).ToArray()], actual.Bytes);
            Assert.Equal(Encoding.UTF8.GetString([.. actual.Bytes]), actual.Token);
            Assert.Equal(logprob, actual.Logprob, 1e-9);
            Assert.True(actual.Logprob <= 0);
            Assert.Equal(5, actual.TopLogprobs.Count);
            Assert.Equal(actual.Token, actual.TopLogprobs[0].Token);
            Assert.Equal(actual.Logprob, actual.TopLogprobs[0].Logprob, 1e-12);
            for (var k = 0; k < actual.TopLogprobs.Count; k++)
            {
                Assert.True(actual.TopLogprobs[k].Logprob <= 0);
                Assert.True(k == 0 || actual.TopLogprobs[k].Logprob <= actual.TopLogprobs[k - 1].Logprob);
            }
        }
    }

    [Fact]
    public async Task GetStreamingResponseAsync_LogprobsRequested_UpdatesCarryTheSameTokensInOrder()
    {
        using var client = new LocalChatClient(_model);
        var options = Options(top: 2);

        var response = await client.GetResponseAsync(s_messages, options, TestContext.Current.CancellationToken);
        var streamed = new List<TokenLogprob>();
        var text = new StringBuilder();
        await foreach (var update in client.GetStreamingResponseAsync(s_messages, options, TestContext.Current.CancellationToken))
        {
            var list = Assert.IsAssignableFrom<IReadOnlyList<TokenLogprob>>(update.AdditionalProperties![LocalChatClient.LogprobsKey]);
            streamed.AddRange(list);
            text.Append(update.Text);
        }

        var whole = (IReadOnlyList<TokenLogprob>)response.AdditionalProperties![LocalChatClient.LogprobsKey]!;
        Assert.Equal(whole.Select(l => (l.Token, l.Logprob)), streamed.Select(l => (l.Token, l.Logprob)));
        Assert.Equal(response.Text, text.ToString());
        Assert.All(streamed, l => Assert.Equal(2, l.TopLogprobs.Count));
    }

    [Fact]
    public async Task GetResponseAsync_LogprobsWithoutTop_EmptyAlternatives()
    {
        using var client = new LocalChatClient(_model);
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 3, AdditionalProperties = new() { [LocalChatClient.LogprobsKey] = true } };

        var response = await client.GetResponseAsync(s_messages, options, TestContext.Current.CancellationToken);

        var logprobs = (IReadOnlyList<TokenLogprob>)response.AdditionalProperties![LocalChatClient.LogprobsKey]!;
        Assert.NotEmpty(logprobs);
        Assert.All(logprobs, l => Assert.Empty(l.TopLogprobs));
    }

    [Fact]
    public async Task GetResponseAsync_SampledWithTemperature_LogprobIsOfRawDistribution()
    {
        using var client = new LocalChatClient(_model);
        var options = new ChatOptions
        {
            Temperature = 1.5f,
            Seed = 7,
            MaxOutputTokens = 1,
            AdditionalProperties = new() { [LocalChatClient.LogprobsKey] = true, [LocalChatClient.TopLogprobsKey] = 20 },
        };

        var response = await client.GetResponseAsync(s_messages, options, TestContext.Current.CancellationToken);

        var first = Assert.Single((IReadOnlyList<TokenLogprob>)response.AdditionalProperties![LocalChatClient.LogprobsKey]!);
        using var context = _model.CreateContext();
        var logits = context.Evaluate(client.TokenizePrompt(s_messages)).ToArray();
        var normalizer = LogSumExp(logits);
        var top = logits.Select((l, id) => (l, id)).OrderByDescending(p => p.l).ThenBy(p => p.id).Take(20).ToArray();
        Assert.Equal(20, first.TopLogprobs.Count);
        for (var k = 0; k < 20; k++)
        {
            Assert.Equal(top[k].l - normalizer, first.TopLogprobs[k].Logprob, 1e-9);
        }
    }

    [Fact]
    public async Task GetResponseAsync_NoLogprobsRequested_NoProperty()
    {
        using var client = new LocalChatClient(_model);

        var response = await client.GetResponseAsync(s_messages, new ChatOptions { Temperature = 0, MaxOutputTokens = 2 }, TestContext.Current.CancellationToken);

        Assert.False(response.AdditionalProperties?.ContainsKey(LocalChatClient.LogprobsKey) ?? false);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(21)]
    public async Task GetResponseAsync_TopLogprobsOutOfRange_Throws(int top)
    {
        using var client = new LocalChatClient(_model);

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => client.GetResponseAsync(s_messages, Options(top), TestContext.Current.CancellationToken));
    }

    private static ChatOptions Options(int top) => new()
    {
        Temperature = 0,
        MaxOutputTokens = Tokens,
        AdditionalProperties = new() { [LocalChatClient.LogprobsKey] = true, [LocalChatClient.TopLogprobsKey] = top },
    };

    private List<(int Id, double Logprob)> ExpectedGreedy(LocalChatClient client, int[] prompt)
    {
        using var context = _model.CreateContext();
        var result = new List<(int, double)>();
        var logits = context.Evaluate(prompt).ToArray();
        while (result.Count < Tokens)
        {
            var id = Array.IndexOf(logits, logits.Max());
            if (client.Tokenizer.IsEndOfGeneration(id))
            {
                break;
            }

            result.Add((id, logits[id] - LogSumExp(logits)));
            logits = context.Evaluate([id]).ToArray();
        }

        return result;
    }

    private static double LogSumExp(float[] logits)
    {
        double max = logits.Max();
        return max + Math.Log(logits.Sum(l => Math.Exp(l - max)));
    }
}
