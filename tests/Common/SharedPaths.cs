namespace Edgewise.Testing;

/// <summary>
/// Locates ../shared (the reference data that sits beside the repository). EDGEWISE_SHARED wins when set
/// (.ci/run sets it); otherwise the folder is found by walking up from the test assembly.
/// </summary>
internal static class SharedPaths
{
    private static readonly Lazy<string> s_root = new(Find);

    /// <summary>The shared folder.</summary>
    public static string Root => s_root.Value;

    /// <summary>../shared/reference.</summary>
    public static string Reference => Path.Combine(Root, "reference");

    /// <summary>A file under ../shared/reference.</summary>
    public static string ReferenceFile(params string[] parts) => Path.Combine([Reference, .. parts]);

    private static string Find()
    {
        var fromEnv = Environment.GetEnvironmentVariable("EDGEWISE_SHARED");
        if (!string.IsNullOrEmpty(fromEnv) && Directory.Exists(Path.Combine(fromEnv, "reference")))
        {
            return fromEnv;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared");
            if (Directory.Exists(Path.Combine(candidate, "reference")))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("../shared/reference was not found; set EDGEWISE_SHARED.");
    }
}
