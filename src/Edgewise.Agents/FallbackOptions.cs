using Microsoft.Extensions.AI;

namespace Edgewise.Agents;

/// <summary>
/// Offline first for an agent whose own model is a remote backend: when a call to it fails (unreachable, refused,
/// timed out), the turn's partial output is dropped and the run continues on <see cref="Local"/>, with a
/// <c>fallback</c> event saying so. Tool calls that already ran in the failed turn are not undone.
/// </summary>
public sealed class FallbackOptions
{
    /// <summary>Creates options falling back to <paramref name="local"/>.</summary>
    public FallbackOptions(IChatClient local, string localName)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentException.ThrowIfNullOrWhiteSpace(localName);
        Local = local;
        LocalName = localName;
    }

    /// <summary>The (local) chat client the run continues on.</summary>
    public IChatClient Local { get; }

    /// <summary>A short name for events, e.g. the model entry's name.</summary>
    public string LocalName { get; }
}
