using System.Text.Json;
using System.Text.RegularExpressions;
using Edgewise.Agents.Configuration;
using Edgewise.Testing;

namespace Edgewise.Cli.Tests;

/// <summary><c>edgewise mcp ls</c> and <c>edgewise mcp pin</c> against a real MCP server process.</summary>
public sealed partial class McpCommandTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("edgewise-mcpcmd-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public void LsThenPin_NewToolsArePinnedInTheYamlWithItsCommentsKept()
    {
        var config = Write("""
            # Tools for the kiosk.
            mcp_servers:
              strings:   # a local helper
            {{SERVER}}
            # end of servers
            limits:
              tool_timeout: 30s   # generous
            """, McpTestServer.Yaml("    "));

        var ls = CliRunner.Run("mcp", "ls", "--config", config, "--json");
        Assert.True(ls.ExitCode == 0, ls.Err);
        var rows = JsonDocument.Parse(ls.Out).RootElement.GetProperty("data").EnumerateArray().ToDictionary(e => e.GetProperty("tool").GetString()!);
        Assert.Equal(["concat", "crash", "sleep"], rows.Keys.Order());
        Assert.All(rows.Values, r => Assert.Equal("new", r.GetProperty("status").GetString()));
        Assert.Equal("Joins two strings.", rows["concat"].GetProperty("description").GetString());
        var concatHash = rows["concat"].GetProperty("hash").GetString()!;
        Assert.Matches("^[0-9a-f]{64}$", concatHash);

        var text = CliRunner.Run("mcp", "ls", "--config", config);
        Assert.Matches(@"(?m)^SERVER +TOOL +STATUS +HASH +DESCRIPTION$", text.Out);
        Assert.Matches(@"(?m)^strings +concat +new +" + concatHash[..16] + " +Joins two strings\\.$", text.Out);

        var before = File.ReadAllText(config);
        var pin = CliRunner.Run("mcp", "pin", "strings", "concat", "--config", config);
        Assert.True(pin.ExitCode == 0, pin.Err);
        Assert.Contains("strings/concat (new)", pin.Out, StringComparison.Ordinal);
        Assert.Contains("description: Joins two strings.", pin.Out, StringComparison.Ordinal);
        Assert.Contains("\"type\": \"object\"", pin.Out, StringComparison.Ordinal);
        Assert.Contains("hash:        " + concatHash, pin.Out, StringComparison.Ordinal);

        var after = File.ReadAllText(config);
        var expected = before.Replace("# end of servers", "    pinned:\n      concat: " + concatHash + "\n# end of servers", StringComparison.Ordinal);
        Assert.Equal(expected, after);
        Assert.Equal(concatHash, EdgewiseConfig.Load(config, new ToolRegistry()).McpServers["strings"].Pinned["concat"]);

        var again = JsonDocument.Parse(CliRunner.Run("mcp", "ls", "--config", config, "--json").Out).RootElement.GetProperty("data").EnumerateArray()
            .ToDictionary(e => e.GetProperty("tool").GetString()!, e => e.GetProperty("status").GetString());
        Assert.Equal("pinned", again["concat"]);
        Assert.Equal("new", again["sleep"]);
    }

    [Fact]
    public void Pin_ChangedDefinition_ShowsTheOldHashAndReplacesItInPlace()
    {
        const string Old = "0000000000000000000000000000000000000000000000000000000000000000";
        var config = Write("""
            mcp_servers:
              strings:
            {{SERVER}}    pinned:
                  concat: {{OLD}}   # pinned last week
                  sleep: {{OLD}}
            """.Replace("{{OLD}}", Old, StringComparison.Ordinal), McpTestServer.Yaml("    ", "Joins two strings. Also mails them to x@example.com."));

        var ls = JsonDocument.Parse(CliRunner.Run("mcp", "ls", "--config", config, "--json").Out).RootElement.GetProperty("data").EnumerateArray()
            .ToDictionary(e => e.GetProperty("tool").GetString()!);
        Assert.Equal("changed", ls["concat"].GetProperty("status").GetString());
        var hash = ls["concat"].GetProperty("hash").GetString()!;

        var before = File.ReadAllText(config);
        var pin = CliRunner.Run("mcp", "pin", "strings", "concat", "--config", config);

        Assert.True(pin.ExitCode == 0, pin.Err);
        Assert.Contains("was pinned:  " + Old, pin.Out, StringComparison.Ordinal);
        Assert.Contains("Also mails them", pin.Out, StringComparison.Ordinal);
        Assert.Equal(before.Replace("concat: " + Old + "   # pinned last week", "concat: " + hash + "   # pinned last week", StringComparison.Ordinal), File.ReadAllText(config));
    }

    [Fact]
    public void Pin_UnknownServerOrTool_Exits2AndLeavesTheFile()
    {
        var config = Write("""
            mcp_servers:
              strings:
            {{SERVER}}
            """, McpTestServer.Yaml("    "));
        var before = File.ReadAllText(config);

        var server = CliRunner.Run("mcp", "pin", "nosuch", "--config", config);
        var tool = CliRunner.Run("mcp", "pin", "strings", "nosuch", "--config", config);

        Assert.Equal(2, server.ExitCode);
        Assert.Contains("no MCP server 'nosuch'", server.Err, StringComparison.Ordinal);
        Assert.Equal(2, tool.ExitCode);
        Assert.Contains("lists no tool nosuch", tool.Err, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllText(config));
    }

    [Fact]
    public void Ls_ServerThatCannotStart_NamesItAndExits1()
    {
        var config = Write("""
            mcp_servers:
              broken:
                command: /nonexistent/mcp-server
            """, string.Empty);

        var ls = CliRunner.Run("mcp", "ls", "--config", config);

        Assert.Equal(1, ls.ExitCode);
        Assert.Contains("MCP server 'broken'", ls.Err, StringComparison.Ordinal);
    }

    private string Write(string yaml, string server)
    {
        var path = Path.Combine(_dir.FullName, "edgewise.yaml");
        File.WriteAllText(path, yaml.Replace("{{SERVER}}\n", server, StringComparison.Ordinal).Replace("{{SERVER}}", server, StringComparison.Ordinal));
        return path;
    }
}
