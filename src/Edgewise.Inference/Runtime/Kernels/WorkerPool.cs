namespace Edgewise.Inference.Runtime.Kernels;

/// <summary>A unit of parallel work: <see cref="Execute"/> runs once per item, on some worker.</summary>
internal interface IParallelJob
{
    /// <summary>Processes <paramref name="item"/> with the scratch of <paramref name="worker"/> (0 ≤ worker &lt; worker count).</summary>
    void Execute(int worker, int item);
}

/// <summary>
/// Runs a job's items across a fixed number of workers that pull items from a shared counter, so each worker can
/// use its own preallocated scratch. Not reentrant: one job at a time per pool (a pool belongs to one context).
/// </summary>
internal sealed class WorkerPool
{
    private readonly Action<int> _body;
    private readonly ParallelOptions _options;
    private IParallelJob? _job;
    private int _items;
    private int _next;

    public WorkerPool(int workers)
    {
        Workers = Math.Max(1, workers);
        _options = new ParallelOptions { MaxDegreeOfParallelism = Workers };
        _body = RunWorker;
    }

    /// <summary>Number of workers (and of per-worker scratch slots callers must provide).</summary>
    public int Workers { get; }

    /// <summary>Runs <paramref name="items"/> items; serially on the calling thread when <paramref name="parallel"/> is false.</summary>
    public void Run(IParallelJob job, int items, bool parallel = true)
    {
        if (items <= 0)
        {
            return;
        }

        if (!parallel || Workers == 1 || items == 1)
        {
            for (var i = 0; i < items; i++)
            {
                job.Execute(0, i);
            }

            return;
        }

        _job = job;
        _items = items;
        _next = 0;
        try
        {
            Parallel.For(0, Math.Min(Workers, items), _options, _body);
        }
        finally
        {
            _job = null;
        }
    }

    private void RunWorker(int worker)
    {
        var job = _job!;
        int item;
        while ((item = Interlocked.Increment(ref _next) - 1) < _items)
        {
            job.Execute(worker, item);
        }
    }
}
