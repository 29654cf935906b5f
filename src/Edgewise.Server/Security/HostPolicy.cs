using System.Net;

namespace Edgewise.Server.Security;

/// <summary>
/// The Host header allow-list and the exact-origin CORS list (H03, against DNS rebinding and cross-site requests):
/// localhost, 127.0.0.1, ::1, the bind address and configured hosts are accepted; an <c>Origin</c> is accepted when it
/// is configured exactly or is the server's own origin (same-origin pages).
/// </summary>
internal sealed class HostPolicy
{
    private readonly HashSet<string> _hosts = new(StringComparer.OrdinalIgnoreCase) { "localhost", "127.0.0.1", "[::1]", "::1" };
    private readonly HashSet<string> _origins;

    public HostPolicy(ServerOptions options)
    {
        if (!IsWildcard(options.Host))
        {
            _hosts.Add(options.Host);
        }

        foreach (var host in options.AllowedHosts)
        {
            _hosts.Add(host.Trim());
        }

        _origins = new HashSet<string>(options.AllowedOrigins.Select(o => o.Trim().TrimEnd('/')), StringComparer.OrdinalIgnoreCase);
    }

    public static bool IsWildcard(string host) => host is "0.0.0.0" or "::" or "[::]" or "*" or "+";

    public static bool IsLoopback(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));

    public bool IsHostAllowed(string? hostHeader)
    {
        if (string.IsNullOrEmpty(hostHeader))
        {
            return false;
        }

        return _hosts.Contains(HostName(hostHeader));
    }

    /// <summary>True when CORS headers may name <paramref name="origin"/> (configured exactly).</summary>
    public bool IsCorsOrigin(string origin) => _origins.Contains(origin.TrimEnd('/'));

    /// <summary>True when a request carrying <paramref name="origin"/> may proceed: configured, or the server's own origin.</summary>
    public bool IsOriginAllowed(string origin, string? hostHeader, string scheme) =>
        IsCorsOrigin(origin)
        || (hostHeader is not null && string.Equals(origin.TrimEnd('/'), scheme + "://" + hostHeader, StringComparison.OrdinalIgnoreCase));

    private static string HostName(string hostHeader)
    {
        if (hostHeader.StartsWith('['))
        {
            var end = hostHeader.IndexOf(']', StringComparison.Ordinal);
            return end < 0 ? hostHeader : hostHeader[..(end + 1)];
        }

        var colon = hostHeader.LastIndexOf(':');
        return colon < 0 ? hostHeader : hostHeader[..colon];
    }
}
