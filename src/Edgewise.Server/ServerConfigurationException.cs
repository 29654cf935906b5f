namespace Edgewise.Server;

/// <summary>The server settings are unsafe or inconsistent, so the server refuses to start (e.g. H01).</summary>
public sealed class ServerConfigurationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ServerConfigurationException()
        : base("The server configuration is invalid.")
    {
    }

    /// <summary>Creates the exception with a fixed message.</summary>
    public ServerConfigurationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a fixed message and its cause.</summary>
    public ServerConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
