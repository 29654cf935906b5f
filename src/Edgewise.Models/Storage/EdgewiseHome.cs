namespace Edgewise.Models.Storage;

/// <summary>
/// The data directory: <c>EDGEWISE_HOME</c> when set, else a per-user default (<c>~/.local/share/edgewise</c> on
/// Linux, <c>%LOCALAPPDATA%\Edgewise</c> on Windows, <c>~/Library/Application Support/edgewise</c> on macOS).
/// Models live under <c>models/</c>; sessions and keys get their own folders beside it.
/// </summary>
public static class EdgewiseHome
{
    /// <summary>The environment variable that overrides the data directory.</summary>
    public const string EnvironmentVariable = "EDGEWISE_HOME";

    /// <summary>The data directory for the current user (not created).</summary>
    public static string Resolve() => Resolve(Environment.GetEnvironmentVariable(EnvironmentVariable));

    /// <summary>The data directory given an <c>EDGEWISE_HOME</c> value (null or empty: the per-user default).</summary>
    public static string Resolve(string? overrideValue)
    {
        if (!string.IsNullOrWhiteSpace(overrideValue))
        {
            return Path.GetFullPath(overrideValue);
        }

        var local = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify);
        if (string.IsNullOrEmpty(local))
        {
            local = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        }

        return Path.Combine(local, OperatingSystem.IsWindows() ? "Edgewise" : "edgewise");
    }

    /// <summary>The models folder under a data directory.</summary>
    public static string ModelsDirectory(string home) => Path.Combine(home, "models");
}
