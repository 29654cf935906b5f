using System.CommandLine;
using System.Text.Json;
using Edgewise.Agents.Configuration;
using Edgewise.Configuration;
using Edgewise.Agents.Mcp;

namespace Edgewise.Cli.Commands;

/// <summary>
/// <c>edgewise mcp ls</c> and <c>edgewise mcp pin</c>: see the tools each configured MCP server offers, with the
/// definition hash that pins them (A09) and whether the configuration pins that hash, and pin them in edgewise.yaml.
/// An MCP tool is usable by agents only while its pinned hash matches what the server lists.
/// </summary>
internal static class McpCommands
{
    /// <summary>A tool's state against the configuration's pins.</summary>
    private static string Status(McpServerConfig server, McpToolDefinition tool) =>
        !server.Pinned.TryGetValue(tool.Name, out var pin) ? "new" : pin == tool.Hash ? "pinned" : "changed";

    public static Command Create(CliConsole console) => new("mcp", "MCP servers of edgewise.yaml: their tools and the pins that enable them.") { Ls(console), Pin(console) };

    private static Option<string> ConfigOption() => new("--config")
    {
        Description = "The configuration file (default: edgewise.yaml in the current folder).",
        DefaultValueFactory = _ => EdgewiseConfig.DefaultFileName,
    };

    private static Command Ls(CliConsole console)
    {
        var config = ConfigOption();
        var json = ModelCommands.JsonOption();
        var command = new Command("ls", "Start each configured MCP server and list its tools: description, definition hash, and pinned / changed / new.") { config, json };
        command.SetAction(async (r, cancel) =>
        {
            EdgewiseConfig loaded;
            try
            {
                loaded = EdgewiseConfig.Load(r.GetValue(config)!, new ToolRegistry());
            }
            catch (ConfigException e)
            {
                console.Error.WriteLine("error: " + e.Message);
                return CliConsole.UsageError;
            }

            var failed = false;
            var rows = new List<(McpServerConfig Server, McpToolDefinition Tool)>();
            var missing = new List<(string Server, string Tool)>();
            foreach (var server in loaded.McpServers.Values)
            {
                var listed = await ListAsync(server, loaded.BaseDirectory, console, cancel).ConfigureAwait(false);
                if (listed is null)
                {
                    failed = true;
                    continue;
                }

                rows.AddRange(listed.Select(t => (server, t)));
                missing.AddRange(server.Pinned.Keys.Where(p => listed.All(t => t.Name != p)).Select(p => (server.Name, p)));
            }

            if (r.GetValue(json))
            {
                console.WriteJson(new McpListOutput(
                    [.. rows.Select(x => new McpToolOutput(
                        x.Server.Name,
                        x.Tool.Name,
                        x.Tool.Description,
                        x.Tool.Hash,
                        Status(x.Server, x.Tool),
                        x.Server.Pinned.GetValueOrDefault(x.Tool.Name),
                        x.Tool.HasInvisibleCharacters,
                        x.Tool.Enabled))],
                    [.. missing.Select(m => new McpMissingPinOutput(m.Server, m.Tool))]));
            }
            else if (loaded.McpServers.Count == 0)
            {
                console.Out.WriteLine("no MCP servers in " + loaded.File);
            }
            else
            {
                var serverWidth = Math.Max(6, rows.Select(x => x.Server.Name.Length).DefaultIfEmpty(0).Max());
                var toolWidth = Math.Max(4, rows.Select(x => x.Tool.Name.Length).DefaultIfEmpty(0).Max());
                console.Out.WriteLine("SERVER".PadRight(serverWidth) + "  " + "TOOL".PadRight(toolWidth) + "  STATUS   HASH              DESCRIPTION");
                foreach (var (server, tool) in rows)
                {
                    var description = tool.Description.ReplaceLineEndings(" ");
                    console.Out.WriteLine(server.Name.PadRight(serverWidth) + "  " + tool.Name.PadRight(toolWidth) + "  " + Status(server, tool).PadRight(7) + "  "
                        + tool.Hash[..16] + "  " + (description.Length > 80 ? description[..77] + "..." : description));
                }

                foreach (var (server, tool) in missing)
                {
                    console.Out.WriteLine(server.PadRight(serverWidth) + "  " + tool.PadRight(toolWidth) + "  missing  (pinned, but the server no longer lists it)");
                }

                foreach (var (server, tool) in rows.Where(x => x.Tool.HasInvisibleCharacters))
                {
                    console.Error.WriteLine("warning: " + server.Name + "/" + tool.Name + " has invisible characters in its definition and stays disabled even when pinned");
                }

                if (rows.Any(x => Status(x.Server, x.Tool) != "pinned"))
                {
                    console.Out.WriteLine();
                    console.Out.WriteLine("Tools that are not pinned stay disabled. Read a definition and pin it: edgewise mcp pin SERVER TOOL");
                }
            }

            return failed ? 1 : 0;
        });
        return command;
    }

    private static Command Pin(CliConsole console)
    {
        var serverName = new Argument<string>("server") { Description = "The MCP server, as named under mcp_servers." };
        var tools = new Argument<string[]>("tools") { Description = "The tools to pin (default: every tool the server lists).", Arity = ArgumentArity.ZeroOrMore };
        var config = ConfigOption();
        var command = new Command("pin", "Show each tool's definition and pin its current hash in edgewise.yaml (comments and layout are kept).") { serverName, tools, config };
        command.SetAction(async (r, cancel) =>
        {
            var path = r.GetValue(config)!;
            var registry = new ToolRegistry();
            EdgewiseConfig loaded;
            try
            {
                loaded = EdgewiseConfig.Load(path, registry);
            }
            catch (ConfigException e)
            {
                console.Error.WriteLine("error: " + e.Message);
                return CliConsole.UsageError;
            }

            var name = r.GetValue(serverName)!;
            if (!loaded.McpServers.TryGetValue(name, out var server))
            {
                console.Error.WriteLine("error: no MCP server '" + name + "' in " + loaded.File
                    + (loaded.McpServers.Count > 0 ? "; servers: " + string.Join(", ", loaded.McpServers.Keys) : string.Empty));
                return CliConsole.UsageError;
            }

            var listed = await ListAsync(server, loaded.BaseDirectory, console, cancel).ConfigureAwait(false);
            if (listed is null)
            {
                return 1;
            }

            var asked = r.GetValue(tools) ?? [];
            var unknown = asked.Where(t => listed.All(d => d.Name != t)).ToList();
            if (unknown.Count > 0)
            {
                console.Error.WriteLine("error: " + name + " lists no tool " + string.Join(", ", unknown) + "; it lists: " + string.Join(", ", listed.Select(d => d.Name)));
                return CliConsole.UsageError;
            }

            var chosen = asked.Length == 0 ? listed : listed.Where(d => asked.Contains(d.Name, StringComparer.Ordinal)).ToList();
            var flagged = chosen.Where(d => d.HasInvisibleCharacters).ToList();
            foreach (var tool in chosen)
            {
                console.Out.WriteLine(name + "/" + tool.Name + " (" + Status(server, tool) + ")");
                console.Out.WriteLine("  description: " + tool.Description.ReplaceLineEndings("\n               "));
                console.Out.WriteLine("  input schema: " + JsonSerializer.Serialize(tool.InputSchema, CliJsonContext.Info<JsonElement>(CliJsonContext.IndentedOptions)).ReplaceLineEndings("\n  "));
                if (server.Pinned.TryGetValue(tool.Name, out var old) && old != tool.Hash)
                {
                    console.Out.WriteLine("  was pinned:  " + old);
                }

                console.Out.WriteLine("  hash:        " + tool.Hash);
                console.Out.WriteLine();
            }

            if (flagged.Count > 0)
            {
                console.Error.WriteLine("error: " + string.Join(", ", flagged.Select(d => name + "/" + d.Name))
                    + " hold invisible characters (hidden instructions); they are never enabled, so nothing was pinned");
                return CliConsole.UsageError;
            }

            var pins = chosen.Where(d => Status(server, d) != "pinned").ToDictionary(d => d.Name, d => d.Hash, StringComparer.Ordinal);
            if (pins.Count == 0)
            {
                console.Out.WriteLine("already pinned; " + loaded.File + " is unchanged");
                return 0;
            }

            try
            {
                var text = await File.ReadAllTextAsync(path, cancel).ConfigureAwait(false);
                var edited = McpPinEditor.Pin(text, path, name, pins, registry);
                var temp = path + ".edgewise-" + Guid.NewGuid().ToString("N")[..8] + ".tmp";
                await File.WriteAllTextAsync(temp, edited, cancel).ConfigureAwait(false);
                File.Move(temp, path, overwrite: true);
            }
            catch (ConfigException e)
            {
                console.Error.WriteLine("error: " + e.Message);
                return CliConsole.UsageError;
            }

            foreach (var (tool, hash) in pins)
            {
                console.Out.WriteLine("pinned " + name + "/" + tool + " " + hash + " in " + loaded.File);
            }

            return 0;
        });
        return command;
    }

    /// <summary>
    /// Starts <paramref name="server"/> in <paramref name="workingDirectory"/> (the configuration's folder), lists its tool
    /// definitions and stops it; null (after an error line) when it cannot be reached.
    /// </summary>
    private static async Task<IReadOnlyList<McpToolDefinition>?> ListAsync(McpServerConfig server, string workingDirectory, CliConsole console, CancellationToken cancel)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        try
        {
            var source = await McpToolSource.StartAsync(server, audit: null, workingDirectory, timeout.Token).ConfigureAwait(false);
            await using (source.ConfigureAwait(false))
            {
                var (_, definitions) = await source.LoadToolsAsync(server.Pinned, cancellationToken: timeout.Token).ConfigureAwait(false);
                return definitions;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancel.IsCancellationRequested)
        {
            console.Error.WriteLine("error: MCP server '" + server.Name + "' (" + (server.Url?.ToString() ?? server.Command) + "): "
                + (e is OperationCanceledException ? "no answer within 60 s" : e.Message.ReplaceLineEndings(" ")));
            return null;
        }
    }
}
