namespace Edgewise.Numerics;

/// <summary>Best-effort processor topology: physical cores, which compute threads should not exceed.</summary>
internal static class CpuTopology
{
    /// <summary>
    /// Distinct (package, core) pairs among the online CPUs on Linux, capped by <see cref="Environment.ProcessorCount"/>
    /// (which honours affinity and container limits); <see cref="Environment.ProcessorCount"/> elsewhere or on error.
    /// </summary>
    public static int PhysicalCores()
    {
        var logical = Environment.ProcessorCount;
        if (!OperatingSystem.IsLinux())
        {
            return logical;
        }

        try
        {
            var cores = new HashSet<(string Package, string Core)>();
            foreach (var dir in Directory.EnumerateDirectories("/sys/devices/system/cpu", "cpu*"))
            {
                var topology = Path.Combine(dir, "topology");
                var core = Path.Combine(topology, "core_id");
                var package = Path.Combine(topology, "physical_package_id");
                if (File.Exists(core) && File.Exists(package))
                {
                    cores.Add((File.ReadAllText(package).Trim(), File.ReadAllText(core).Trim()));
                }
            }

            return cores.Count == 0 ? logical : Math.Clamp(cores.Count, 1, logical);
        }
        catch (IOException)
        {
            return logical;
        }
        catch (UnauthorizedAccessException)
        {
            return logical;
        }
    }
}
