using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Edgewise.Agents.Configuration;
using Edgewise.Agents.Storage;
using Edgewise.Agents.Tools;
using ModelContextProtocol.Client;

namespace Edgewise.Agents.Mcp;

/// <summary>
/// Tools from an MCP server over stdio or streamable HTTP (the official ModelContextProtocol client). Definitions are pinned by
/// hash (A09): only tools whose current definition hash equals the pin given for their name become agent tools;
/// new, changed or flagged definitions stay disabled and each refusal is an audit row. Disposing the source stops
/// a stdio child process or ends the HTTP session.
/// </summary>
public sealed class McpToolSource : IAsyncDisposable
{
    /// <summary>Descriptions longer than this are cut before hashing and display.</summary>
    public const int MaxDescriptionChars = 1024;

    private readonly McpClient _client;
    private readonly string _serverName;
    private readonly IAuditLog? _audit;

    private McpToolSource(McpClient client, string serverName, IAuditLog? audit)
    {
        _client = client;
        _serverName = serverName;
        _audit = audit;
    }

    /// <summary>
    /// Starts <paramref name="command"/> with <paramref name="arguments"/> as an MCP stdio server and connects to it.
    /// With <paramref name="workingDirectory"/> the process starts in that folder, and a relative
    /// <paramref name="command"/> that names a folder (<c>./server</c>, <c>bin/server</c>) is found from it; a bare name
    /// (<c>dotnet</c>, <c>npx</c>) is looked up on PATH as always.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException"><paramref name="workingDirectory"/> does not exist.</exception>
    public static async Task<McpToolSource> StartStdioAsync(
        string serverName,
        string command,
        IReadOnlyList<string> arguments,
        IReadOnlyDictionary<string, string?>? environment = null,
        IAuditLog? audit = null,
        string? workingDirectory = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serverName);
        ArgumentException.ThrowIfNullOrWhiteSpace(command);
        ArgumentNullException.ThrowIfNull(arguments);
        if (workingDirectory is not null && !Directory.Exists(workingDirectory))
        {
            throw new DirectoryNotFoundException("The folder the MCP server '" + serverName + "' should start in does not exist: " + workingDirectory);
        }

        if (workingDirectory is not null && !Path.IsPathRooted(command) && (command.Contains('/', StringComparison.Ordinal) || command.Contains(Path.DirectorySeparatorChar, StringComparison.Ordinal)))
        {
            command = Path.GetFullPath(command, Path.GetFullPath(workingDirectory));
        }

        var transport = new StdioClientTransport(new StdioClientTransportOptions
        {
            Name = serverName,
            Command = command,
            Arguments = [.. arguments],
            WorkingDirectory = workingDirectory,
            EnvironmentVariables = environment?.ToDictionary(static p => p.Key, static p => p.Value, StringComparer.Ordinal),
            ShutdownTimeout = TimeSpan.FromSeconds(2),
        });
        var client = await McpClient.CreateAsync(transport, cancellationToken: cancellationToken).ConfigureAwait(false);
        return new McpToolSource(client, serverName, audit);
    }

    /// <summary>
    /// Connects to an MCP server over streamable HTTP at <paramref name="url"/> (no SSE fallback), sending
    /// <paramref name="headers"/> with every request (e.g. an <c>Authorization</c> header).
    /// </summary>
    public static async Task<McpToolSource> ConnectHttpAsync(
        string serverName,
        Uri url,
        IReadOnlyDictionary<string, string>? headers = null,
        IAuditLog? audit = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serverName);
        ArgumentNullException.ThrowIfNull(url);
        if (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException("The MCP server URL must be an absolute http or https URL.", nameof(url));
        }

        var transport = new HttpClientTransport(new HttpClientTransportOptions
        {
            Name = serverName,
            Endpoint = url,
            TransportMode = HttpTransportMode.StreamableHttp,
            ConnectionTimeout = TimeSpan.FromSeconds(10),
            AdditionalHeaders = headers?.ToDictionary(static p => p.Key, static p => p.Value, StringComparer.OrdinalIgnoreCase),
        });
        var client = await McpClient.CreateAsync(transport, cancellationToken: cancellationToken).ConfigureAwait(false);
        return new McpToolSource(client, serverName, audit);
    }

    /// <summary>
    /// Starts (stdio) or connects to (HTTP) the server <paramref name="server"/> describes. A stdio server starts in
    /// <paramref name="workingDirectory"/>: pass the configuration file's <see cref="EdgewiseConfig.BaseDirectory"/>,
    /// so that relative paths in its <c>command</c> and <c>args</c> mean the same wherever edgewise runs.
    /// </summary>
    public static Task<McpToolSource> StartAsync(McpServerConfig server, IAuditLog? audit = null, string? workingDirectory = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(server);
        return server.Url is { } url
            ? ConnectHttpAsync(server.Name, url, audit: audit, cancellationToken: cancellationToken)
            : StartStdioAsync(server.Name, server.Command, server.Args, audit: audit, workingDirectory: workingDirectory, cancellationToken: cancellationToken);
    }

    /// <summary>
    /// Lists the server's tools and returns the agent tools for those whose definition hash equals
    /// <paramref name="pins"/>[name] (all of them calling through this source), plus every definition seen.
    /// </summary>
    /// <param name="pins">Tool name → pinned definition hash.</param>
    /// <param name="requiringApproval">Names of tools that pause the run for approval.</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    public async Task<(IReadOnlyList<AgentTool> Tools, IReadOnlyList<McpToolDefinition> Definitions)> LoadToolsAsync(
        IReadOnlyDictionary<string, string> pins,
        IReadOnlySet<string>? requiringApproval = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pins);
        var listed = await _client.ListToolsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        var tools = new List<AgentTool>();
        var definitions = new List<McpToolDefinition>();
        foreach (var tool in listed)
        {
            var description = tool.Description ?? string.Empty;
            if (description.Length > MaxDescriptionChars)
            {
                description = description[..MaxDescriptionChars];
            }

            var hash = HashDefinition(tool.Name, description, tool.JsonSchema);
            var invisible = HasInvisible(tool.Name) || HasInvisible(description);
            var pinned = pins.TryGetValue(tool.Name, out var pin) && string.Equals(pin, hash, StringComparison.OrdinalIgnoreCase);
            var enabled = pinned && !invisible;
            definitions.Add(new McpToolDefinition(tool.Name, description, hash, invisible, enabled) { InputSchema = tool.JsonSchema.Clone() });
            if (enabled)
            {
                tools.Add(new AgentTool(tool.WithDescription(description), requiringApproval?.Contains(tool.Name) == true));
                continue;
            }

            var reason = invisible ? "MCP tool disabled: invisible characters in its definition"
                : pin is null ? "MCP tool disabled: not pinned"
                : "MCP tool disabled: definition changed since it was pinned";
            if (_audit is not null)
            {
                await _audit.AppendAsync(new AuditRecord(DateTimeOffset.UtcNow, string.Empty, _serverName, AgentRunEventKind.Denied.Value, reason)
                {
                    ToolName = tool.Name,
                    ArgumentsHash = hash,
                }, cancellationToken).ConfigureAwait(false);
            }
        }

        return (tools, definitions);
    }

    /// <summary>Disconnects and stops the server process.</summary>
    public ValueTask DisposeAsync() => _client.DisposeAsync();

    /// <summary>The pin hash of a definition: SHA-256 of the length-prefixed name, description and canonical schema.</summary>
    public static string HashDefinition(string name, string description, JsonElement inputSchema)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(description);
        var schema = CanonicalJson.Write(inputSchema);
        var text = string.Create(CultureInfo.InvariantCulture, $"{name.Length}:{name};{description.Length}:{description};{schema.Length}:{schema};");
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    private static bool HasInvisible(string text)
    {
        foreach (var rune in text.EnumerateRunes())
        {
            var value = rune.Value;
            if (value is (>= 0x200B and <= 0x200F) or (>= 0x202A and <= 0x202E) or (>= 0x2060 and <= 0x2064) or 0xFEFF or 0x00AD or (>= 0xE0000 and <= 0xE007F))
            {
                return true;
            }
        }

        return false;
    }
}
