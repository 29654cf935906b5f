namespace Edgewise.Server;

/// <summary>The web console setting.</summary>
public sealed partial class ServerOptions
{
    /// <summary>
    /// Whether <c>GET /</c> serves the web console (its embedded static files); default true. The console's pages
    /// are public static files; every piece of data they show comes from the authenticated API.
    /// </summary>
    public bool Console { get; set; } = true;
}
