using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Edgewise.Models.Hardware;

/// <summary>
/// The real probe: processors from the runtime, SIMD from <c>System.Runtime.Intrinsics</c>, memory from
/// <c>/proc/meminfo</c> (else the GC's view, which honours container limits), disk from the drive holding the data
/// directory, GPUs from <c>/proc/driver/nvidia</c> and <c>/dev/dri</c>.
/// </summary>
public sealed class SystemHardwareProbe(string? dataDirectory = null) : IHardwareProbe, IMemoryProbe
{
    /// <inheritdoc/>
    public long TotalBytes => ReadMemory().Total;

    /// <inheritdoc/>
    public long AvailableBytes => ReadMemory().Available;

    /// <inheritdoc/>
    public HardwareInfo Probe()
    {
        var (total, available) = ReadMemory();
        return new HardwareInfo
        {
            LogicalCores = Environment.ProcessorCount,
            Architecture = RuntimeInformation.ProcessArchitecture.ToString(),
            SimdLevel = SimdLevel(),
            TotalMemoryBytes = total,
            AvailableMemoryBytes = available,
            FreeDiskBytes = FreeDisk(dataDirectory),
            Gpus = Gpus(),
        };
    }

    /// <summary>The widest SIMD level this process can use.</summary>
    public static string SimdLevel()
    {
        if (Avx512F.IsSupported && Avx512BW.IsSupported)
        {
            return "avx512";
        }

        if (Avx2.IsSupported && Fma.IsSupported)
        {
            return "avx2";
        }

        if (Avx.IsSupported)
        {
            return "avx";
        }

        if (Sse42.IsSupported)
        {
            return "sse4.2";
        }

        if (AdvSimd.IsSupported)
        {
            return Dp.IsSupported ? "neon-dotprod" : "neon";
        }

        return System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated ? "vector128" : "scalar";
    }

    private static (long Total, long Available) ReadMemory() => Edgewise.Inference.Model.SystemMemory.Read();

    private static long? FreeDisk(string? directory)
    {
        try
        {
            var path = Path.GetFullPath(directory ?? Models.Storage.EdgewiseHome.Resolve());
            while (!Directory.Exists(path) && Path.GetDirectoryName(path) is { } parent)
            {
                path = parent;
            }

            var root = Path.GetPathRoot(path);
            return root is null ? null : new DriveInfo(path).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    private static List<string> Gpus()
    {
        var gpus = new List<string>();
        if (Directory.Exists("/proc/driver/nvidia/gpus") || File.Exists("/dev/nvidia0"))
        {
            gpus.Add("nvidia");
        }

        if (Directory.Exists("/dev/dri") && Directory.EnumerateFileSystemEntries("/dev/dri", "renderD*").Any())
        {
            gpus.Add("dri");
        }

        return gpus;
    }
}
