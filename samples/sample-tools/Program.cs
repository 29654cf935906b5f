using Edgewise.Samples.Tools;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

// sample-tools [retail|clinic|helpdesk]...: serves the named tool sets (all seven tools without a name) over MCP on
// stdin/stdout until stdin closes. Standard output carries only the protocol; messages go to standard error.
var unknown = args.Where(a => !SampleTools.Sets.ContainsKey(a)).ToList();
if (unknown.Count > 0)
{
    await Console.Error.WriteLineAsync("sample-tools: unknown tool set " + string.Join(", ", unknown.Select(a => "'" + a + "'"))
        + "; the sets are " + string.Join(", ", SampleTools.Sets.Keys) + " (none: every tool)").ConfigureAwait(false);
    return 2;
}

var names = args.Length == 0 ? null : args.SelectMany(a => SampleTools.Sets[a]).ToHashSet(StringComparer.Ordinal);
var tools = new McpServerPrimitiveCollection<McpServerTool>();
foreach (var function in SampleTools.All.Where(f => names is null || names.Contains(f.Name)))
{
    tools.Add(McpServerTool.Create(function));
}

var options = new McpServerOptions
{
    ServerInfo = new Implementation { Name = "edgewise-sample-tools", Version = "1.0.0" },
    ToolCollection = tools,
};
var server = McpServer.Create(new StdioServerTransport(options), options);
await using (server.ConfigureAwait(false))
{
    await server.RunAsync().ConfigureAwait(false);
}

return 0;
