using System.Text.Json;
using Edgewise.Agents.Mcp;
using Edgewise.Testing;
using Microsoft.Extensions.AI;

namespace Edgewise.Server.Tests.Agents;

/// <summary>An agent whose tool lives on a real MCP server child process, run through the agents API.</summary>
public sealed class AgentMcpTests
{
    [Fact]
    public async Task Run_McpToolOnAChildServer_ModelCallsItAndGetsItsResult()
    {
        var (command, args) = McpTestServer.CommandLine();
        string hash;
        List<string> parameters;
        await using (var probe = await McpToolSource.StartStdioAsync("probe", command, args, cancellationToken: TestContext.Current.CancellationToken))
        {
            hash = (await probe.LoadToolsAsync(new Dictionary<string, string>(), cancellationToken: TestContext.Current.CancellationToken)).Definitions.Single(d => d.Name == "concat").Hash;
            var tool = (await probe.LoadToolsAsync(new Dictionary<string, string> { ["concat"] = hash }, cancellationToken: TestContext.Current.CancellationToken)).Tools.Single();
            parameters = tool.Function.JsonSchema.GetProperty("properties").EnumerateObject().Select(p => p.Name).ToList();
        }

        var argList = string.Join(", ", args.Select(a => JsonSerializer.Serialize(a)));
        var yaml = $$"""
            models:
              small:
                path: {{AgentServer.ModelPath}}
            agents:
              joiner:
                description: Joins words.
                model: small
                tools: [strings/concat]
            mcp_servers:
              strings:
                command: {{command}}
                args: [{{argList}}]
                pinned:
                  concat: {{hash}}
            """;
        var arguments = new Dictionary<string, object?> { [parameters[0]] = "edge", [parameters[1]] = "wise" };
        var models = new Dictionary<string, IChatClient> { ["small"] = AgentScripts.CallsTool("concat", arguments) };
        await using var server = await AgentServer.StartAsync(yaml, models);

        var run = await server.RunAsync("joiner", "join edge and wise");

        var output = run.GetProperty("output").GetString()!;
        Assert.StartsWith("done: ", output, StringComparison.Ordinal);
        Assert.Contains("edgewise", output, StringComparison.Ordinal);
        Assert.Contains(run.GetProperty("messages").EnumerateArray(), m => m.GetProperty("role").GetString() == "tool");
    }
}
