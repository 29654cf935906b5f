namespace Edgewise.Models.Hardware;

/// <summary>What the hardware probe found.</summary>
public sealed record HardwareInfo
{
    /// <summary>Logical processors available to the process.</summary>
    public required int LogicalCores { get; init; }

    /// <summary>Processor architecture (<c>X64</c>, <c>Arm64</c>, ...).</summary>
    public required string Architecture { get; init; }

    /// <summary>Widest SIMD level the engine can use: <c>avx512</c>, <c>avx2</c>, <c>avx</c>, <c>sse4.2</c>, <c>neon-dotprod</c>, <c>neon</c>, <c>vector128</c> or <c>scalar</c>.</summary>
    public required string SimdLevel { get; init; }

    /// <summary>Physical memory in bytes (the container limit when lower).</summary>
    public required long TotalMemoryBytes { get; init; }

    /// <summary>Memory available for new allocations without swapping, in bytes.</summary>
    public required long AvailableMemoryBytes { get; init; }

    /// <summary>Free disk space under the data directory in bytes, or null when unknown.</summary>
    public long? FreeDiskBytes { get; init; }

    /// <summary>GPUs seen (<c>nvidia</c>, <c>dri</c>), empty when none; the engine computes on the CPU either way.</summary>
    public required IReadOnlyList<string> Gpus { get; init; }
}

/// <summary>Probes the machine; replaceable in tests.</summary>
public interface IHardwareProbe
{
    /// <summary>Probes now.</summary>
    HardwareInfo Probe();
}

/// <summary>Reads current memory figures; replaceable in tests.</summary>
public interface IMemoryProbe
{
    /// <summary>Physical memory (or the container limit) in bytes.</summary>
    long TotalBytes { get; }

    /// <summary>Memory available now, in bytes.</summary>
    long AvailableBytes { get; }
}
