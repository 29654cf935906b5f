using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Edgewise.Server.Tests.Agents;

/// <summary>
/// The test assembly doubles as a real MCP stdio server (official C# SDK), as in the agents library's MCP tests:
/// started with <see cref="Variable"/> set, it serves one tool, <c>concat</c> (string.Concat, a BCL method, so no code
/// of this module runs off the initializing thread), and never runs the tests.
/// </summary>
internal static class McpChildServer
{
    public const string Variable = "EDGEWISE_SERVER_MCP_TEST_SERVER";

#pragma warning disable CA2255 // The test assembly doubles as the MCP server child process.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void RunWhenAsked()
    {
        if (Environment.GetEnvironmentVariable(Variable) != "1")
        {
            return;
        }

        var tools = new McpServerPrimitiveCollection<McpServerTool>
        {
            McpServerTool.Create(AIFunctionFactory.Create(typeof(string).GetMethod(nameof(string.Concat), [typeof(string), typeof(string)])!, null, "concat", "Joins two strings.")),
        };
        var options = new McpServerOptions { ServerInfo = new Implementation { Name = "edgewise-server-test", Version = "1.0.0" }, ToolCollection = tools };
        var server = McpServer.Create(new StdioServerTransport(options), options);
        server.RunAsync().GetAwaiter().GetResult();
        Environment.Exit(0);
    }

    /// <summary>The command line that starts this assembly as the server (through env, since MCP config has no environment).</summary>
    public static (string Command, IReadOnlyList<string> Args) CommandLine() =>
        ("env", [Variable + "=1", "dotnet", typeof(McpChildServer).Assembly.Location]);
}
