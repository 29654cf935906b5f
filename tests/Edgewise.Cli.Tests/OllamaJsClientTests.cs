using System.Diagnostics;
using System.Text.Json;
using Edgewise.Testing;

namespace Edgewise.Cli.Tests;

/// <summary>
/// The official <c>ollama</c> npm client (version pinned by OllamaJs/package-lock.json) against a real
/// <c>edgewise serve</c> serving a model imported into the store: list, show, chat (whole and streamed), generate and
/// ps. The client is installed with <c>npm ci</c> into a temporary folder (a few seconds; npm's cache makes reruns
/// fast), so the checkout stays clean. Needs node 18+ and npm on PATH, as CI has.
/// </summary>
public sealed class OllamaJsClientTests
{
    [Fact]
    public async Task OfficialClient_ListShowChatGeneratePs_AgainstAStoreModel()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new ServeTempDirectory();
        var home = Path.Combine(dir.Path, "home");
        var client = Path.Combine(dir.Path, "client");
        Directory.CreateDirectory(client);
        foreach (var file in new[] { "package.json", "package-lock.json", "client.mjs" })
        {
            File.Copy(RepoPaths.File("tests", "Edgewise.Cli.Tests", "OllamaJs", file), Path.Combine(client, file));
        }

        var install = await RunAsync("npm", client, ct, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error");
        Assert.True(install.Code == 0, "npm ci failed: " + install.Err);

        var model = SharedPaths.ReferenceFile("models", "ref-qwen2-Q4_K_M.gguf");
        var imported = await ServeProcess.RunToExitAsync(home, "import", model, "--name", "qwen-ref");
        Assert.True(imported.Code == 0, imported.Err);

        var (server, address) = await ServeProcess.StartServerAsync(home, "serve", "--port", "0");
        await using (server)
        {
            var run = await RunAsync("node", client, ct, "client.mjs", address.ToString().TrimEnd('/'), "qwen-ref");
            Assert.True(run.Code == 0, "the ollama client failed: " + run.Err + "\nserver log:\n" + server.Errors);
            var result = JsonDocument.Parse(run.Out).RootElement;

            var listed = Assert.Single(result.GetProperty("list").EnumerateArray());
            Assert.Equal("qwen-ref:latest", listed.GetProperty("name").GetString());
            Assert.Equal(new FileInfo(model).Length, listed.GetProperty("size").GetInt64());
            Assert.Matches("^[0-9a-f]{64}$", listed.GetProperty("digest").GetString());
            Assert.Equal("Q4_K_M", listed.GetProperty("details").GetProperty("quantization_level").GetString());
            Assert.Equal("qwen2", listed.GetProperty("details").GetProperty("family").GetString());

            Assert.Equal("qwen2", result.GetProperty("show").GetProperty("details").GetProperty("family").GetString());
            Assert.Equal(4096, result.GetProperty("show").GetProperty("model_info").GetProperty("qwen2.context_length").GetInt32());

            var chat = result.GetProperty("chat");
            Assert.Equal("assistant", chat.GetProperty("role").GetString());
            Assert.True(chat.GetProperty("done").GetBoolean());
            Assert.Equal(4, chat.GetProperty("eval_count").GetInt32());
            Assert.False(string.IsNullOrEmpty(chat.GetProperty("content").GetString()));

            var stream = result.GetProperty("stream");
            Assert.True(stream.GetProperty("parts").GetInt32() >= 2);
            Assert.True(stream.GetProperty("done").GetBoolean());
            Assert.Equal("length", stream.GetProperty("done_reason").GetString());

            Assert.Equal(4, result.GetProperty("generate").GetProperty("eval_count").GetInt32());
            Assert.False(string.IsNullOrEmpty(result.GetProperty("generate").GetProperty("response").GetString()));

            var running = Assert.Single(result.GetProperty("ps").EnumerateArray());
            Assert.Equal("qwen-ref:latest", running.GetProperty("name").GetString());
            Assert.Equal(listed.GetProperty("digest").GetString(), running.GetProperty("digest").GetString());
        }
    }

    private static async Task<(int Code, string Out, string Err)> RunAsync(string program, string directory, CancellationToken ct, params string[] args)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var error = process.StandardError.ReadToEndAsync(ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await output, await error);
    }
}
