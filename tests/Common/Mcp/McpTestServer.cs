using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Edgewise.Testing;

/// <summary>
/// A real MCP stdio server built with the official C# SDK, for the test projects that link this file (it is not in
/// every test project, as tests/Common/*.cs is, because it needs the MCP SDK): the test assembly doubles as the server.
/// Started with <see cref="Variable"/> set, it serves three tools and never runs the tests: <c>concat</c>, <c>sleep</c>
/// and <c>crash</c>. They wrap BCL methods (string.Concat, Thread.Sleep, Environment.Exit) so that no code of the test
/// module runs off the initializing thread before the module initializer returns. <see cref="DescriptionVariable"/>
/// changes concat's description, and so its definition hash (a rug pull).
/// </summary>
internal static class McpTestServer
{
    public const string Variable = "EDGEWISE_MCP_TEST_SERVER";
    public const string DescriptionVariable = "EDGEWISE_MCP_TEST_DESCRIPTION";

    /// <summary>The path of the test assembly that serves.</summary>
    public static string AssemblyPath => typeof(McpTestServer).Assembly.Location;

    /// <summary>The environment that makes the test assembly serve, with concat described as <paramref name="description"/> when given.</summary>
    public static Dictionary<string, string?> Environment(string? description = null) =>
        new() { [Variable] = "1", [DescriptionVariable] = description };

    /// <summary>The command line that starts the server through <c>env</c> (an MCP server entry has no environment of its own).</summary>
    public static (string Command, IReadOnlyList<string> Args) CommandLine(string? description = null)
    {
        var args = new List<string> { Variable + "=1" };
        if (description is not null)
        {
            args.Add(DescriptionVariable + "=" + description);
        }

        args.Add("dotnet");
        args.Add(AssemblyPath);
        return ("env", args);
    }

    /// <summary>The <c>edgewise.yaml</c> <c>command</c> and <c>args</c> lines of <see cref="CommandLine"/>, each indented by <paramref name="indent"/>.</summary>
    public static string Yaml(string indent, string? description = null)
    {
        var (command, args) = CommandLine(description);
        return indent + "command: " + command + "\n"
            + indent + "args: [" + string.Join(", ", args.Select(a => System.Text.Json.JsonSerializer.Serialize(a))) + "]\n";
    }

#pragma warning disable CA2255 // The test assembly doubles as the MCP server child process.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void RunWhenAsked()
    {
        if (System.Environment.GetEnvironmentVariable(Variable) != "1")
        {
            return;
        }

        var description = System.Environment.GetEnvironmentVariable(DescriptionVariable) ?? "Joins two strings.";
        var tools = new McpServerPrimitiveCollection<McpServerTool>
        {
            McpServerTool.Create(AIFunctionFactory.Create(typeof(string).GetMethod(nameof(string.Concat), [typeof(string), typeof(string)])!, null, "concat", description)),
            McpServerTool.Create(AIFunctionFactory.Create(typeof(Thread).GetMethod(nameof(Thread.Sleep), [typeof(int)])!, null, "sleep", "Sleeps.")),
            McpServerTool.Create(AIFunctionFactory.Create(typeof(System.Environment).GetMethod(nameof(System.Environment.Exit), [typeof(int)])!, null, "crash", "Stops the server.")),
        };
        var options = new McpServerOptions { ServerInfo = new Implementation { Name = "edgewise-test", Version = "1.0.0" }, ToolCollection = tools };
        var transport = new StdioServerTransport(options);
        var server = McpServer.Create(transport, options);
        server.RunAsync().GetAwaiter().GetResult();
        System.Environment.Exit(0);
    }
}
