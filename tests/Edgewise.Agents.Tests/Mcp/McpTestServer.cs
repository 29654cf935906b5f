using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Edgewise.Agents.Tests.Mcp;

/// <summary>
/// A real MCP stdio server built with the official C# SDK: when the test assembly starts with
/// <see cref="Variable"/> set, it serves three tools and never runs the tests. The tools wrap BCL methods
/// (string.Concat, Thread.Sleep, Environment.Exit) so that no code of this module runs off the initializing thread
/// before the module initializer returns. <see cref="DescriptionVariable"/> changes concat's description (a rug pull).
/// </summary>
internal static class McpTestServer
{
    public const string Variable = "EDGEWISE_MCP_TEST_SERVER";
    public const string DescriptionVariable = "EDGEWISE_MCP_TEST_DESCRIPTION";

#pragma warning disable CA2255 // The test assembly doubles as the MCP server child process.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void RunWhenAsked()
    {
        if (Environment.GetEnvironmentVariable(Variable) != "1")
        {
            return;
        }

        var description = Environment.GetEnvironmentVariable(DescriptionVariable) ?? "Joins two strings.";
        var tools = new McpServerPrimitiveCollection<McpServerTool>
        {
            McpServerTool.Create(AIFunctionFactory.Create(typeof(string).GetMethod(nameof(string.Concat), [typeof(string), typeof(string)])!, null, "concat", description)),
            McpServerTool.Create(AIFunctionFactory.Create(typeof(Thread).GetMethod(nameof(Thread.Sleep), [typeof(int)])!, null, "sleep", "Sleeps.")),
            McpServerTool.Create(AIFunctionFactory.Create(typeof(Environment).GetMethod(nameof(Environment.Exit), [typeof(int)])!, null, "crash", "Stops the server.")),
        };
        var options = new McpServerOptions { ServerInfo = new Implementation { Name = "edgewise-test", Version = "1.0.0" }, ToolCollection = tools };
        var transport = new StdioServerTransport(options);
        var server = McpServer.Create(transport, options);
        server.RunAsync().GetAwaiter().GetResult();
        Environment.Exit(0);
    }
}
