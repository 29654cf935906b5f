namespace Edgewise.Server.Storage;

/// <summary>
/// The database cannot be used: not a database, corrupt, read-only, or written by a newer Edgewise (P03).
/// The server refuses to start with <see cref="Exception.Message"/>; the file is never overwritten.
/// </summary>
public sealed class StorageException : Exception
{
    /// <summary>The file is not an SQLite database.</summary>
    public const string NotADatabase = "storage.not_a_database";

    /// <summary>The database fails its integrity check.</summary>
    public const string Corrupt = "storage.corrupt";

    /// <summary>The database was written by a newer schema version.</summary>
    public const string NewerSchema = "storage.newer_schema";

    /// <summary>The database or its directory cannot be written.</summary>
    public const string ReadOnly = "storage.read_only";

    /// <summary>A write failed (e.g. the disk is full); the transaction was rolled back.</summary>
    public const string Unavailable = "storage.unavailable";

    /// <summary>Creates the exception.</summary>
    public StorageException(string code, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
    }

    /// <summary>Creates the exception with the <see cref="Unavailable"/> code.</summary>
    public StorageException()
        : this(Unavailable, "Storage is unavailable.")
    {
    }

    /// <summary>Creates the exception with the <see cref="Unavailable"/> code.</summary>
    public StorageException(string message)
        : this(Unavailable, message)
    {
    }

    /// <summary>Creates the exception with the <see cref="Unavailable"/> code.</summary>
    public StorageException(string message, Exception innerException)
        : this(Unavailable, message, innerException)
    {
    }

    /// <summary>One of the code constants of this class.</summary>
    public string Code { get; }
}
