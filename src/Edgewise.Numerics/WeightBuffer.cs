using System.Runtime.InteropServices;

namespace Edgewise.Numerics;

/// <summary>
/// Native memory holding re-laid weights (see <see cref="WeightPacking.Pack(WeightLayout, TensorType, nint, nint, int, int)"/>;
/// a model puts all its re-laid matrices in one), freed by <see cref="Dispose"/>. Its size is rounded up to 2 MiB, so
/// one buffer per model rather than per matrix keeps that rounding from adding up. It is aligned to 2 MiB and, on Linux, advised to use transparent huge pages: a token
/// streams every weight once, and with 4 KiB pages the TLB misses of that stream cost more than the layout gains (the
/// memory-mapped GGUF file is usually served from huge page-cache folios already).
/// </summary>
public sealed unsafe partial class WeightBuffer : IDisposable
{
    private const nuint HugePage = 2 * 1024 * 1024;
    private const int AdviseHugePage = 14;
    private void* _memory;

    /// <summary>Allocates <paramref name="length"/> bytes (uninitialized).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative.</exception>
    /// <exception cref="OutOfMemoryException">The memory cannot be allocated.</exception>
    public WeightBuffer(long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var size = ((nuint)Math.Max(length, 1) + HugePage - 1) & ~(HugePage - 1);
        _memory = NativeMemory.AlignedAlloc(size, HugePage);
        Length = length;
        if (OperatingSystem.IsLinux())
        {
            try
            {
                // Advice only: a kernel without THP, or with it disabled, leaves 4 KiB pages and the result unchanged.
                _ = Advise((nint)_memory, size, AdviseHugePage);
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                // No C library madvise: keep the default pages.
            }
        }
    }

    /// <summary>Address of the first byte; zero after <see cref="Dispose"/>.</summary>
    public nint Address => (nint)_memory;

    /// <summary>Bytes of weights held.</summary>
    public long Length { get; }

    /// <summary>Frees the memory. The weights must not be used afterwards.</summary>
    public void Dispose()
    {
        if (_memory != null)
        {
            NativeMemory.AlignedFree(_memory);
            _memory = null;
        }
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Advise(nint address, nuint length, int advice);
}
