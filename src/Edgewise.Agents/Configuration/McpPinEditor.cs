using System.Text;
using System.Text.RegularExpressions;
using Edgewise.Configuration;
using YamlDotNet.RepresentationModel;

namespace Edgewise.Agents.Configuration;

/// <summary>
/// Writes MCP tool pins (<c>mcp_servers.SERVER.pinned.TOOL: HASH</c>) into the text of an <c>edgewise.yaml</c> by
/// editing only the lines concerned: an existing pin's hash is replaced in place, new pins are added after the last
/// entry of the server's <c>pinned</c> block (or a <c>pinned</c> block is added after the server's last key), so the
/// file's comments, order, quoting and blank lines stay as they were. The result is validated as a configuration
/// before it is returned.
/// </summary>
public static partial class McpPinEditor
{
    /// <summary>
    /// The text of <paramref name="yaml"/> (read from <paramref name="file"/>) with <paramref name="pins"/> (tool name →
    /// definition hash) pinned for MCP server <paramref name="server"/>.
    /// </summary>
    /// <exception cref="ConfigException">The file is invalid, has no such server, or holds it in a form this editor does not rewrite (a flow mapping).</exception>
    public static string Pin(string yaml, string file, string server, IReadOnlyDictionary<string, string> pins, ToolRegistry tools)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(pins);
        EdgewiseConfig.Parse(yaml, file, tools);
        foreach (var hash in pins.Values)
        {
            if (hash.Length != 64 || !hash.All(char.IsAsciiHexDigitLower))
            {
                throw new ArgumentException("A pin is a SHA-256 hash: 64 lowercase hex digits.", nameof(pins));
            }
        }

        var root = YamlNodeReader.Parse(yaml, file);
        var servers = Value(root.Node, "mcp_servers") as YamlMappingNode
            ?? throw root.Error("no mcp_servers section");
        var entry = Value(servers, server) as YamlMappingNode
            ?? throw root.Child(servers, "mcp_servers").Error("no MCP server named '" + server + "'");
        var path = "mcp_servers." + server;
        if (entry.Style == YamlDotNet.Core.Events.MappingStyle.Flow)
        {
            throw new YamlNodeReader(file, entry, path).Error("the server is written as a {flow mapping}; write it as a block mapping (one key per line) to pin from the command line");
        }

        var edits = new List<(int Start, int End, string Text)>();
        var newline = yaml.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";
        var pinnedKey = entry.Children.Keys.OfType<YamlScalarNode>().FirstOrDefault(k => k.Value == "pinned");
        var pinned = pinnedKey is null ? null : entry.Children[pinnedKey];
        if (pinned is YamlMappingNode { Style: YamlDotNet.Core.Events.MappingStyle.Flow } flow)
        {
            // A {flow mapping} is rewritten as one, with the existing entries first.
            var merged = flow.Children.ToDictionary(p => ((YamlScalarNode)p.Key).Value!, p => ((YamlScalarNode)p.Value).Value!, StringComparer.Ordinal);
            foreach (var (tool, hash) in pins)
            {
                merged[tool] = hash;
            }

            // The node's end mark may stop before the closing brace: the span runs to the brace itself.
            var close = (int)flow.End.Index > 0 && yaml[(int)flow.End.Index - 1] == '}' ? (int)flow.End.Index : yaml.IndexOf('}', (int)flow.End.Index) + 1;
            edits.Add(((int)flow.Start.Index, close, "{" + string.Join(", ", merged.Select(p => Key(p.Key) + ": " + p.Value)) + "}"));
        }
        else if (pinned is YamlMappingNode { Children.Count: > 0 } block)
        {
            var indent = new string(' ', (int)block.Children.Keys.First().Start.Column - 1);
            var added = new StringBuilder();
            foreach (var (tool, hash) in pins)
            {
                var existing = block.Children.FirstOrDefault(p => p.Key is YamlScalarNode { Value: var v } && v == tool);
                if (existing.Value is YamlScalarNode value)
                {
                    edits.Add(((int)value.Start.Index, (int)value.End.Index, hash));
                }
                else
                {
                    added.Append(indent).Append(Key(tool)).Append(": ").Append(hash).Append(newline);
                }
            }

            if (added.Length > 0)
            {
                edits.Add(InsertAfterLine(yaml, Last(block), added.ToString(), newline));
            }
        }
        else if (pinned is null or YamlScalarNode { Value: null or "" or "~" or "null" })
        {
            var keyColumn = (int)(pinnedKey ?? (YamlScalarNode)entry.Children.Keys.First()).Start.Column - 1;
            var lines = new StringBuilder();
            foreach (var (tool, hash) in pins)
            {
                lines.Append(new string(' ', keyColumn + 2)).Append(Key(tool)).Append(": ").Append(hash).Append(newline);
            }

            if (pinnedKey is null)
            {
                edits.Add(InsertAfterLine(yaml, Last(entry), new string(' ', keyColumn) + "pinned:" + newline + lines, newline));
            }
            else
            {
                // "pinned:" with no value (or ~): the entries go on the lines after it, and a ~ or null goes.
                if (pinned is YamlScalarNode empty && empty.End.Index > empty.Start.Index)
                {
                    edits.Add(((int)empty.Start.Index, (int)empty.End.Index, string.Empty));
                }

                edits.Add(InsertAfterLine(yaml, pinnedKey, lines.ToString(), newline));
            }
        }
        else
        {
            throw new YamlNodeReader(file, pinned, path + ".pinned").Error("expected a mapping of tool names to hashes");
        }

        var result = new StringBuilder(yaml);
        foreach (var (start, end, text) in edits.OrderByDescending(e => e.Start))
        {
            result.Remove(start, end - start).Insert(start, text);
        }

        var edited = result.ToString();
        var check = EdgewiseConfig.Parse(edited, file, tools).McpServers[server].Pinned;
        foreach (var (tool, hash) in pins)
        {
            if (!check.TryGetValue(tool, out var written) || written != hash)
            {
                throw new InvalidOperationException("The edited file does not read back the pin of '" + tool + "'.");
            }
        }

        return edited;
    }

    private static YamlNode? Value(YamlNode node, string key) =>
        node is YamlMappingNode mapping && mapping.Children.FirstOrDefault(p => p.Key is YamlScalarNode { Value: var v } && v == key).Value is { } value ? value : null;

    /// <summary>The last node written inside <paramref name="node"/>: its end mark is where its text ends (block collections end at the next token).</summary>
    private static YamlNode Last(YamlNode node) => node switch
    {
        YamlMappingNode { Style: not YamlDotNet.Core.Events.MappingStyle.Flow, Children.Count: > 0 } m => Last(m.Children.Last().Value),
        YamlSequenceNode { Style: not YamlDotNet.Core.Events.SequenceStyle.Flow, Children.Count: > 0 } s => Last(s.Children[^1]),
        _ => node,
    };

    /// <summary>An insertion of <paramref name="text"/> at the start of the line after the one where <paramref name="node"/> ends.</summary>
    private static (int Start, int End, string Text) InsertAfterLine(string yaml, YamlNode node, string text, string newline)
    {
        var end = (int)node.End.Index;
        if (end > 0 && yaml[end - 1] == '\n')
        {
            return (end, end, text);
        }

        var next = yaml.IndexOf('\n', end);
        return next < 0 ? (yaml.Length, yaml.Length, newline + text) : (next + 1, next + 1, text);
    }

    private static string Key(string name) => PlainKey().IsMatch(name) ? name : System.Text.Json.JsonSerializer.Serialize(name, AgentsJsonContext.Default.String);

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_.-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex PlainKey();
}
