using System.Net;
using System.Text.Json;
using Edgewise.Server.Tests.Support;
using Edgewise.Testing;

namespace Edgewise.Server.Tests.Models;

/// <summary>A model that cannot be loaded: the client's error names the cause with a code, and no path (H18).</summary>
public sealed class ModelLoadFailureTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("edgewise-loadfail-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task Chat_FileDeletedAfterStart_IsModelFileMissing()
    {
        var path = Path.Combine(_dir.FullName, "gone.gguf");
        File.Copy(SharedPaths.ReferenceFile("models", "ref-qwen2-Q4_K_M.gguf"), path);
        await using var server = await StartAsync(path);
        File.Delete(path);

        var (status, error, text) = await ChatAsync(server);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("model_file_missing", error.GetProperty("code").GetString());
        Assert.Contains("missing", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(_dir.FullName, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chat_NotAGguf_IsModelFileInvalidWithTheReadersCode()
    {
        var path = Path.Combine(_dir.FullName, "notes.gguf");
        await File.WriteAllTextAsync(path, new string('x', 4096), TestContext.Current.CancellationToken);
        await using var server = await StartAsync(path);

        var (status, error, text) = await ChatAsync(server);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("model_file_invalid", error.GetProperty("code").GetString());
        Assert.Contains("not a runnable GGUF model (", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(_dir.FullName, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chat_OverTheMemoryBudget_IsInsufficientMemory()
    {
        await using var server = await LiveServer.StartRealAsync("m", "ref-qwen2-Q4_K_M.gguf", configure: o => o.ModelManager = new Edgewise.Models.Management.ModelManagerOptions { MemoryBudgetBytes = 1024 });

        var (status, error, _) = await ChatAsync(server);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("insufficient_memory", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task OllamaChat_NotAGguf_ErrorCarriesTheCode()
    {
        var path = Path.Combine(_dir.FullName, "notes.gguf");
        await File.WriteAllTextAsync(path, new string('x', 4096), TestContext.Current.CancellationToken);
        await using var server = await StartAsync(path);

        using var response = await server.Client.PostAsync("/api/chat", LiveServer.Json("""{"model":"m","messages":[{"role":"user","content":"hi"}]}"""), TestContext.Current.CancellationToken);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("model_file_invalid", body.GetProperty("code").GetString());
        Assert.Contains("GGUF", body.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    private static Task<LiveServer> StartAsync(string path)
    {
        var options = LiveServer.NewOptions();
        options.Models.Add(new ServerModel("m", path));
        return LiveServer.StartAsync(options, null);
    }

    private static async Task<(HttpStatusCode Status, JsonElement Error, string Text)> ChatAsync(LiveServer server)
    {
        using var response = await server.PostChatAsync(LiveServer.Chat("m"));
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.GetProperty("error"), text);
    }
}
