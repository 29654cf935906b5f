using Edgewise.Numerics;

namespace Edgewise.Inference.Runtime.Kernels;

/// <summary>
/// One <see cref="ComputePool"/> per thread count for the whole process, shared by every context: the cores are
/// shared anyway, and one set of spinning workers (not one per context) keeps them from competing with each other.
/// The pools live as long as the process (their workers are background threads that block when idle).
/// </summary>
internal static class SharedComputePools
{
    private static readonly Lock s_lock = new();
    private static readonly Dictionary<int, ComputePool> s_pools = [];

    /// <summary>The pool of <paramref name="threads"/> threads (null: <see cref="ComputePool.DefaultThreadCount"/>).</summary>
    public static ComputePool Get(int? threads)
    {
        var count = threads ?? ComputePool.DefaultThreadCount;
        lock (s_lock)
        {
            if (!s_pools.TryGetValue(count, out var pool))
            {
                pool = new ComputePool(count);
                s_pools.Add(count, pool);
            }

            return pool;
        }
    }
}
