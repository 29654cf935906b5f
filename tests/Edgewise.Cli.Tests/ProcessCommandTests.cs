using System.Net;
using System.Net.Sockets;
using System.Text;
using Edgewise.Cli.Commands;
using Edgewise.Server;
using Edgewise.Testing;
using Microsoft.AspNetCore.Builder;

namespace Edgewise.Cli.Tests;

/// <summary>edgewise ps and stop against a real server on loopback with a reference model.</summary>
public sealed class ProcessCommandTests : IAsyncLifetime
{
    private WebApplication? _app;

    private int Port => new Uri(_app!.Urls.First()).Port;

    private string PortText => Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public async ValueTask InitializeAsync()
    {
        var options = new ServerOptions { Port = 0, DataDirectory = Path.GetTempPath() };
        options.Models.Add(new ServerModel("phi4", SharedPaths.ReferenceFile("models", "ref-phi4-Q4_K_M.gguf"), new Models.Management.ModelSettings { ContextLength = 128 }));
        options.ApiKeys.Add("test-key-123");
        _app = EdgewiseServer.Build(options);
        await _app.StartAsync();
        Environment.SetEnvironmentVariable(ProcessCommands.ApiKeyEnvironmentVariable, "test-key-123");
    }

    public async ValueTask DisposeAsync()
    {
        Environment.SetEnvironmentVariable(ProcessCommands.ApiKeyEnvironmentVariable, null);
        await _app!.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task LoadAsync(string keepAlive)
    {
        using var client = new HttpClient { BaseAddress = new Uri(_app!.Urls.First()) };
        client.DefaultRequestHeaders.Authorization = new("Bearer", "test-key-123");
        using var content = new StringContent($$"""{"model":"phi4","keep_alive":"{{keepAlive}}"}""", Encoding.UTF8, "application/json");
        using var response = await client.PostAsync(new Uri("/api/generate", UriKind.Relative), content, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Ps_LoadedModel_ListsNameSizeProcessorAndUntil()
    {
        await LoadAsync("10m");

        var (code, output, error) = CliRunner.Run("ps", "--port", PortText);

        Assert.True(code == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("NAME", lines[0], StringComparison.Ordinal);
        Assert.Contains("UNTIL", lines[0], StringComparison.Ordinal);
        Assert.Matches(@"^phi4\s+\d+(\.\d+)? MiB\s+100% CPU\s+(9|10) minutes from now", lines[1]);
    }

    [Fact]
    public async Task Ps_Json_GivesMachineReadableList()
    {
        await LoadAsync("10m");

        var (code, output, _) = CliRunner.Run("ps", "--port", PortText, "--json");

        Assert.Equal(0, code);
        using var doc = System.Text.Json.JsonDocument.Parse(output);
        var model = Assert.Single(doc.RootElement.EnumerateArray());
        Assert.Equal("phi4", model.GetProperty("name").GetString());
        Assert.True(model.GetProperty("size").GetInt64() > 5_000_000);
        Assert.Equal(JsonValueKindString, model.GetProperty("expires_at").ValueKind);
    }

    private const System.Text.Json.JsonValueKind JsonValueKindString = System.Text.Json.JsonValueKind.String;

    [Fact]
    public async Task Stop_LoadedModel_UnloadsIt()
    {
        await LoadAsync("10m");

        var (code, output, error) = CliRunner.Run("stop", "phi4", "--port", PortText);

        Assert.True(code == 0, error);
        Assert.Contains("Stopped phi4", output, StringComparison.Ordinal);
        var (_, after, _) = CliRunner.Run("ps", "--port", PortText, "--json");
        Assert.Equal("[]", after.Trim());
    }

    [Fact]
    public void Stop_ModelNotLoaded_ExitsNotFoundWithMessage()
    {
        var (code, _, error) = CliRunner.Run("stop", "phi4", "--port", PortText);

        Assert.Equal(CliConsole.NotFound, code);
        Assert.Contains("'phi4' is not loaded", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Ps_WithoutApiKey_SaysToSetIt()
    {
        Environment.SetEnvironmentVariable(ProcessCommands.ApiKeyEnvironmentVariable, null);

        var (code, _, error) = CliRunner.Run("ps", "--port", PortText);

        Assert.Equal(CliConsole.Network, code);
        Assert.Contains("EDGEWISE_API_KEY", error, StringComparison.Ordinal);
    }

    [Fact]
    public void PsAndStop_NoServer_ExitNetworkWithHint()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        probe.Stop();

        var ps = CliRunner.Run("ps", "--port", port);
        var stop = CliRunner.Run("stop", "x", "--port", port);

        Assert.Equal(ProcessCommands.NoServer, ps.ExitCode);
        Assert.Equal(ProcessCommands.NoServer, stop.ExitCode);
        Assert.Contains("no Edgewise server is answering", ps.Err, StringComparison.Ordinal);
        Assert.Contains("edgewise serve", stop.Err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "-")]
    [InlineData(-5, "stopping")]
    [InlineData(30, "30 seconds from now")]
    [InlineData(300, "5 minutes from now")]
    public void Until_ExpiryTimes_ReadLikeOllama(int? seconds, string expected)
    {
        var now = DateTimeOffset.UtcNow;

        Assert.Equal(expected, ProcessCommands.Until(seconds is { } s ? now.AddSeconds(s) : null, now));
    }

    [Theory]
    [InlineData(0, 0, "remote")]
    [InlineData(100, 0, "100% CPU")]
    [InlineData(100, 100, "100% GPU")]
    [InlineData(100, 25, "75%/25% CPU/GPU")]
    public void Processor_SizesFromApiPs_NameWhereTheModelRuns(long size, long vram, string expected) =>
        Assert.Equal(expected, ProcessCommands.Processor(new ProcessCommands.RunningModel("m", size, vram, null)));
}
