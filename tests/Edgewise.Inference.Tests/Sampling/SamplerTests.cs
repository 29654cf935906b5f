using Edgewise.Inference.Sampling;

namespace Edgewise.Inference.Tests.Sampling;

public sealed class SamplerTests
{
    private static readonly float[] s_logits = [1f, 3f, 2f, 3f, -1f, 0.5f, 2.5f, -4f];

    [Fact]
    public void Greedy_Tie_SmallerIdWins()
    {
        var chain = new SamplerChain(s_logits.Length, [new GreedySampler()]);

        Assert.Equal(1, chain.Sample(s_logits));
    }

    [Fact]
    public void Sort_TiesByIdAndDescending()
    {
        var c = Load(s_logits);

        c.Sort();

        Assert.Equal([1, 3, 6, 2, 0, 5, 4, 7], c.Ids.ToArray());
        Assert.Equal([3f, 3f, 2.5f, 2f, 1f, 0.5f, -1f, -4f], c.Logits.ToArray());
    }

    [Fact]
    public void TopK_KeepsLargest()
    {
        var c = Load(s_logits);

        new TopKSampler(3).Apply(c);

        Assert.Equal([1, 3, 6], c.Ids.ToArray());
    }

    [Fact]
    public void TopK_LargeVocabulary_PartialSelectionMatchesFullSort()
    {
        var random = new Random(3);
        var logits = new float[5000];
        for (var i = 0; i < logits.Length; i++)
        {
            logits[i] = MathF.Round((float)random.NextDouble() * 50f);
        }

        var partial = Load(logits);
        new TopKSampler(20).Apply(partial);
        var full = Load(logits);
        full.Sort();

        Assert.Equal(full.Ids[..20].ToArray(), partial.Ids.ToArray());
    }

    [Fact]
    public void TopK_ZeroOrNegative_KeepsAll()
    {
        var c = Load(s_logits);

        new TopKSampler(0).Apply(c);

        Assert.Equal(s_logits.Length, c.Count);
    }

    [Fact]
    public void TopP_KeepsSmallestPrefixReachingMass()
    {
        // Probabilities 0.5, 0.25, 0.125, 0.125.
        float[] logits = [MathF.Log(0.125f), MathF.Log(0.5f), MathF.Log(0.25f), MathF.Log(0.125f)];
        var c = Load(logits);

        new TopPSampler(0.7f).Apply(c);

        Assert.Equal([1, 2], c.Ids.ToArray());
    }

    [Fact]
    public void TopP_One_KeepsAll()
    {
        var c = Load(s_logits);

        new TopPSampler(1f).Apply(c);

        Assert.Equal(s_logits.Length, c.Count);
    }

    [Fact]
    public void MinP_DropsBelowRatioOfBest()
    {
        float[] logits = [MathF.Log(0.5f), MathF.Log(0.3f), MathF.Log(0.04f), MathF.Log(0.16f)];
        var c = Load(logits);

        new MinPSampler(0.3f).Apply(c);

        Assert.Equal([0, 1, 3], c.Ids.ToArray());
    }

    [Fact]
    public void Temperature_DividesLogits()
    {
        var c = Load([2f, -4f]);

        new TemperatureSampler(0.5f).Apply(c);

        Assert.Equal([4f, -8f], c.Logits.ToArray());
    }

    [Fact]
    public void Temperature_Zero_KeepsOnlyBest()
    {
        var c = Load(s_logits);

        new TemperatureSampler(0f).Apply(c);

        Assert.Equal([1], c.Ids.ToArray());
    }

    [Fact]
    public void LogitBias_AddsByIdAndBans()
    {
        var chain = new SamplerChain(s_logits.Length, [new LogitBiasSampler(new Dictionary<int, float> { [1] = float.NegativeInfinity, [3] = float.NegativeInfinity, [7] = 10f }), new GreedySampler()]);

        Assert.Equal(7, chain.Sample(s_logits));
    }

    [Fact]
    public void Penalties_LikeLlamaCpp()
    {
        var penalty = new PenaltySampler(lastN: 4, repetition: 2f, frequency: 0.5f, presence: 0.25f);
        penalty.Accept(1);
        penalty.Accept(1);
        penalty.Accept(4);
        var c = Load(s_logits);

        penalty.Apply(c);

        Assert.Equal(3f / 2 - (2 * 0.5f) - 0.25f, c.Logits[1], 6);
        Assert.Equal((-1f * 2) - 0.5f - 0.25f, c.Logits[4], 6);
        Assert.Equal(3f, c.Logits[3]);
    }

    [Fact]
    public void Penalties_WindowForgetsOldTokens()
    {
        var penalty = new PenaltySampler(lastN: 2, repetition: 2f, frequency: 0f, presence: 0f);
        penalty.Accept(1);
        penalty.Accept(2);
        penalty.Accept(3);
        var c = Load(s_logits);

        penalty.Apply(c);

        Assert.Equal(3f, c.Logits[1]);
        Assert.Equal(1f, c.Logits[2]);
        Assert.Equal(1.5f, c.Logits[3]);
    }

    [Fact]
    public void Penalties_Reset_ForgetsAll()
    {
        var penalty = new PenaltySampler(4, 2f, 1f, 1f);
        penalty.Accept(1);
        penalty.Reset();
        var c = Load(s_logits);

        penalty.Apply(c);

        Assert.Equal(s_logits, c.Logits.ToArray());
    }

    [Fact]
    public void Distribution_SameSeed_SameSequence()
    {
        var a = Draws(new SamplingOptions { Temperature = 1.5f, TopK = 0, TopP = 1f, MinP = 0f, Seed = 42 });
        var b = Draws(new SamplingOptions { Temperature = 1.5f, TopK = 0, TopP = 1f, MinP = 0f, Seed = 42 });
        var c = Draws(new SamplingOptions { Temperature = 1.5f, TopK = 0, TopP = 1f, MinP = 0f, Seed = 43 });

        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.True(a.Distinct().Count() > 3);
    }

    [Fact]
    public void Distribution_Reset_Replays()
    {
        var chain = SamplerChain.Create(new SamplingOptions { Temperature = 1f, Seed = 5, TopK = 0, TopP = 1f, MinP = 0f }, s_logits.Length);
        var first = Enumerable.Range(0, 20).Select(_ => chain.Sample(s_logits)).ToArray();

        chain.Reset();
        var second = Enumerable.Range(0, 20).Select(_ => chain.Sample(s_logits)).ToArray();

        Assert.Equal(first, second);
    }

    [Fact]
    public void Distribution_FrequenciesFollowSoftmax()
    {
        float[] logits = [0f, MathF.Log(3f)];
        var chain = SamplerChain.Create(new SamplingOptions { Temperature = 1f, Seed = 9, TopK = 0, TopP = 1f, MinP = 0f }, 2);

        var ones = Enumerable.Range(0, 4000).Count(_ => chain.Sample(logits) == 1);

        Assert.InRange(ones, 2800, 3200);
    }

    [Fact]
    public void Create_ZeroTemperature_Greedy()
    {
        var chain = SamplerChain.Create(new SamplingOptions { Temperature = 0f }, s_logits.Length);

        Assert.IsType<GreedySampler>(chain.Samplers[^1]);
        Assert.Equal(1, chain.Sample(s_logits));
    }

    [Fact]
    public void Create_TopKOne_AlwaysBest()
    {
        var chain = SamplerChain.Create(new SamplingOptions { Temperature = 5f, TopK = 1, Seed = 1 }, s_logits.Length);

        Assert.All(Enumerable.Range(0, 50), _ => Assert.Equal(1, chain.Sample(s_logits)));
    }

    [Fact]
    public void Chain_Create_LargeVocabulary_AllocatesNoVocabularySizedArrays()
    {
        // A served request creates a chain; its candidates (three arrays of the vocabulary's size, 1.8 MB for 152K
        // tokens, on the large-object heap) came with it, ~90 MB/s of LOH garbage and two gen-2 collections a second
        // under a 72-client load. A chain now allocates them only when it samples without shared candidates.
        const int Vocabulary = 151_936;
        var options = new SamplingOptions { Temperature = 0.7f, Seed = 1 };
        SamplerChain.Create(options, Vocabulary);
        var before = GC.GetAllocatedBytesForCurrentThread();

        var chain = SamplerChain.Create(options, Vocabulary);

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 16 * 1024, $"creating a chain allocated {allocated} bytes");
        GC.KeepAlive(chain);
    }

    [Fact]
    public void Chain_SharedCandidates_SameTokensAsOwnCandidates()
    {
        var options = new SamplingOptions { Temperature = 1f, Seed = 7, TopK = 0, TopP = 1f, MinP = 0f };
        var alone = new[] { SamplerChain.Create(options, s_logits.Length), SamplerChain.Create(options with { Seed = 8 }, s_logits.Length) };
        var shared = new[] { SamplerChain.Create(options, s_logits.Length), SamplerChain.Create(options with { Seed = 8 }, s_logits.Length) };
        var candidates = new TokenCandidates(s_logits.Length);

        for (var step = 0; step < 40; step++)
        {
            for (var i = 0; i < 2; i++)
            {
                var expected = alone[i].Sample(s_logits);
                Assert.Equal(expected, shared[i].Sample(s_logits, candidates));
                alone[i].Accept(expected);
                shared[i].Accept(expected);
            }
        }
    }

    [Fact]
    public void Chain_AcceptReachesPenalties()
    {
        var chain = SamplerChain.Create(new SamplingOptions { Temperature = 0f, RepetitionPenalty = 10f }, s_logits.Length);
        chain.Accept(1);
        chain.Accept(3);

        Assert.Equal(6, chain.Sample(s_logits));
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(1.5f)]
    public void TopP_OutOfRange_Throws(float p) => Assert.Throws<ArgumentOutOfRangeException>(() => new TopPSampler(p));

    private static TokenCandidates Load(float[] logits)
    {
        var c = new TokenCandidates(logits.Length);
        c.Load(logits);
        return c;
    }

    private static int[] Draws(SamplingOptions options)
    {
        var chain = SamplerChain.Create(options, s_logits.Length);
        return [.. Enumerable.Range(0, 30).Select(_ => chain.Sample(s_logits))];
    }
}
