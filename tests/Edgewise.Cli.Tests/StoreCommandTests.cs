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
