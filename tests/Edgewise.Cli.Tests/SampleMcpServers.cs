using Edgewise.Agents.Configuration;
using Edgewise.Agents.Mcp;
using Edgewise.Agents.Tools;

namespace Edgewise.Cli.Tests;

/// <summary>
/// The MCP servers of the samples under samples/, each started once for a test class as edgewise starts it, in the
/// folder of its edgewise.yaml with its pins, but as the Release build of samples/sample-tools that this test project
/// builds first: the sample's <c>dotnet run --project P ... -- SETS</c> becomes <c>dotnet P/bin/Release/net10.0/sample-tools.dll
/// SETS</c>, which skips the few seconds of <c>dotnet run</c>'s up-to-date check (the chat tests run the sample's
/// command as written). Stopped when the class is done.
/// </summary>
public sealed class SampleMcpServers : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, Started> _started = new(StringComparer.Ordinal);
    private readonly List<McpToolSource> _sources = [];

    /// <summary>The servers' enabled tools keyed <c>SERVER/TOOL</c>, and every definition they listed.</summary>
    public sealed record Started(IReadOnlyDictionary<string, AgentTool> Tools, IReadOnlyList<(string Server, McpToolDefinition Definition)> Definitions);

    /// <summary>Starts (once) the MCP servers of <paramref name="config"/>.</summary>
    public async Task<Started> StartAsync(EdgewiseConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        await _gate.WaitAsync(TestContext.Current.CancellationToken);
        try
        {
            if (_started.TryGetValue(config.File, out var started))
            {
                return started;
            }

            // The servers outlive the test that starts them, so their start is bounded by its own timeout (the first
            // `dotnet run` may build the project) rather than by that test's token.
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            var tools = new Dictionary<string, AgentTool>(StringComparer.Ordinal);
            var definitions = new List<(string, McpToolDefinition)>();
            foreach (var server in config.McpServers.Values)
            {
                var source = await McpToolSource.StartAsync(Built(server), workingDirectory: config.BaseDirectory, cancellationToken: timeout.Token);
                _sources.Add(source);
                var (loaded, listed) = await source.LoadToolsAsync(server.Pinned, cancellationToken: timeout.Token);
                foreach (var tool in loaded)
                {
                    tools[server.Name + "/" + tool.Name] = tool;
                }

                definitions.AddRange(listed.Select(d => (server.Name, d)));
            }

            return _started[config.File] = new Started(tools, definitions);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The built program in place of <c>dotnet run</c> for a sample server entry.</summary>
    private static McpServerConfig Built(McpServerConfig server)
    {
        var args = server.Args.ToList();
        var project = args.IndexOf("--project");
        var rest = args.IndexOf("--");
        Assert.True(
            server.Command == "dotnet" && args.FirstOrDefault() == "run" && project > 0 && rest > project,
            $"{server.Name}: expected `dotnet run --project PROJECT ... -- SETS`, found `{server.Command} {string.Join(' ', args)}`");
        var program = Path.Combine(args[project + 1], "bin", "Release", "net10.0", "sample-tools.dll");
        return new McpServerConfig { Name = server.Name, Command = "dotnet", Args = [program, .. args.Skip(rest + 1)], Pinned = server.Pinned };
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var source in _sources)
        {
            await source.DisposeAsync();
        }

        _gate.Dispose();
    }
}
