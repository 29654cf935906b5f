namespace Edgewise.Configuration;

/// <summary>
/// An invalid <c>edgewise.yaml</c>; the message reads <c>FILE:LINE:COLUMN: KEY.PATH: what is wrong</c>.
/// </summary>
public sealed class ConfigException : Exception
{
    /// <summary>Creates the error for <paramref name="file"/> at <paramref name="line"/> for key path <paramref name="keyPath"/>.</summary>
    public ConfigException(string file, long line, long column, string keyPath, string problem, Exception? innerException = null)
        : base($"{file}:{line}:{column}: {(keyPath.Length == 0 ? "(root)" : keyPath)}: {problem}", innerException)
    {
        File = file;
        Line = line;
        Column = column;
        KeyPath = keyPath;
        Problem = problem;
    }

    /// <summary>The configuration file's path as given.</summary>
    public string File { get; }

    /// <summary>The 1-based line of the offending node.</summary>
    public long Line { get; }

    /// <summary>The 1-based column of the offending node.</summary>
    public long Column { get; }

    /// <summary>The dotted key path, e.g. <c>agents.kiosk.temperature</c>.</summary>
    public string KeyPath { get; }

    /// <summary>What is wrong, without the location.</summary>
    public string Problem { get; }
}
