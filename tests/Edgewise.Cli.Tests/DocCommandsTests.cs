using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Edgewise.Testing;

namespace Edgewise.Cli.Tests;

/// <summary>
/// The commands of README.md and docs/quickstart.md run as written: every fenced block tagged <c>```bash offline</c>
/// is run, in order, by bash with <c>set -euo pipefail</c>, against the built <c>edgewise</c> (a wrapper on PATH), in
/// a scratch folder beside a link to ../shared and holding a link to the built sample MCP server, with a fresh
/// EDGEWISE_HOME. The quickstart's serve block binds the default port 11435, so a server already listening there
/// fails this test.
/// </summary>
public sealed partial class DocCommandsTests
{
    [Theory]
    [InlineData("README.md", 1)]
    [InlineData("docs/quickstart.md", 4)]
    public async Task OfflineBlocks_RunAsWritten(string document, int minimumBlocks)
    {
        var blocks = OfflineBlocks(File.ReadAllText(RepoPaths.File(document.Split('/'))));
        Assert.True(blocks.Count >= minimumBlocks, $"{document} has {blocks.Count} ```bash offline blocks; expected at least {minimumBlocks}");

        using var dir = new ServeTempDirectory();
        var work = Directory.CreateDirectory(Path.Combine(dir.Path, "work")).FullName;
        Directory.CreateSymbolicLink(Path.Combine(dir.Path, "shared"), SharedPaths.Root);

        // The quickstart's agent starts the sample MCP server its step 1 builds (samples/sample-tools/bin/Release/...,
        // from the repository root): the scratch folder has that build output at the same place.
        var tools = Directory.CreateDirectory(Path.Combine(work, "samples", "sample-tools", "bin", "Release")).FullName;
        Directory.CreateSymbolicLink(Path.Combine(tools, "net10.0"), RepoPaths.File("samples", "sample-tools", "bin", "Release", "net10.0"));
        var bin = Directory.CreateDirectory(Path.Combine(dir.Path, "bin")).FullName;
        var wrapper = Path.Combine(bin, "edgewise");
        File.WriteAllText(wrapper, "#!/bin/sh\nexec dotnet '" + Path.Combine(AppContext.BaseDirectory, "edgewise.dll") + "' \"$@\"\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var script = new StringBuilder("set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n");
        foreach (var (line, block) in blocks)
        {
            script.Append("echo '### ").Append(document).Append(':').Append(line).Append("' >&2\n").Append(block).Append('\n');
        }

        var scriptPath = Path.Combine(dir.Path, "doc.sh");
        File.WriteAllText(scriptPath, script.ToString());
        var start = new ProcessStartInfo("bash") { WorkingDirectory = work, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(scriptPath);
        start.Environment["EDGEWISE_HOME"] = Path.Combine(dir.Path, "home");
        start.Environment["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH");
        start.Environment.Remove("EDGEWISE_API_KEYS");

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var errors = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(4));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        Assert.True(process.ExitCode == 0, $"{document}: a documented command failed (exit {process.ExitCode}).\nstdout:\n{await output}\nstderr:\n{await errors}");
    }

    [Fact]
    public void ConfigurationReference_CompleteExample_IsAValidConfiguration()
    {
        var text = File.ReadAllText(RepoPaths.File("docs", "configuration.md"));
        var example = YamlBlock().Matches(text.ReplaceLineEndings("\n")).Select(m => m.Groups[1].Value).Last();

        var config = Edgewise.Agents.Configuration.EdgewiseConfig.Parse(example, "docs/configuration.md", new Edgewise.Agents.Configuration.ToolRegistry());

        Assert.Equal(["big", "small"], config.Models.Keys.Order());
        Assert.Equal("kiosk", Assert.Single(config.Agents.Keys));
        Assert.Single(config.McpServers["files"].Pinned);

        // The shop server is the samples' tool server: its pins are the ones the retail sample holds for it.
        var sample = Edgewise.Agents.Configuration.EdgewiseConfig.Load(RepoPaths.File("samples", "retail-kiosk", "edgewise.yaml"), new Edgewise.Agents.Configuration.ToolRegistry());
        var pins = config.McpServers["shop"].Pinned;
        Assert.Equal(["inventory_lookup", "place_order", "price_quote"], pins.Keys.Order(StringComparer.Ordinal));
        Assert.All(pins, p => Assert.Equal(sample.McpServers["shop"].Pinned[p.Key], p.Value));
    }

    /// <summary>The <c>```bash offline</c> blocks of a Markdown text, with the line each starts on.</summary>
    internal static List<(int Line, string Text)> OfflineBlocks(string markdown)
    {
        var blocks = new List<(int, string)>();
        foreach (Match m in OfflineBlock().Matches(markdown.ReplaceLineEndings("\n")))
        {
            blocks.Add((markdown[..m.Index].Count(c => c == '\n') + 1, m.Groups[1].Value));
        }

        return blocks;
    }

    [GeneratedRegex(@"^```yaml\n(.*?)^```$", RegexOptions.Multiline | RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex YamlBlock();

    [GeneratedRegex(@"^```bash offline\n(.*?)^```$", RegexOptions.Multiline | RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex OfflineBlock();
}
