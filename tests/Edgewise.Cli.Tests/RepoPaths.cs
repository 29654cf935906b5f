namespace Edgewise.Cli.Tests;

/// <summary>The repository checkout the tests were built from (found by walking up to Edgewise.slnx).</summary>
internal static class RepoPaths
{
    private static readonly Lazy<string> s_root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (System.IO.File.Exists(Path.Combine(dir.FullName, "Edgewise.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("The repository root (Edgewise.slnx) was not found above " + AppContext.BaseDirectory);
    });

    public static string Root => s_root.Value;

    public static string File(params string[] parts) => Path.Combine([Root, .. parts]);
}
