using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Edgewise.Cli.Commands;
using Edgewise.Testing;

namespace Edgewise.Cli.Tests;

/// <summary>pull, ls, rm, import and doctor against a temporary EDGEWISE_HOME (one class: the variable is process-wide).</summary>
public sealed class StoreCommandTests : IDisposable
{
    private readonly string _home = Path.Combine(Path.GetTempPath(), "edgewise-cli-store-" + Guid.NewGuid().ToString("N"));
    private readonly string? _previousHome = Environment.GetEnvironmentVariable("EDGEWISE_HOME");
    private readonly string? _previousEndpoint = Environment.GetEnvironmentVariable("HF_ENDPOINT");

    public StoreCommandTests() => Environment.SetEnvironmentVariable("EDGEWISE_HOME", _home);

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("EDGEWISE_HOME", _previousHome);
        Environment.SetEnvironmentVariable("HF_ENDPOINT", _previousEndpoint);
        foreach (var f in Directory.Exists(_home) ? Directory.EnumerateFiles(_home, "*", SearchOption.AllDirectories) : [])
        {
            File.SetAttributes(f, FileAttributes.Normal);
        }

        if (Directory.Exists(_home))
        {
            Directory.Delete(_home, recursive: true);
        }
    }

    [Fact]
    public void Ls_CatalogTagCode_ListsOnlyCodeModels()
    {
        var (code, output, _) = CliRunner.Run("ls", "--catalog", "--tag", "code", "--json");

        Assert.Equal(0, code);
        var aliases = JsonDocument.Parse(output).RootElement.EnumerateArray().Select(m => m.GetProperty("alias").GetString()).ToList();
        Assert.Contains("qwen2.5-coder-0.5b", aliases);
        Assert.DoesNotContain("smollm2-135m", aliases);
    }

    [Fact]
    public void ImportLsRm_OllamaDirectory_RoundTrip()
    {
        var ollama = BuildOllamaDirectory(Path.Combine(_home, "ollama-src"));

        var (importCode, importOut, _) = CliRunner.Run("import", ollama);
        var (lsCode, lsOut, _) = CliRunner.Run("ls", "--json");
        var path = StoreRun("qwen2.5:0.5b");
        var (rmCode, rmOut, _) = CliRunner.Run("rm", "qwen2.5:0.5b");
        var (rmAgain, _, rmErr) = CliRunner.Run("rm", "qwen2.5:0.5b");

        Assert.Equal(0, importCode);
        Assert.Contains("imported qwen2.5:0.5b", importOut, StringComparison.Ordinal);
        Assert.Equal(0, lsCode);
        Assert.Equal("qwen2.5", JsonDocument.Parse(lsOut).RootElement[0].GetProperty("name").GetString());
        Assert.StartsWith(Path.Combine(_home, "models", "blobs", "sha256-"), path, StringComparison.Ordinal);
        Assert.Equal(0, rmCode);
        Assert.Contains("removed qwen2.5:0.5b", rmOut, StringComparison.Ordinal);
        Assert.Equal(ModelStoreCommands.NotFound, rmAgain);
        Assert.Contains("model_not_found", rmErr, StringComparison.Ordinal);
    }

    [Fact]
    public void Import_NotAModel_ExitsVerification()
    {
        Directory.CreateDirectory(_home);
        var bad = Path.Combine(_home, "bad.gguf");
        File.WriteAllBytes(bad, new byte[64]);

        var (code, _, err) = CliRunner.Run("import", bad);

        Assert.Equal(ModelStoreCommands.Verification, code);
        Assert.Contains("invalid_model_file", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Pull_M13_PathName_ExitsUsageWithInvalidModelName()
    {
        var (code, _, err) = CliRunner.Run("pull", "../../etc/passwd");

        Assert.Equal(CliConsole.UsageError, code);
        Assert.Contains("invalid_model_name", err, StringComparison.Ordinal);
        Assert.DoesNotContain("passwd", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Pull_Offline_ExitsNetworkNamingHostAndVariable()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Environment.SetEnvironmentVariable("HF_ENDPOINT", $"http://127.0.0.1:{port}");

        var (code, _, err) = CliRunner.Run("pull", "smollm2-135m:q8_0");

        Assert.Equal(ModelStoreCommands.Network, code);
        Assert.Contains("127.0.0.1", err, StringComparison.Ordinal);
        Assert.Contains("HF_ENDPOINT", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Doctor_Json_ReportsHardwareMeasuredSpeedAndRecommendations()
    {
        var (code, output, err) = CliRunner.Run("doctor", "--json", "--tokens", "4");

        Assert.True(code == 0, err);
        var root = JsonDocument.Parse(output).RootElement;
        Assert.True(root.GetProperty("hardware").GetProperty("logical_cores").GetInt32() > 0);
        Assert.True(root.GetProperty("hardware").GetProperty("total_memory_bytes").GetInt64() > 0);
        Assert.True(root.GetProperty("measurement").GetProperty("tokens_per_second").GetDouble() > 0);
        Assert.Equal(4, root.GetProperty("recommendations").GetArrayLength());
    }

    [Fact]
    public void Ls_EmptyStore_PrintsTheHeaderAndAHint()
    {
        var (code, output, err) = CliRunner.Run("ls");

        Assert.Equal(0, code);
        Assert.Matches(@"^NAME\s+ID\s+SIZE\s+MODIFIED\s*$", output);
        Assert.Contains("edgewise pull qwen2.5:0.5b", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Ls_Imported_HeaderThenRowWithIdSizeAndAge()
    {
        var file = Path.Combine(Directory.CreateDirectory(_home).FullName, "tiny.gguf");
        File.Copy(SharedPaths.ReferenceFile("models", "ref-phi4-Q4_K_M.gguf"), file);
        Assert.Equal(0, CliRunner.Run("import", file, "--name", "tiny:q4").ExitCode);

        var (code, output, _) = CliRunner.Run("ls");

        Assert.Equal(0, code);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("NAME", lines[0], StringComparison.Ordinal);
        Assert.Matches(@"^tiny:q4\s+[0-9a-f]{12}\s+5\.1 MiB\s+just now$", lines[1]);
    }

    [Theory]
    [InlineData("run")]
    [InlineData("model", "info")]
    [InlineData("generate", "-p", "x", "-m")]
    [InlineData("eval", "--tokens", "1", "-m")]
    [InlineData("bench", "-m")]
    [InlineData("tokenize", "x", "-m")]
    [InlineData("detokenize", "1", "-m")]
    [InlineData("template", "render", "--messages", "m.json", "-m")]
    [InlineData("serve", "--model")]
    public void ModelArgument_MissingPath_FileNotFoundNamingIt(params string[] command)
    {
        var missing = Path.Combine(_home, "no", "such.gguf");

        var (code, _, err) = CliRunner.Run([.. command, missing]);

        Assert.Equal(CliConsole.NotFound, code);
        Assert.Contains("file not found: " + missing, err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tokenize", "x", "-m")]
    [InlineData("model", "info")]
    [InlineData("run")]
    public void ModelArgument_StoreName_Resolves(params string[] command)
    {
        var file = Path.Combine(Directory.CreateDirectory(_home).FullName, "tiny.gguf");
        File.Copy(SharedPaths.ReferenceFile("models", "ref-phi4-Q4_K_M.gguf"), file);
        Assert.Equal(0, CliRunner.Run("import", file, "--name", "tiny:q4").ExitCode);

        var (code, output, err) = CliRunner.Run([.. command, "tiny:q4", .. command[0] == "run" ? ["hello", "-n", "2"] : Array.Empty<string>()]);

        Assert.True(code == 0, err);
        Assert.NotEmpty(output);
    }

    [Fact]
    public void Run_UnknownName_EchoesItWithThreeSuggestions()
    {
        var (code, _, err) = CliRunner.Run("run", "llama3.3");

        Assert.Equal(CliConsole.NotFound, code);
        Assert.Contains("unknown model 'llama3.3'; did you mean llama3.1, llama3.2, ", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_Failure_PrintsAnErrorObjectOnStandardOutput()
    {
        var (code, output, err) = CliRunner.Run("pull", "llama3.3", "--json");
        var (parseCode, parseOut, _) = CliRunner.Run("ls", "--no-such-option", "--json");

        Assert.Equal(CliConsole.NotFound, code);
        Assert.Empty(err);
        var error = JsonDocument.Parse(output).RootElement.GetProperty("error");
        Assert.Equal("model_not_found", error.GetProperty("code").GetString());
        Assert.Contains("llama3.3", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(CliConsole.UsageError, parseCode);
        Assert.Equal("usage", JsonDocument.Parse(parseOut).RootElement.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task PullVerify_PlainMirrorFile_PinsOnFirstDownloadAndVerifyCatchesDamage()
    {
        var bytes = File.ReadAllBytes(SharedPaths.ReferenceFile("models", "ref-phi4-Q4_K_M.gguf"));
        using var listener = new HttpListener();
        var port = FreePort();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        var serving = Task.Run(async () =>
        {
            while (listener.IsListening)
            {
                HttpListenerContext ctx;
                try
                {
                    ctx = await listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }

                // A plain file server: no file list API, no digest headers.
                if (ctx.Request.Url!.AbsolutePath.StartsWith("/api/", StringComparison.Ordinal))
                {
                    ctx.Response.StatusCode = 404;
                }
                else
                {
                    ctx.Response.ContentLength64 = bytes.Length;
                    await ctx.Response.OutputStream.WriteAsync(bytes, TestContext.Current.CancellationToken);
                }

                ctx.Response.Close();
            }
        }, TestContext.Current.CancellationToken);
        Environment.SetEnvironmentVariable("HF_ENDPOINT", $"http://127.0.0.1:{port}");

        var (pullCode, pullOut, pullErr) = CliRunner.Run("pull", "someone/Tiny-GGUF:Tiny-Q4_K_M.gguf");
        var (verifyCode, verifyOut, _) = CliRunner.Run("verify");
        listener.Stop();
        await serving;

        Assert.True(pullCode == 0, pullErr);
        Assert.Contains("someone--tiny-gguf:q4_k_m ready", pullOut, StringComparison.Ordinal);
        Assert.Contains("published no sha256", pullErr, StringComparison.Ordinal);
        Assert.Equal(0, verifyCode);
        Assert.Matches(@"someone--tiny-gguf:q4_k_m\s+ok\s+sha256:[0-9a-f]{12}\s+\(first_download\)", verifyOut);

        var blob = Directory.GetFiles(Path.Combine(_home, "models", "blobs")).Single();
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(blob, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.SetAttributes(blob, FileAttributes.Normal);
        using (var f = new FileStream(blob, FileMode.Open, FileAccess.Write))
        {
            f.Position = 1000;
            f.WriteByte(0xff);
        }

        File.SetLastWriteTimeUtc(blob, DateTime.UtcNow.AddMinutes(1));

        var (badCode, badOut, _) = CliRunner.Run("verify", "someone--tiny-gguf", "--json");
        var (runCode, _, runErr) = CliRunner.Run("run", "someone--tiny-gguf:q4_k_m", "hi");

        Assert.Equal(CliConsole.Verification, badCode);
        var result = JsonDocument.Parse(badOut).RootElement;
        Assert.Equal("checksum_mismatch", result.GetProperty("models")[0].GetProperty("status").GetString());
        Assert.Equal(1, result.GetProperty("failed").GetInt32());
        Assert.Equal(CliConsole.Verification, runCode); // the load sees the file changed after it was stored
        Assert.Contains("checksum_mismatch", runErr, StringComparison.Ordinal);
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private static string StoreRun(string name)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        return ModelStoreCommands.ResolveModelPath(name, new CliConsole(output, error), TestContext.Current.CancellationToken);
    }

    private static string BuildOllamaDirectory(string root)
    {
        var blobs = Directory.CreateDirectory(Path.Combine(root, "blobs")).FullName;
        var source = SharedPaths.ReferenceFile("models", "ref-qwen2-Q4_K_M.gguf");
        var hex = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(source)));
        File.Copy(source, Path.Combine(blobs, "sha256-" + hex));
        var dir = Directory.CreateDirectory(Path.Combine(root, "manifests", "registry.ollama.ai", "library", "qwen2.5")).FullName;
        File.WriteAllText(Path.Combine(dir, "0.5b"), $$"""{"schemaVersion":2,"layers":[{"mediaType":"application/vnd.ollama.image.model","digest":"sha256:{{hex}}","size":1}]}""");
        return root;
    }
}
