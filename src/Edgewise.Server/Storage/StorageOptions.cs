namespace Edgewise.Server.Storage;

/// <summary>Where and how the SQLite database is kept.</summary>
public sealed class StorageOptions
{
    /// <summary>The database file; its directory must exist.</summary>
    public required string DatabasePath { get; init; }

    /// <summary>True (default) to run <c>PRAGMA quick_check</c> when opening and refuse a corrupt file.</summary>
    public bool CheckOnOpen { get; init; } = true;

    /// <summary>How many writes may wait for the single writer before callers wait to enqueue; default 1024.</summary>
    public int WriteQueueCapacity { get; init; } = 1024;
}
