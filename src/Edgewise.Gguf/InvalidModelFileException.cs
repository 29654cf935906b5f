namespace Edgewise.Gguf;

/// <summary>
/// The one error a model file can produce: the file is not a GGUF file Edgewise accepts. Carries a stable
/// machine-readable <see cref="Code"/> (see <see cref="GgufErrorCodes"/>), the byte offset where the problem
/// was found, and a fixed message that never echoes file contents or paths.
/// </summary>
public sealed class InvalidModelFileException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="code">A stable code such as <c>gguf.header.magic</c>.</param>
    /// <param name="offset">The byte offset in the file where the problem was detected (−1 when not applicable).</param>
    /// <param name="message">A fixed, human-readable description.</param>
    public InvalidModelFileException(string code, long offset, string message)
        : base(message)
    {
        Code = code;
        Offset = offset;
    }

    /// <summary>Creates the exception with the default code <c>gguf.invalid</c>.</summary>
    public InvalidModelFileException()
        : this(GgufErrorCodes.Invalid, -1, "The model file is invalid.")
    {
    }

    /// <summary>Creates the exception with the default code <c>gguf.invalid</c>.</summary>
    public InvalidModelFileException(string message)
        : this(GgufErrorCodes.Invalid, -1, message)
    {
    }

    /// <summary>Creates the exception with the default code <c>gguf.invalid</c> and an inner exception.</summary>
    public InvalidModelFileException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = GgufErrorCodes.Invalid;
        Offset = -1;
    }

    /// <summary>A stable machine-readable code, e.g. <c>gguf.tensor.offset</c>.</summary>
    public string Code { get; } = GgufErrorCodes.Invalid;

    /// <summary>The byte offset where the problem was found, or −1.</summary>
    public long Offset { get; }
}
