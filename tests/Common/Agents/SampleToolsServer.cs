using Edgewise.Agents.Configuration;

namespace Edgewise.Testing;

/// <summary>
/// The retail sample's MCP server (the <c>shop</c> entry of samples/retail-kiosk/edgewise.yaml) for test
/// configurations written elsewhere: its tool set and its pins, started from the Release build of
/// samples/sample-tools that the linking test project builds before its tests (<c>dotnet sample-tools.dll retail</c>,
/// without the sample's <c>dotnet run</c> up-to-date check). Its tools are inventory_lookup, find_alternatives,
/// price_quote and place_order.
/// </summary>
internal static class SampleToolsServer
{
    /// <summary>The repository checkout the tests were built from (the folder above them that holds Edgewise.slnx).</summary>
    public static string RepoRoot { get; } = FindRoot();

    private static readonly Lazy<McpServerConfig> s_server = new(() =>
    {
        var config = EdgewiseConfig.Load(Path.Combine(RepoRoot, "samples", "retail-kiosk", "edgewise.yaml"), new ToolRegistry());
        var server = config.McpServers["shop"];
        var program = Path.Combine(RepoRoot, "samples", "sample-tools", "bin", "Release", "net10.0", "sample-tools.dll");
        if (!File.Exists(program))
        {
            throw new FileNotFoundException("The sample MCP server is not built: dotnet build -c Release samples/sample-tools", program);
        }

        return new McpServerConfig
        {
            Name = server.Name,
            Command = "dotnet",
            Args = [program, .. server.Args.SkipWhile(a => a != "--").Skip(1)],
            Pinned = server.Pinned,
        };
    });

    /// <summary>The <c>command</c>, <c>args</c> and <c>pinned</c> lines of the server, each indented by <paramref name="indent"/>.</summary>
    public static string Yaml(string indent)
    {
        var server = s_server.Value;
        return indent + "command: " + server.Command + "\n"
            + indent + "args: [" + string.Join(", ", server.Args.Select(a => System.Text.Json.JsonSerializer.Serialize(a))) + "]\n"
            + indent + "pinned:\n"
            + string.Concat(server.Pinned.Select(p => indent + "  " + p.Key + ": " + p.Value + "\n"));
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Edgewise.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("The repository root (Edgewise.slnx) was not found above " + AppContext.BaseDirectory);
    }
}
