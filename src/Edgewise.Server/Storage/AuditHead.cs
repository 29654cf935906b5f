using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Edgewise.Server.Storage;

/// <summary>
/// The audit chain's head kept outside the database it protects: a small file next to it
/// (<c>agents.db.audit-head</c>) holding the sequence number and hash of the newest row, replaced atomically
/// (write, fsync, rename, fsync of the directory) after every committed append. Walking the chain proves rows were
/// not edited or removed in the middle; comparing its end with this file proves the newest rows were not cut off,
/// that the table was not emptied and that the database was not swapped for an older copy of itself.
/// </summary>
/// <param name="Seq">The sequence number of the newest row the head vouches for (0 for none).</param>
/// <param name="Hash">That row's hash.</param>
public sealed partial record AuditHead(long Seq, string Hash)
{
    private const string Magic = "edgewise-audit-head 1";

    /// <summary>The head file of the database at <paramref name="databasePath"/>.</summary>
    public static string PathFor(string databasePath) => databasePath + ".audit-head";

    /// <summary>Reads the head file, or null when there is none.</summary>
    /// <exception cref="StorageException">The file exists but is not a head file.</exception>
    public static AuditHead? Read(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path, Encoding.ASCII);
        }
        catch (FileNotFoundException)
        {
            return null;
        }

        var parts = text.Trim().Split(' ');
        if (parts.Length != 4 || !string.Equals(parts[0] + " " + parts[1], Magic, StringComparison.Ordinal)
            || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var seq) || parts[3].Length != 64)
        {
            throw new StorageException(StorageException.Corrupt, "The audit head file is not readable; the audit log cannot be checked for truncation.");
        }

        return new AuditHead(seq, parts[3]);
    }

    /// <summary>Replaces the head file with this head, durably: a crash leaves the old head or the new one.</summary>
    public void Write(string path)
    {
        var temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{Magic} {Seq} {Hash}\n")));
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
        SyncDirectory(System.IO.Path.GetDirectoryName(path)!);
    }

    /// <summary>Makes a rename in <paramref name="directory"/> durable (fsync of the directory; a no-op off Unix).</summary>
    private static void SyncDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return;
        }

        var fd = Open(directory, 0 /* O_RDONLY */);
        if (fd < 0)
        {
            return;
        }

        try
        {
            _ = Fsync(fd);
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
