using System.ComponentModel;
using System.Text;
using Microsoft.Extensions.AI;

namespace Edgewise.Agents.Tools.BuiltIn;

/// <summary>
/// File tools confined to one folder (SECURITY A12): paths from the model are relative to the sandbox root; absolute
/// paths, <c>..</c> segments, control characters and any symbolic link (or other reparse point) on the way are
/// refused; the canonical path must stay inside the canonical root. Refusals go back to the model as text.
/// A link created between the check and the open is not caught (no O_NOFOLLOW in .NET): keep the sandbox out of
/// reach of other writers.
/// </summary>
public sealed class SandboxedFileTools
{
    /// <summary>The most bytes <c>read_file</c> returns.</summary>
    public const int MaxReadBytes = 64 * 1024;

    /// <summary>The most bytes <c>write_file</c> writes.</summary>
    public const int MaxWriteBytes = 256 * 1024;

    private const string Refused = "refused: the path must be a relative path inside the sandbox, without '..' or links";

    /// <summary>Creates tools over <paramref name="root"/>, an existing folder (itself canonicalized, links resolved).</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public SandboxedFileTools(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        var info = new DirectoryInfo(full);
        if (!info.Exists)
        {
            throw new DirectoryNotFoundException("The sandbox root does not exist.");
        }

        Root = Path.TrimEndingDirectorySeparator(info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? full);
    }

    /// <summary>The canonical sandbox root.</summary>
    public string Root { get; }

    /// <summary><c>read_file</c>, <c>list_files</c> and (approval required) <c>write_file</c>.</summary>
    public IReadOnlyList<AgentTool> CreateTools(bool includeWrite = false)
    {
        var tools = new List<AgentTool>
        {
            new(AIFunctionFactory.Create(ReadFile, "read_file", "Reads a UTF-8 text file in the sandbox (relative path).")),
            new(AIFunctionFactory.Create(ListFiles, "list_files", "Lists a folder in the sandbox (relative path; empty for the root).")),
        };
        if (includeWrite)
        {
            tools.Add(new AgentTool(AIFunctionFactory.Create(WriteFile, "write_file", "Writes a UTF-8 text file in the sandbox (relative path)."), requiresApproval: true));
        }

        return tools;
    }

    /// <summary>The full path of <paramref name="relativePath"/> inside the sandbox, or null when it is refused.</summary>
    public string? Resolve(string relativePath)
    {
        ArgumentNullException.ThrowIfNull(relativePath);
        if (relativePath.Length > 1024 || relativePath.Any(static c => char.IsControl(c)) || relativePath.StartsWith('~')
            || Path.IsPathRooted(relativePath) || Path.IsPathFullyQualified(relativePath))
        {
            return null;
        }

        var segments = relativePath.Split(['/', '\\'], StringSplitOptions.RemoveEmptyEntries);
        if (segments.Any(static s => s == ".." || s.Contains(':', StringComparison.Ordinal)))
        {
            return null;
        }

        var full = Path.GetFullPath(Path.Combine([Root, .. segments]));
        if (!string.Equals(full, Root, StringComparison.Ordinal) && !full.StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            return null;
        }

        var current = Root;
        foreach (var segment in segments.Where(static s => s != "."))
        {
            current = Path.Combine(current, segment);
            FileSystemInfo info = Directory.Exists(current) ? new DirectoryInfo(current) : new FileInfo(current);
            if (info.LinkTarget is not null || (info.Exists && info.Attributes.HasFlag(FileAttributes.ReparsePoint)))
            {
                return null;
            }
        }

        return full;
    }

    private string ReadFile([Description("Relative path of the file")] string path)
    {
        if (Resolve(path) is not { } full)
        {
            return Refused;
        }

        if (!File.Exists(full))
        {
            return "no such file";
        }

        using var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read);
        var buffer = new byte[(int)Math.Min(stream.Length, MaxReadBytes)];
        stream.ReadExactly(buffer);
        return Encoding.UTF8.GetString(buffer) + (stream.Length > MaxReadBytes ? "\n[truncated]" : string.Empty);
    }

    private string ListFiles([Description("Relative path of the folder; empty for the root")] string path)
    {
        if (Resolve(path) is not { } full)
        {
            return Refused;
        }

        if (!Directory.Exists(full))
        {
            return "no such folder";
        }

        var entries = new DirectoryInfo(full).EnumerateFileSystemInfos().Take(500)
            .Select(static e => e is DirectoryInfo ? e.Name + "/" : e.Name).Order(StringComparer.Ordinal);
        return string.Join('\n', entries);
    }

    private string WriteFile([Description("Relative path of the file")] string path, [Description("The text to write")] string content)
    {
        if (Resolve(path) is not { } full || string.Equals(full, Root, StringComparison.Ordinal))
        {
            return Refused;
        }

        var bytes = Encoding.UTF8.GetBytes(content);
        if (bytes.Length > MaxWriteBytes)
        {
            return "refused: the content is too long";
        }

        if (Path.GetDirectoryName(full) is not { } folder || !Directory.Exists(folder))
        {
            return "no such folder";
        }

        File.WriteAllBytes(full, bytes);
        return "written: " + bytes.Length + " bytes";
    }
}
