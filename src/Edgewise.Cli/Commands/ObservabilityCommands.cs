using System.CommandLine;
using System.Net;
using System.Net.Http.Headers;

namespace Edgewise.Cli.Commands;

/// <summary>
/// The observability commands: <c>edgewise stats</c>, and <c>edgewise bench serve</c> added under the existing
/// <c>bench</c> command. Both talk to a running server over HTTP, sending the key in <see cref="ApiKeyEnvironmentVariable"/>.
/// </summary>
internal static class ObservabilityCommands
{
    /// <summary>The environment variable holding the API key the client commands send.</summary>
    public const string ApiKeyEnvironmentVariable = "EDGEWISE_API_KEY";

    /// <summary>Adds <c>stats</c> to <paramref name="root"/> and <c>serve</c> under its <c>bench</c> command.</summary>
    public static void AddTo(RootCommand root, CliConsole console)
    {
        root.Subcommands.Add(StatsCommand.Create(console));
        var bench = root.Subcommands.FirstOrDefault(c => c.Name == "bench");
        if (bench is null)
        {
            bench = new Command("bench", "Benchmarks.");
            root.Subcommands.Add(bench);
        }

        bench.Subcommands.Add(BenchServeCommand.Create(console));
    }

    public static Option<string> HostOption() => new("--host") { Description = "Server address.", DefaultValueFactory = _ => "127.0.0.1" };

    public static Option<int> PortOption() => new("--port") { Description = "Server port.", DefaultValueFactory = _ => Edgewise.Server.ServerOptions.DefaultPort };

    public static Uri BaseAddress(string host, int port)
    {
        if (port is < 1 or > 65535)
        {
            throw new CliException("--port must be between 1 and 65535");
        }

        var name = host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[') ? "[" + host + "]" : host;
        return Uri.TryCreate($"http://{name}:{port}/", UriKind.Absolute, out var uri) ? uri : throw new CliException("--host is not a valid host name or address");
    }

    public static HttpClient Client(Uri baseAddress, TimeSpan timeout)
    {
        var client = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), MaxConnectionsPerServer = 256 }) { BaseAddress = baseAddress, Timeout = timeout };
        if (Environment.GetEnvironmentVariable(ApiKeyEnvironmentVariable) is { Length: > 0 } key)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return client;
    }

    /// <summary>A fixed message for a response that is not a success.</summary>
    public static CliException Refused(HttpStatusCode status) => status switch
    {
        HttpStatusCode.Unauthorized => new CliException($"the server wants an API key: set {ApiKeyEnvironmentVariable}", "unauthorized", CliConsole.Network),
        HttpStatusCode.NotFound => new CliException("the server does not offer this endpoint (is it an Edgewise server?)", "not_found", CliConsole.NotFound),
        _ => new CliException($"the server answered {(int)status}", "failed", CliConsole.Failure),
    };

    public static CliException Unreachable(Uri baseAddress) => new($"no server answered at {baseAddress} (start one with 'edgewise serve', or pass --host/--port)", "no_server", CliConsole.Network);
}
