namespace Edgewise.Numerics.Tests;

public sealed class ComputePoolTests
{
    private unsafe struct CountJob(int* counts) : IComputeJob
    {
        public void Execute(int chunk) => Interlocked.Increment(ref counts[chunk]);
    }

    private struct ThrowingJob(int bad) : IComputeJob
    {
        public readonly void Execute(int chunk)
        {
            if (chunk == bad)
            {
                throw new InvalidOperationException("chunk " + chunk);
            }
        }
    }

    private struct NestedJob(ComputePool pool, int[] counts) : IComputeJob
    {
        public readonly void Execute(int chunk)
        {
            var inner = new ArrayJob(counts);
            pool.Run(ref inner, counts.Length);
        }
    }

    private struct SlowNestedJob(ComputePool pool, int[] counts, int[] workerChunks) : IComputeJob
    {
        public readonly void Execute(int chunk)
        {
            // Slow enough that the worker thread claims chunks too, so nested calls start on the worker.
            Thread.Sleep(2);
            if (Thread.CurrentThread.Name?.StartsWith("Edgewise compute", StringComparison.Ordinal) == true)
            {
                Interlocked.Increment(ref workerChunks[0]);
            }

            var inner = new ArrayJob(counts);
            pool.Run(ref inner, counts.Length);
        }
    }

    private readonly struct ArrayJob(int[] counts) : IComputeJob
    {
        public void Execute(int chunk) => Interlocked.Increment(ref counts[chunk]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public unsafe void Run_RepeatedDispatch_RunsEveryChunkOnce(int threads)
    {
        using var pool = new ComputePool(threads, spinMicroseconds: 50);
        var counts = new int[257];
        fixed (int* p = counts)
        {
            for (var round = 1; round <= 2000; round++)
            {
                var job = new CountJob(p);
                var chunks = 1 + round % counts.Length;
                pool.Run(ref job, chunks);
                Assert.Equal(round, Volatile.Read(ref counts[0]));
            }
        }

        var expected = new int[counts.Length];
        for (var round = 1; round <= 2000; round++)
        {
            for (var c = 0; c < 1 + round % counts.Length; c++)
            {
                expected[c]++;
            }
        }

        Assert.Equal(expected, counts);
    }

    [Fact]
    public void Run_AfterWorkersBlocked_StillRunsEveryChunk()
    {
        using var pool = new ComputePool(3, spinMicroseconds: 0);
        for (var round = 0; round < 50; round++)
        {
            Thread.Sleep(round % 5 == 0 ? 5 : 0);
            var counts = new int[64];
            var job = new ArrayJob(counts);
            pool.Run(ref job, counts.Length);
            Assert.All(counts, c => Assert.Equal(1, c));
        }
    }

    [Fact]
    public void Run_ChunkThrows_RethrowsAndPoolStaysUsable()
    {
        using var pool = new ComputePool(2);
        var job = new ThrowingJob(17);
        var ex = Assert.Throws<InvalidOperationException>(() => pool.Run(ref job, 40));
        Assert.Equal("chunk 17", ex.Message);

        var counts = new int[40];
        var ok = new ArrayJob(counts);
        pool.Run(ref ok, counts.Length);
        Assert.All(counts, c => Assert.Equal(1, c));
    }

    [Fact]
    public void Run_NestedCall_RunsInline()
    {
        using var pool = new ComputePool(2);
        var counts = new int[8];
        var job = new NestedJob(pool, counts);
        pool.Run(ref job, 4);
        Assert.All(counts, c => Assert.Equal(4, c));
    }

    [Fact]
    public async Task Run_NestedCallOnWorkerThread_RunsInlineWithoutDeadlock()
    {
        // Disposed only on success: after a deadlock, Dispose would wait forever for the stuck worker.
        var pool = new ComputePool(2, spinMicroseconds: 100_000);
        var counts = new int[8];
        var workerChunks = new int[1];
        var run = Task.Run(() =>
        {
            for (var round = 0; round < 20; round++)
            {
                var job = new SlowNestedJob(pool, counts, workerChunks);
                pool.Run(ref job, 8);
            }
        }, TestContext.Current.CancellationToken);

        // A deadlock shows as a TimeoutException here instead of a hung test run.
        await run.WaitAsync(TimeSpan.FromMinutes(2), TestContext.Current.CancellationToken);
        pool.Dispose();
        Assert.All(counts, c => Assert.Equal(20 * 8, c));
        Assert.True(workerChunks[0] > 0, "the worker thread never ran a chunk, so the nested path was not exercised");
    }

    [Fact]
    public void Run_ConcurrentCallers_EachJobComplete()
    {
        using var pool = new ComputePool(2);
        var arrays = Enumerable.Range(0, 4).Select(_ => new int[100]).ToArray();
        Parallel.For(0, arrays.Length, i =>
        {
            for (var round = 0; round < 50; round++)
            {
                var job = new ArrayJob(arrays[i]);
                pool.Run(ref job, 100);
            }
        });
        Assert.All(arrays, a => Assert.All(a, c => Assert.Equal(50, c)));
    }

    [Fact]
    public void Dispose_ThenRun_ThrowsObjectDisposed()
    {
        var pool = new ComputePool(3);
        pool.Dispose();
        pool.Dispose();
        var job = new ArrayJob(new int[4]);
        Assert.Throws<ObjectDisposedException>(() => pool.Run(ref job, 4));
    }

    [Fact]
    public void Constructor_Defaults_UsePhysicalCores()
    {
        using var pool = new ComputePool();
        Assert.Equal(ComputePool.DefaultThreadCount, pool.ThreadCount);
        Assert.InRange(ComputePool.DefaultThreadCount, 1, Environment.ProcessorCount);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ComputePool(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ComputePool(2, -1));
    }

    [Fact]
    public void Run_ZeroOrNegativeChunks()
    {
        using var pool = new ComputePool(2);
        var job = new ArrayJob([]);
        pool.Run(ref job, 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Run(ref job, -1));
    }

    [Fact]
    public unsafe void Run_BackToBackJobsOfGrowingChunkCounts_EveryChunkOnceAndDoneBeforeReturn()
    {
        // A worker still finishing job k could read job k+1's larger chunk count and claim a chunk of it under job k's
        // generation: that chunk ran twice, and Run could return while it still ran (then the job's memory was gone).
        using var pool = new ComputePool(3, spinMicroseconds: 50);
        var counts = new int[16];
        fixed (int* p = counts)
        {
            for (var i = 0; i < 200_000; i++)
            {
                var chunks = 2 + (i % 15);
                var job = new CountJob(p);
                pool.Run(ref job, chunks);
                for (var c = 0; c < counts.Length; c++)
                {
                    var expected = c < chunks ? 1 : 0;
                    if (Volatile.Read(ref counts[c]) != expected)
                    {
                        Assert.Fail($"job {i} ({chunks} chunks): chunk {c} ran {counts[c]} times by the time Run returned");
                    }

                    counts[c] = 0;
                }
            }
        }
    }
}
