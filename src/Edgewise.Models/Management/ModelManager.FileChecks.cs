using Edgewise.Models.Storage;

namespace Edgewise.Models.Management;

/// <summary>
/// M14: a loaded model's file truncated or replaced on disk. Weights are memory-mapped, so reading pages a truncation
/// removed raises SIGBUS, which the .NET runtime cannot turn into an exception: the process dies. What the manager can do
/// is notice early. Before each lease and every <see cref="ModelManagerOptions.FileCheckInterval"/> it compares the file's
/// size and write time with those seen at load; a changed (or missing) file retires the model: no new leases, unloaded
/// when its last lease ends. The next request loads the file again, after re-checking its sha256 when the descriptor
/// carries one; while that fails, requests fail (503 at the HTTP layer).
/// </summary>
public sealed partial class ModelManager
{
    private readonly HashSet<Entry> _retired = [];

    /// <summary>Models out of the loaded set whose Dispose has not returned yet: their memory still counts against the budget.</summary>
    private readonly HashSet<Entry> _unloading = [];
    private readonly HashSet<string> _changed = new(StringComparer.Ordinal);
    private readonly ITimer? _fileCheckTimer;

    /// <summary>Checks every loaded model's file now (the timer calls this too); returns the names retired.</summary>
    public IReadOnlyList<string> CheckFiles()
    {
        List<Entry> loaded;
        lock (_sync)
        {
            if (_disposed)
            {
                return [];
            }

            loaded = [.. _entries.Values.Where(e => e.Stamp is not null)];
        }

        var retired = new List<string>();
        foreach (var entry in loaded)
        {
            if (Changed(entry) && Retire(entry))
            {
                retired.Add(entry.Descriptor.Name);
            }
        }

        return retired;
    }

    /// <summary>
    /// A lease break was signalled: every model whose file another process waits to write or truncate is retired
    /// at once (no new requests; unloaded when its running requests end, which releases the lease and lets the
    /// truncation proceed). Returns the names retired.
    /// </summary>
    public IReadOnlyList<string> CheckLeases()
    {
        List<Entry> loaded;
        lock (_sync)
        {
            if (_disposed)
            {
                return [];
            }

            loaded = [.. _entries.Values.Where(e => e.Model is IFileLeaseHolder)];
        }

        var retired = new List<string>();
        foreach (var entry in loaded)
        {
            if (entry.Model is IFileLeaseHolder { LeaseBreaking: true } && Retire(entry))
            {
                retired.Add(entry.Descriptor.Name);
            }
        }

        return retired;
    }

    private void CheckFile(string name)
    {
        Entry? entry;
        lock (_sync)
        {
            _entries.TryGetValue(name, out entry);
        }

        if (entry is not null && Changed(entry))
        {
            Retire(entry);
        }
    }

    private static bool Changed(Entry entry) => entry.Stamp is { } stamp && FileStamp.Read(entry.Descriptor.Path) != stamp;

    /// <summary>Removes <paramref name="entry"/> when it is still the loaded one; false when something else did first.</summary>
    private bool Retire(Entry entry)
    {
        Entry? idle = null;
        lock (_sync)
        {
            if (!_entries.TryGetValue(entry.Descriptor.Name, out var current) || current != entry)
            {
                return false;
            }

            RemoveLocked(entry);
            entry.Retired = true;
            _changed.Add(entry.Descriptor.Name);
            if (entry.Leases == 0)
            {
                idle = UnloadingLocked(entry);
            }
            else
            {
                _retired.Add(entry);
            }
        }

        Finish(idle);
        return true;
    }

    /// <summary>Before loading a model whose file changed while loaded: the file must exist and match its recorded sha256.</summary>
    private async Task VerifyChangedFileAsync(ModelDescriptor descriptor, CancellationToken cancellationToken)
    {
        lock (_sync)
        {
            if (!_changed.Contains(descriptor.Name))
            {
                return;
            }
        }

        if (!File.Exists(descriptor.Path))
        {
            throw new ModelException(ModelErrorCodes.ModelFileChanged, "The model's file was removed while it was loaded; restore it, or pull or import the model again.");
        }

        if (descriptor.Sha256 is { } expected)
        {
            Sha256Digest actual;
            try
            {
                actual = await Task.Run(() => Sha256Digest.OfFile(descriptor.Path), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ModelException(ModelErrorCodes.ModelFileChanged, "The model's file cannot be read since it changed; restore it.", e);
            }

            if (actual != expected)
            {
                throw new ModelException(ModelErrorCodes.ChecksumMismatch, "The model's file changed on disk and no longer matches its recorded sha256; restore it, or pull or import the model again.");
            }
        }

        lock (_sync)
        {
            _changed.Remove(descriptor.Name);
        }
    }
}

/// <summary>What identifies a file's content cheaply: its length and last write time (null when it is missing).</summary>
internal readonly record struct FileStamp(long Length, DateTime LastWriteUtc)
{
    public static FileStamp? Read(string path)
    {
        try
        {
            var info = new FileInfo(path);
            return info.Exists ? new FileStamp(info.Length, info.LastWriteTimeUtc) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }
}
