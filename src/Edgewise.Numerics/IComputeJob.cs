namespace Edgewise.Numerics;

/// <summary>
/// A unit of parallel work for <see cref="ComputePool.Run{TJob}(ref TJob, int)"/>: implement it on a struct so the JIT
/// specializes the dispatch and nothing is allocated.
/// </summary>
public interface IComputeJob
{
    /// <summary>Runs chunk <paramref name="chunk"/> (0 ≤ chunk &lt; the count given to Run); chunks may run in any order and concurrently.</summary>
    void Execute(int chunk);
}
