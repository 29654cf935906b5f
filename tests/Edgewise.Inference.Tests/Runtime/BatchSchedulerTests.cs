using System.Collections.Concurrent;
using Edgewise.Inference.Model;
using Edgewise.Inference.Runtime;
using Edgewise.Testing;

namespace Edgewise.Inference.Tests.Runtime;

public sealed class BatchSchedulerTests : IDisposable
{
    private static readonly int[][] s_prompts =
    [
        [9707, 11, 1879, 0, 358, 1079, 264, 1273, 315, 279, 1849, 13],
        [785, 6722, 315, 9625, 374],
        [40, 1075, 311, 1349, 6467, 911, 279, 9396, 323, 279, 12884, 11, 323, 358],
        [3838, 374, 220, 17, 488, 220, 17, 30],
    ];

    private readonly LocalModel _model = LocalModel.Load(SharedPaths.ReferenceFile("models", "ref-qwen2-F32.gguf"));

    public void Dispose() => _model.Dispose();

    [Fact]
    public async Task Enqueue_SequencesJoiningAtDifferentSteps_GreedySameAsDecodedAlone()
    {
        const int Tokens = 10;
        var expected = s_prompts.Select(p => DecodeAlone(p, Tokens)).ToArray();
        using var context = _model.CreateContext(new ContextOptions { SequenceCount = 3, ContextLength = 128 });
        using var scheduler = new BatchScheduler(context, prefixes: null);
        var sequences = s_prompts.Select(p => new GreedySequence(p, Tokens)).ToArray();

        // The first starts alone; the second joins at its 2nd token, the third at its 4th, the fourth waits for a free slot.
        sequences[0].OnStep[2] = () => scheduler.Enqueue(sequences[1]);
        sequences[0].OnStep[4] = () => scheduler.Enqueue(sequences[2]);
        sequences[1].OnStep[1] = () => scheduler.Enqueue(sequences[3]);
        scheduler.Enqueue(sequences[0]);
        await Task.WhenAll(sequences.Select(s => s.Done)).WaitAsync(TimeSpan.FromMinutes(5), TestContext.Current.CancellationToken);

        for (var i = 0; i < s_prompts.Length; i++)
        {
            Assert.Equal(expected[i], sequences[i].Tokens);
        }

        Assert.True(scheduler.Steps < sequences.Sum(s => s.Tokens.Count), $"{scheduler.Steps} steps for {sequences.Sum(s => s.Tokens.Count)} tokens: not batched");
        Assert.Equal(s_prompts.Sum(p => p.Length), scheduler.EvaluatedPromptTokens);
    }

    [Fact]
    public async Task Step_SteadyStateDecode_AllocatesNothing()
    {
        using var context = _model.CreateContext(new ContextOptions { SequenceCount = 3, ContextLength = 128 });
        using var scheduler = new BatchScheduler(context, prefixes: null);
        var sequences = s_prompts.Take(3).Select(p => new GreedySequence(p, 40, recordAllocations: true)).ToArray();
        foreach (var sequence in sequences)
        {
            scheduler.Enqueue(sequence);
        }

        await Task.WhenAll(sequences.Select(s => s.Done)).WaitAsync(TimeSpan.FromMinutes(5), TestContext.Current.CancellationToken);

        // Each entry is the scheduler thread's allocation count when the sequence saw a step's logits: between
        // two later steps (a whole forward pass and the scheduling around it) nothing may be allocated.
        var allocations = sequences[0].Allocations;
        Assert.True(allocations.Count >= 30);
        Assert.Equal(allocations[20], allocations[^1]);
    }

    [Fact]
    public async Task Enqueue_CancelledWhileWaiting_CompletesCancelledAndOthersRun()
    {
        using var context = _model.CreateContext(new ContextOptions { SequenceCount = 1, ContextLength = 128 });
        using var scheduler = new BatchScheduler(context, prefixes: null);
        var first = new GreedySequence(s_prompts[0], 6);
        var waiting = new GreedySequence(s_prompts[1], 6);
        var last = new GreedySequence(s_prompts[2], 3);
        first.OnStep[1] = waiting.Cancel;
        waiting.OnStep[0] = () => throw new InvalidOperationException("a cancelled sequence ran");

        scheduler.Enqueue(first);
        scheduler.Enqueue(waiting);
        scheduler.Enqueue(last);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.Done.WaitAsync(TimeSpan.FromMinutes(5), TestContext.Current.CancellationToken));
        await Task.WhenAll(first.Done, last.Done).WaitAsync(TimeSpan.FromMinutes(5), TestContext.Current.CancellationToken);
        Assert.Equal(DecodeAlone(s_prompts[2], 3), last.Tokens);
    }

    [Fact]
    public async Task Restore_CachedPrefix_SameLogitsAndPrefixNotRecomputed()
    {
        int[] shared = [.. s_prompts[0], .. s_prompts[2], .. s_prompts[3]];
        int[] prompt = [.. shared, .. s_prompts[1]];
        using var context = _model.CreateContext(new ContextOptions { SequenceCount = 2, ContextLength = 128 });
        var prefixes = new PrefixCache(context.Cache, 64L << 20);
        using var scheduler = new BatchScheduler(context, prefixes);

        var warm = new GreedySequence([.. shared, 13], 1);
        scheduler.Enqueue(warm);
        await warm.Done.WaitAsync(TimeSpan.FromMinutes(5), TestContext.Current.CancellationToken);
        var before = scheduler.EvaluatedPromptTokens;
        var cached = new GreedySequence(prompt, 4, keepLogits: true);
        scheduler.Enqueue(cached);
        await cached.Done.WaitAsync(TimeSpan.FromMinutes(5), TestContext.Current.CancellationToken);

        var reused = shared.Length / PrefixCache.BlockTokens * PrefixCache.BlockTokens;
        Assert.True(reused >= 32);
        Assert.Equal(reused, cached.ReusedPromptTokens);
        Assert.Equal(prompt.Length - reused, scheduler.EvaluatedPromptTokens - before);
        using var fresh = _model.CreateContext(new ContextOptions { ContextLength = 128 });
        var expected = fresh.Evaluate(prompt).ToArray();
        var maxDiff = expected.Zip(cached.FirstLogits!, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(maxDiff <= 1e-4f, $"max |Δlogit| = {maxDiff}");
        Assert.Equal(DecodeAlone(prompt, 4), cached.Tokens);
    }

    [Fact]
    public void Store_OverBudget_EvictsLeastRecentlyUsed()
    {
        using var context = _model.CreateContext(new ContextOptions { SequenceCount = 1, ContextLength = 128 });
        var oneBlock = 2L * PrefixCache.BlockTokens * context.Cache.PositionValues * sizeof(ushort);
        var prefixes = new PrefixCache(context.Cache, 2 * oneBlock);
        var a = Enumerable.Range(100, 32).ToArray();
        var b = Enumerable.Range(500, 16).ToArray();

        prefixes.Store(a, context.Cache, 0);
        Assert.Equal(2, prefixes.Count);
        Assert.Equal(16, prefixes.Restore(a, 20, context.Cache, 0));
        prefixes.Store(b, context.Cache, 0);

        Assert.Equal(2, prefixes.Count);
        Assert.Equal(16, prefixes.Restore(a, 40, context.Cache, 0));
        Assert.Equal(16, prefixes.Restore(b, 40, context.Cache, 0));
        Assert.Equal(0, prefixes.Restore([.. b.Select(t => t + 1)], 40, context.Cache, 0));
    }

    [Fact]
    public void Store_ManyDistinctPrompts_HoldsAtItsCapacityAndNoMore()
    {
        // A server sees distinct prompts without end; the cache grows to its budget, then each new block replaces the
        // oldest, so the blocks held (and the arrays behind them) stay at the budget however many prompts come.
        using var context = _model.CreateContext(new ContextOptions { SequenceCount = 1, ContextLength = 128 });
        var oneBlock = 2L * PrefixCache.BlockTokens * context.Cache.PositionValues * sizeof(ushort);
        var prefixes = new PrefixCache(context.Cache, (10 * oneBlock) + (oneBlock / 2));
        var counts = new List<int>();

        for (var prompt = 0; prompt < 200; prompt++)
        {
            prefixes.Store([.. Enumerable.Range(1000 + (prompt * 48), 48)], context.Cache, 0);
            counts.Add(prefixes.Count);
        }

        Assert.Equal(oneBlock, prefixes.BlockBytes);
        Assert.Equal([3, 6, 9, 10], counts.Distinct());
        Assert.Equal(10 * oneBlock, prefixes.Bytes);
        Assert.True(prefixes.Bytes + prefixes.BlockBytes > prefixes.CapacityBytes);
        Assert.Equal(48, prefixes.Restore([.. Enumerable.Range(1000 + (199 * 48), 48)], 48, context.Cache, 0));
        Assert.Equal(0, prefixes.Restore([.. Enumerable.Range(1000, 48)], 48, context.Cache, 0));
    }

    [Fact]
    public void Store_Full_NewBlocksReuseEvictedOnesAndAllocateNothing()
    {
        // Once full, each new block replaces the oldest. Allocating new entries there left the evicted ones as garbage
        // in the oldest generation, which a server under steady load collects rarely: its memory crept up after the
        // cache was full (R03 soak). The evicted entries are reused instead.
        using var context = _model.CreateContext(new ContextOptions { SequenceCount = 1, ContextLength = 128 });
        var oneBlock = 2L * PrefixCache.BlockTokens * context.Cache.PositionValues * sizeof(ushort);
        var prefixes = new PrefixCache(context.Cache, 10 * oneBlock);
        var prompts = Enumerable.Range(0, 60).Select(p => Enumerable.Range(1000 + (p * 32), 32).ToArray()).ToArray();
        for (var p = 0; p < 10; p++)
        {
            prefixes.Store(prompts[p], context.Cache, 0);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var p = 10; p < 60; p++)
        {
            prefixes.Store(prompts[p], context.Cache, 0);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(10, prefixes.Count);
        Assert.Equal(32, prefixes.Restore(prompts[59], 32, context.Cache, 0));
        Assert.Equal(0, prefixes.Restore(prompts[54], 32, context.Cache, 0));
    }

    private List<int> DecodeAlone(int[] prompt, int tokens)
    {
        using var context = _model.CreateContext(new ContextOptions { ContextLength = 128 });
        var result = new List<int>();
        var next = ArgMax(context.Evaluate(prompt));
        while (true)
        {
            result.Add(next);
            if (result.Count == tokens)
            {
                return result;
            }

            next = ArgMax(context.Evaluate([next]));
        }
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

    /// <summary>Greedy decoding of a fixed number of tokens, with hooks run on the scheduler thread at given steps.</summary>
    private sealed class GreedySequence(int[] prompt, int tokens, bool recordAllocations = false, bool keepLogits = false) : BatchSequence(prompt)
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly long[] _allocations = new long[tokens];

        public List<int> Tokens { get; } = new(tokens);

        public ConcurrentDictionary<int, Action> OnStep { get; } = new();

        public float[]? FirstLogits { get; private set; }

        public List<long> Allocations => [.. _allocations.Take(Tokens.Count)];

        public Task Done => _done.Task;

        public override int OnLogits(ReadOnlySpan<float> logits)
        {
            if (recordAllocations)
            {
                _allocations[Tokens.Count] = GC.GetAllocatedBytesForCurrentThread();
            }

            if (keepLogits && FirstLogits is null)
            {
                FirstLogits = logits.ToArray();
            }

            if (OnStep.TryGetValue(Tokens.Count, out var hook))
            {
                hook();
            }

            var token = ArgMax(logits);
            Tokens.Add(token);
            return Tokens.Count < tokens ? token : -1;
        }

        protected override void OnCompleted(Exception? error)
        {
            if (error is null)
            {
                _done.TrySetResult();
            }
            else if (error is OperationCanceledException)
            {
                _done.TrySetCanceled();
            }
            else
            {
                _done.TrySetException(error);
            }
        }
    }
}
