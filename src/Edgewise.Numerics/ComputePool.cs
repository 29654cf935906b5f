using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace Edgewise.Numerics;

/// <summary>
/// A thread pool for compute kernels: <see cref="ThreadCount"/> − 1 dedicated workers plus the calling thread share the
/// chunks of one job through an atomic counter. Workers spin briefly after a job (the next matrix product of a
/// forward pass usually follows within microseconds), then block. One job runs at a time; a call from inside a job
/// (on the calling thread or on a worker) runs inline on that thread. Nothing is allocated per dispatch.
/// </summary>
public sealed unsafe class ComputePool : IDisposable
{
    private readonly Thread[] _workers;
    private readonly object _sleepLock = new();
    private readonly object _dispatchLock = new();
    private readonly long _spinTicks;

    /// <summary>High 32 bits: job generation; low 32 bits: the next chunk to claim.</summary>
    private long _state;
    private int _chunks;
    private int _done;
    private int _sleeping;
    private void* _job;
    private delegate*<void*, int, void> _invoke;
    private Exception? _error;
    private volatile bool _disposed;

    [ThreadStatic]
    private static ComputePool? t_running;

    /// <summary>Creates a pool of <paramref name="threadCount"/> threads including the caller.</summary>
    /// <param name="threadCount">Threads including the calling one; null means <see cref="DefaultThreadCount"/>.</param>
    /// <param name="spinMicroseconds">How long an idle worker spins before it blocks; null means 200 µs.</param>
    /// <exception cref="ArgumentOutOfRangeException">A count is below 1 or the spin time is negative.</exception>
    public ComputePool(int? threadCount = null, int? spinMicroseconds = null)
    {
        var count = threadCount ?? DefaultThreadCount;
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1, nameof(threadCount));
        var spin = spinMicroseconds ?? 200;
        ArgumentOutOfRangeException.ThrowIfNegative(spin, nameof(spinMicroseconds));
        _spinTicks = spin * Stopwatch.Frequency / 1_000_000;
        ThreadCount = count;
        _workers = new Thread[count - 1];
        for (var i = 0; i < _workers.Length; i++)
        {
            _workers[i] = new Thread(WorkerLoop) { IsBackground = true, Name = $"Edgewise compute {i + 1}" };
            _workers[i].Start();
        }
    }

    /// <summary>Physical cores available to this process (logical processors when the topology is unknown).</summary>
    public static int DefaultThreadCount { get; } = CpuTopology.PhysicalCores();

    /// <summary>Threads that run chunks, including the caller of <see cref="Run{TJob}(ref TJob, int)"/>.</summary>
    public int ThreadCount { get; }

    /// <summary>
    /// Runs <paramref name="job"/>.Execute(c) for every c in [0, <paramref name="chunks"/>) on the pool and the calling
    /// thread, and returns when all have finished. The first exception thrown by a chunk is rethrown here (the other
    /// chunks still run).
    /// </summary>
    /// <typeparam name="TJob">A struct job; it runs on a copy, so results go through memory the job points to.</typeparam>
    /// <exception cref="ObjectDisposedException">The pool is disposed.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="chunks"/> is negative.</exception>
    public void Run<TJob>(ref TJob job, int chunks)
        where TJob : struct, IComputeJob
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(chunks);
        if (chunks == 0)
        {
            return;
        }

        if (chunks == 1 || _workers.Length == 0 || t_running is not null)
        {
            for (var c = 0; c < chunks; c++)
            {
                job.Execute(c);
            }

            return;
        }

        var copy = job;
        lock (_dispatchLock)
        {
            t_running = this;
            try
            {
                Dispatch(Unsafe.AsPointer(ref copy), &Invoke<TJob>, chunks);
            }
            finally
            {
                t_running = null;
            }
        }
    }

    /// <summary>Stops the workers. Jobs must not be running.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        lock (_sleepLock)
        {
            Monitor.PulseAll(_sleepLock);
        }

        foreach (var worker in _workers)
        {
            worker.Join();
        }
    }

    private static void Invoke<TJob>(void* job, int chunk)
        where TJob : struct, IComputeJob => Unsafe.AsRef<TJob>(job).Execute(chunk);

    private void Dispatch(void* job, delegate*<void*, int, void> invoke, int chunks)
    {
        // A worker may still be in Work for the previous job, between reading the state (every chunk claimed) and
        // comparing it with _chunks. Were _chunks (and _job) replaced first, it could claim a chunk of the new job under
        // the old generation: that chunk would run twice and _done would count one too many, so this method could return
        // while a chunk still runs on the caller's job copy, which then no longer exists. So the old generation is closed
        // first (its claims fail from here on), then the job is written, then a new generation opens it.
        var closed = (int)(Volatile.Read(ref _state) >> 32) + 1;
        Interlocked.Exchange(ref _state, ((long)closed << 32) | int.MaxValue);
        _job = job;
        _invoke = invoke;
        _chunks = chunks;
        _done = 0;
        _error = null;
        var generation = closed + 1;
        Interlocked.Exchange(ref _state, (long)generation << 32);
        if (Volatile.Read(ref _sleeping) > 0)
        {
            lock (_sleepLock)
            {
                Monitor.PulseAll(_sleepLock);
            }
        }

        Work(generation);
        var spinner = default(SpinWait);
        while (Volatile.Read(ref _done) < chunks)
        {
            spinner.SpinOnce(sleep1Threshold: -1);
        }

        if (_error is { } error)
        {
            ExceptionDispatchInfo.Capture(error).Throw();
        }
    }

    /// <summary>Claims and runs chunks of <paramref name="generation"/> until none is left.</summary>
    private void Work(int generation)
    {
        while (true)
        {
            var state = Volatile.Read(ref _state);
            var chunk = (int)state;
            if ((int)(state >> 32) != generation || chunk >= Volatile.Read(ref _chunks))
            {
                return;
            }

            if (Interlocked.CompareExchange(ref _state, state + 1, state) != state)
            {
                continue;
            }

            try
            {
                _invoke(_job, chunk);
            }
            catch (Exception ex)
            {
                Interlocked.CompareExchange(ref _error, ex, null);
            }

            Interlocked.Increment(ref _done);
        }
    }

    private void WorkerLoop()
    {
        // A chunk that calls Run again (on any pool) runs that job inline: waiting for this pool's dispatch lock
        // from one of its own workers would deadlock against the caller that holds it.
        t_running = this;
        var seen = 0;
        while (true)
        {
            if (!WaitForJob(seen, out var generation))
            {
                return;
            }

            seen = generation;
            Work(generation);
        }
    }

    /// <summary>Spins, then blocks, until a generation other than <paramref name="seen"/> is published; false when disposed.</summary>
    private bool WaitForJob(int seen, out int generation)
    {
        generation = seen;
        var start = Stopwatch.GetTimestamp();
        while (Stopwatch.GetTimestamp() - start < _spinTicks)
        {
            for (var i = 0; i < 64; i++)
            {
                generation = (int)(Volatile.Read(ref _state) >> 32);
                if (generation != seen)
                {
                    return true;
                }

                if (_disposed)
                {
                    return false;
                }

                Thread.SpinWait(8);
            }
        }

        lock (_sleepLock)
        {
            Interlocked.Increment(ref _sleeping);
            try
            {
                while (true)
                {
                    generation = (int)(Volatile.Read(ref _state) >> 32);
                    if (generation != seen)
                    {
                        return true;
                    }

                    if (_disposed)
                    {
                        return false;
                    }

                    Monitor.Wait(_sleepLock);
                }
            }
            finally
            {
                Interlocked.Decrement(ref _sleeping);
            }
        }
    }
}
