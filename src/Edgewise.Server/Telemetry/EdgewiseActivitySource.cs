using System.Diagnostics;

namespace Edgewise.Server.Telemetry;

/// <summary>The server's <see cref="ActivitySource"/>: a span per request and a child span per model call.</summary>
public static class EdgewiseActivitySource
{
    /// <summary>The source's name, <c>Edgewise.Server</c>.</summary>
    public const string Name = "Edgewise.Server";

    /// <summary>The source.</summary>
    internal static ActivitySource Source { get; } = new(Name);
}
