namespace Edgewise.Models;

/// <summary>
/// An expected failure of the model layer, with a stable <see cref="Code"/> from <see cref="ModelErrorCodes"/> and a
/// fixed, actionable message (no file system paths of the store, no reflected input beyond names already validated).
/// </summary>
public sealed class ModelException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ModelException(string code, string message)
        : base(message) => Code = code;

    /// <summary>Creates the exception with the failure that caused it.</summary>
    public ModelException(string code, string message, Exception innerException)
        : base(message, innerException) => Code = code;

    /// <summary>Creates an exception with code <see cref="ModelErrorCodes.DownloadFailed"/>.</summary>
    public ModelException()
        : this(ModelErrorCodes.DownloadFailed, "The model operation failed.")
    {
    }

    /// <summary>Creates an exception with code <see cref="ModelErrorCodes.DownloadFailed"/>.</summary>
    public ModelException(string message)
        : this(ModelErrorCodes.DownloadFailed, message)
    {
    }

    /// <summary>Creates an exception with code <see cref="ModelErrorCodes.DownloadFailed"/>.</summary>
    public ModelException(string message, Exception innerException)
        : this(ModelErrorCodes.DownloadFailed, message, innerException)
    {
    }

    /// <summary>One of <see cref="ModelErrorCodes"/>.</summary>
    public string Code { get; }
}
