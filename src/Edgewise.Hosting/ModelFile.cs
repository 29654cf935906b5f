using Edgewise.Models.Management;

namespace Edgewise.Hosting;

/// <summary>A model file registered at start: the name clients use and the GGUF file it loads.</summary>
/// <param name="Name">The name requests and agents use.</param>
/// <param name="Path">The GGUF file.</param>
/// <param name="Settings">Its settings (context length, parallel sequences, KV cache type, ...); null for defaults.</param>
public sealed record ModelFile(string Name, string Path, ModelSettings? Settings = null)
{
    /// <summary>Load it when the host starts, whatever <see cref="Settings"/> say (the files named to <c>edgewise serve -m</c>).</summary>
    public bool Preload { get; init; }
}

/// <summary>The model configuration cannot be hosted as given (e.g. two models under one name).</summary>
public sealed class ModelConfigurationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ModelConfigurationException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public ModelConfigurationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public ModelConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
