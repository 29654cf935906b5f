using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Edgewise.Numerics;

/// <summary>
/// Measures how fast this process can stream memory it only reads (what decoding a model does with its weights):
/// a buffer well beyond the last-level cache is summed with vector loads, split across a <see cref="ComputePool"/>.
/// The buffer is a <see cref="WeightBuffer"/>, on the huge pages the weights themselves use (the re-laid copies, and the
/// page cache's huge folios behind a mapped GGUF): with 4 KiB pages the TLB misses, not the memory, would set the figure.
/// </summary>
public static unsafe class ReadBandwidth
{
    private const long ChunkBytes = 1 << 20;

    /// <summary>Best of <paramref name="repetitions"/> passes over <paramref name="bufferBytes"/> bytes, in bytes per second.</summary>
    /// <param name="threads">Threads reading at once.</param>
    /// <param name="bufferBytes">Buffer size; default 512 MiB (beyond any cache). Rounded down to whole MiB.</param>
    /// <param name="repetitions">Timed passes after one warm-up pass.</param>
    /// <exception cref="ArgumentOutOfRangeException">A count is below 1, or the buffer is under 1 MiB.</exception>
    public static double Measure(int threads, long bufferBytes = 512L << 20, int repetitions = 3)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferBytes, ChunkBytes);
        ArgumentOutOfRangeException.ThrowIfLessThan(repetitions, 1);
        var chunks = (int)(bufferBytes / ChunkBytes);
        var size = chunks * ChunkBytes;
        using var memory = new WeightBuffer(size);
        var buffer = (byte*)memory.Address;
        {
            for (long o = 0; o < size; o += int.MaxValue / 2)
            {
                new Span<byte>(buffer + o, (int)Math.Min(int.MaxValue / 2, size - o)).Fill(1);
            }

            using var pool = new ComputePool(threads);
            var sums = new long[chunks];
            fixed (long* s = sums)
            {
                var job = new SumJob(buffer, s);
                var best = 0.0;
                for (var rep = -1; rep < repetitions; rep++)
                {
                    var start = Stopwatch.GetTimestamp();
                    pool.Run(ref job, chunks);
                    var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
                    if (rep >= 0)
                    {
                        best = Math.Max(best, size / seconds);
                    }
                }

                return best;
            }
        }
    }

    /// <summary>One chunk = one MiB summed with four independent vector accumulators (the sum keeps the loads alive).</summary>
    private readonly struct SumJob(byte* buffer, long* sums) : IComputeJob
    {
        public void Execute(int chunk)
        {
            var p = buffer + (chunk * ChunkBytes);
            var end = p + ChunkBytes;
            var a0 = Vector256<long>.Zero;
            var a1 = Vector256<long>.Zero;
            var a2 = Vector256<long>.Zero;
            var a3 = Vector256<long>.Zero;
            for (; p < end; p += 128)
            {
                a0 += Vector256.Load((long*)p);
                a1 += Vector256.Load((long*)(p + 32));
                a2 += Vector256.Load((long*)(p + 64));
                a3 += Vector256.Load((long*)(p + 96));
            }

            sums[chunk] = Vector256.Sum((a0 + a1) + (a2 + a3));
        }
    }
}
