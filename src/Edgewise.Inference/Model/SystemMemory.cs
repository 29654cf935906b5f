using System.Globalization;

namespace Edgewise.Inference.Model;

/// <summary>
/// This machine's memory as a process here may use it: <c>/proc/meminfo</c>'s <c>MemTotal</c> and <c>MemAvailable</c>
/// on Linux, capped by the GC's limit (which honours container limits); elsewhere the GC's view.
/// </summary>
public static class SystemMemory
{
    /// <summary>Total and available bytes, read now.</summary>
    public static (long Total, long Available) Read()
    {
        var gc = GC.GetGCMemoryInfo();
        var limit = gc.TotalAvailableMemoryBytes;
        try
        {
            if (File.Exists("/proc/meminfo") && ParseMemInfo(File.ReadAllText("/proc/meminfo")) is { } m)
            {
                return (Math.Min(m.Total, limit), Math.Min(m.Available, limit));
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return (limit, Math.Max(0, limit - gc.MemoryLoadBytes));
    }

    /// <summary>Parses <c>MemTotal</c> and <c>MemAvailable</c> (kB) from <c>/proc/meminfo</c> text; null when either is missing.</summary>
    internal static (long Total, long Available)? ParseMemInfo(string text)
    {
        long? total = null, available = null;
        foreach (var line in text.Split('\n'))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length >= 2 && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var kb))
            {
                switch (parts[0])
                {
                    case "MemTotal:":
                        total = kb * 1024;
                        break;
                    case "MemAvailable:":
                        available = kb * 1024;
                        break;
                }
            }
        }

        return total is { } t && available is { } a ? (t, a) : null;
    }
}
