using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Edgewise.Cli.Tests;

/// <summary>
/// The test assembly doubles as a real MCP stdio server (official C# SDK), as in the agents and server tests: started
/// with <see cref="Variable"/> set it serves <c>concat</c> and <c>sleep</c> (BCL methods, so no code of this module runs
/// off the initializing thread) and never runs the tests. <see cref="DescriptionVariable"/> changes concat's description,
/// which changes its definition hash.
/// </summary>
internal static class McpChildServer
{
    public const string Variable = "EDGEWISE_CLI_MCP_TEST_SERVER";
    public const string DescriptionVariable = "EDGEWISE_CLI_MCP_TEST_DESCRIPTION";

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
        };
        var options = new McpServerOptions { ServerInfo = new Implementation { Name = "edgewise-cli-test", Version = "1.0.0" }, ToolCollection = tools };
        var server = McpServer.Create(new StdioServerTransport(options), options);
        server.RunAsync().GetAwaiter().GetResult();
        Environment.Exit(0);
    }

    /// <summary>The YAML <c>command</c> and <c>args</c> lines that start this assembly as the server (through env, since MCP config has no environment).</summary>
    public static string Yaml(string indent, string? description = null)
    {
        var args = new List<string> { Variable + "=1" };
        if (description is not null)
        {
            args.Add(DescriptionVariable + "=" + description);
        }

        args.Add("dotnet");
        args.Add(typeof(McpChildServer).Assembly.Location);
        return indent + "command: env\n" + indent + "args: [" + string.Join(", ", args.Select(a => System.Text.Json.JsonSerializer.Serialize(a))) + "]\n";
    }
}
