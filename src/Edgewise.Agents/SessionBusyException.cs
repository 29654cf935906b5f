namespace Edgewise.Agents;

/// <summary>
/// A session is already running, or a store holds a newer version of it (C01). The server answers 409
/// <c>session_busy</c>; the message never includes the session's content.
/// </summary>
public sealed class SessionBusyException : Exception
{
    /// <summary>Creates the exception for <paramref name="sessionId"/>.</summary>
    public SessionBusyException(string sessionId)
        : base("The session is busy.")
    {
        SessionId = sessionId;
    }

    /// <summary>Creates the exception with the default message.</summary>
    public SessionBusyException()
        : base("The session is busy.")
    {
        SessionId = string.Empty;
    }

    /// <summary>Creates the exception with a message.</summary>
    public SessionBusyException(string message, Exception innerException)
        : base(message, innerException)
    {
        SessionId = string.Empty;
    }

    /// <summary>The session id.</summary>
    public string SessionId { get; }
}
