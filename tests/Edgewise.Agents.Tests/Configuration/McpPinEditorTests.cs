using Edgewise.Agents.Configuration;
using Edgewise.Configuration;

namespace Edgewise.Agents.Tests.Configuration;

/// <summary>Pins are written into edgewise.yaml by editing only their lines: comments, order and layout stay.</summary>
public sealed class McpPinEditorTests
{
    private static readonly string A = new('a', 64);
    private static readonly string B = new('b', 64);
    private static readonly string C = new('c', 64);

    [Fact]
    public void Pin_NoPinnedBlock_AddsOneAfterTheServersLastKey()
    {
        const string Yaml = """
            mcp_servers:
              files:    # read-only
                command: mcp-files
                args:
                  - --root
                  - /srv   # the share

              other:
                url: http://127.0.0.1:9000/mcp
            """;

        var edited = McpPinEditor.Pin(Yaml, "e.yaml", "files", new Dictionary<string, string> { ["read"] = A }, new ToolRegistry());

        Assert.Equal(Yaml.Replace("  - /srv   # the share\n", "  - /srv   # the share\n    pinned:\n      read: " + A + "\n", StringComparison.Ordinal), edited);
    }

    [Fact]
    public void Pin_ExistingBlock_ReplacesInPlaceAndAppendsNewEntries()
    {
        var yaml = $"""
            mcp_servers:
              files:
                command: mcp-files
                pinned:
                  # reviewed 2026-11-02
                  read: {A}   # ok
                  list: {A}
              other:
                command: mcp-other
            """;

        var edited = McpPinEditor.Pin(yaml, "e.yaml", "files", new Dictionary<string, string> { ["read"] = B, ["write"] = C }, new ToolRegistry());

        Assert.Equal(
            yaml.Replace($"read: {A}   # ok", $"read: {B}   # ok", StringComparison.Ordinal)
                .Replace($"      list: {A}\n", $"      list: {A}\n      write: {C}\n", StringComparison.Ordinal),
            edited);
    }

    [Fact]
    public void Pin_FlowMapping_IsRewrittenAsAFlowMapping()
    {
        var yaml = $"mcp_servers:\n  files:\n    command: mcp-files\n    pinned: {{read: {A}}}  # flow\n";

        var edited = McpPinEditor.Pin(yaml, "e.yaml", "files", new Dictionary<string, string> { ["list"] = B }, new ToolRegistry());

        Assert.Equal($"mcp_servers:\n  files:\n    command: mcp-files\n    pinned: {{read: {A}, list: {B}}}  # flow\n", edited);
    }

    [Fact]
    public void Pin_CrLfFileWithoutTrailingNewline_KeepsCrLf()
    {
        var yaml = "mcp_servers:\r\n  files:\r\n    command: mcp-files";

        var edited = McpPinEditor.Pin(yaml, "e.yaml", "files", new Dictionary<string, string> { ["read"] = A }, new ToolRegistry());

        Assert.Equal("mcp_servers:\r\n  files:\r\n    command: mcp-files\r\n    pinned:\r\n      read: " + A + "\r\n", edited);
    }

    [Fact]
    public void Pin_UnknownServer_NamesTheFile()
    {
        var e = Assert.Throws<ConfigException>(() => McpPinEditor.Pin("mcp_servers:\n  files:\n    command: x\n", "e.yaml", "nosuch", new Dictionary<string, string> { ["read"] = A }, new ToolRegistry()));
        Assert.Contains("e.yaml", e.Message, StringComparison.Ordinal);
        Assert.Contains("nosuch", e.Message, StringComparison.Ordinal);
    }
}
