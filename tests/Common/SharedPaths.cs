namespace Edgewise.Testing;

/// <summary>
/// Locates ../shared (the reference data that sits beside the repository). EDGEWISE_SHARED wins when set
/// (.ci/run sets it); otherwise the folder is found by walking up from the test assembly. When it is absent, a test
/// that asks for it is skipped with a message naming the folder, unless EDGEWISE_REQUIRE_SHARED=1 (CI), under which
/// it fails.
/// </summary>
internal static class SharedPaths
{
    /// <summary>Set to 1 to make a missing ../shared/reference a failure instead of a skip.</summary>
    public const string RequireVariable = "EDGEWISE_REQUIRE_SHARED";

    private static readonly Lazy<string?> s_root = new(Find);

    /// <summary>
    /// A theory-data value standing for "no reference data": a data source returns one row of it when the folder is
    /// absent, so the theory still runs once and skips (or fails under EDGEWISE_REQUIRE_SHARED=1) when it asks for the folder.
    /// </summary>
    public const string Missing = "(../shared/reference missing)";

    /// <summary>True when ../shared/reference was found.</summary>
    public static bool Available => s_root.Value is not null;

    /// <summary>The shared folder; skips (or, under EDGEWISE_REQUIRE_SHARED=1, fails) the calling test when it is absent.</summary>
    public static string Root => s_root.Value ?? throw NotFound();

    /// <summary>Skips (or fails) the calling test now when ../shared/reference is absent.</summary>
    public static void Require() => _ = Root;

    /// <summary>../shared/reference.</summary>
    public static string Reference => Path.Combine(Root, "reference");

    /// <summary>A file under ../shared/reference.</summary>
    public static string ReferenceFile(params string[] parts) => Path.Combine([Reference, .. parts]);

    private static Exception NotFound()
    {
        var fromEnv = Environment.GetEnvironmentVariable("EDGEWISE_SHARED");
        var where = string.IsNullOrEmpty(fromEnv)
            ? "../shared/reference was not found beside the repository (set EDGEWISE_SHARED to the folder that holds reference/)"
            : $"../shared/reference was not found: EDGEWISE_SHARED={fromEnv} has no reference/ folder";
        return Environment.GetEnvironmentVariable(RequireVariable) == "1"
            ? new DirectoryNotFoundException(where + $"; {RequireVariable}=1 makes this a failure.")
            : Xunit.Sdk.SkipException.ForSkip(where + ".");
    }

    private static string? Find()
    {
        // An explicit EDGEWISE_SHARED is honoured as given: a wrong one is reported, not silently replaced.
        var fromEnv = Environment.GetEnvironmentVariable("EDGEWISE_SHARED");
        if (!string.IsNullOrEmpty(fromEnv))
        {
            return Directory.Exists(Path.Combine(fromEnv, "reference")) ? fromEnv : null;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared");
            if (Directory.Exists(Path.Combine(candidate, "reference")))
            {
                return candidate;
            }
        }

        return null;
    }
}
