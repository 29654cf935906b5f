using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Edgewise.Server.Storage;
using Edgewise.Testing;

namespace Edgewise.Cli.Tests;

public sealed partial class AgentCommandTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "edgewise-agentcmd-" + Guid.NewGuid().ToString("N"));

    public AgentCommandTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string WriteConfig(string yaml)
    {
        var path = Path.Combine(_dir, "edgewise.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    private string KioskConfig() => WriteConfig($"""
        models:
          small:
            path: {SharedPaths.ReferenceFile("models", "ref-qwen2-Q4_K_M.gguf")}
            context: 512
            threads: 1
        agents:
          kiosk:
            description: Answers shoppers.
            model: small
            tools: [inventory_lookup, place_order]
            max_tokens: 6
            temperature: 0
          clinic:
            description: Books appointments.
            model: small
            private: true
        """);

    [Fact]
    public void AgentsLs_Config_ListsAgentsWithModelAndDescription()
    {
        var (code, output, _) = CliRunner.Run("agents", "ls", "--config", KioskConfig());

        Assert.Equal(0, code);
        Assert.Matches(@"kiosk\s+small\s+2\s+Answers shoppers\.", output);
        Assert.Matches(@"clinic\s+small\s+0\s+Books appointments\.", output);
    }

    [Fact]
    public void AgentsLs_Json_WritesDataArray()
    {
        var (code, output, _) = CliRunner.Run("agents", "ls", "--config", KioskConfig(), "--json");

        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(output);
        var data = json.RootElement.GetProperty("data");
        Assert.Equal(2, data.GetArrayLength());
        Assert.Equal("kiosk", data[0].GetProperty("name").GetString());
        Assert.Equal("small", data[0].GetProperty("model").GetString());
        Assert.Equal(["inventory_lookup", "place_order"], data[0].GetProperty("tools").EnumerateArray().Select(t => t.GetString()));
        Assert.True(data[1].GetProperty("private").GetBoolean());
    }

    [Fact]
    public void AgentsLs_InvalidConfig_PrintsFileLineAndKeyAndExits2()
    {
        var path = WriteConfig("models:\n  small: {path: a.gguf}\nagents:\n  kiosk:\n    model: small\n    toolz: []\n");

        var (code, _, error) = CliRunner.Run("agents", "ls", "--config", path);

        Assert.Equal(2, code);
        Assert.Contains(path + ":6:", error, StringComparison.Ordinal);
        Assert.Contains("agents.kiosk.toolz: unknown key", error, StringComparison.Ordinal);
    }

    [Fact]
    public void AgentsLs_MissingConfig_Exits2()
    {
        var (code, _, error) = CliRunner.Run("agents", "ls", "--config", Path.Combine(_dir, "nope.yaml"));

        Assert.Equal(2, code);
        Assert.Contains("nope.yaml", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Chat_UnknownAgent_ListsKnownAgentsAndExits2()
    {
        var (code, _, error) = CliRunner.Run("chat", "cashier", "--config", KioskConfig());

        Assert.Equal(2, code);
        Assert.Contains("no agent 'cashier'", error, StringComparison.Ordinal);
        Assert.Contains("kiosk, clinic", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chat_ReferenceModel_PersistsTheSessionAndContinuesIt()
    {
        var config = KioskConfig();
        var home = Path.Combine(_dir, "home");

        var first = await RunCliAsync(home, "hello\n/bye\n", "chat", "kiosk", "--config", config);
        Assert.Equal(0, first.Code);
        var id = SessionLine().Match(first.Out).Groups[1].Value;
        Assert.NotEmpty(id);

        var second = await RunCliAsync(home, "again\n/bye\n", "chat", "kiosk", "--config", config, "--session", id);
        Assert.Equal(0, second.Code);
        Assert.Contains("session " + id, second.Out, StringComparison.Ordinal);

        await using var database = await SqliteDatabase.OpenAsync(new StorageOptions { DatabasePath = Path.Combine(home, "agents.db") }, TestContext.Current.CancellationToken);
        var session = await new SqliteSessionStore(database).GetAsync(id, TestContext.Current.CancellationToken);
        Assert.NotNull(session);
        Assert.Equal("kiosk", session.AgentName);
        Assert.Equal(["hello", "again"], session.Messages.Where(m => m.Role == Microsoft.Extensions.AI.ChatRole.User).Select(m => m.Text));
        Assert.Equal(2, session.Messages.Count(m => m.Role == Microsoft.Extensions.AI.ChatRole.Assistant));
    }

    [Fact]
    public async Task Chat_UnknownSession_Exits2()
    {
        var result = await RunCliAsync(Path.Combine(_dir, "home"), "/bye\n", "chat", "kiosk", "--config", KioskConfig(), "--session", "nosuchsession");

        Assert.Equal(2, result.Code);
        Assert.Contains("no saved session nosuchsession", result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chat_P03_DatabaseNotSqlite_RefusesWithoutOverwriting()
    {
        var home = Path.Combine(_dir, "home");
        Directory.CreateDirectory(home);
        var db = Path.Combine(home, "agents.db");
        await File.WriteAllTextAsync(db, "this is not a database, it is a shopping list", TestContext.Current.CancellationToken);

        var result = await RunCliAsync(home, "/bye\n", "chat", "kiosk", "--config", KioskConfig());

        Assert.Equal(2, result.Code);
        Assert.Contains(db, result.Err, StringComparison.Ordinal);
        Assert.Contains("not an SQLite database", result.Err, StringComparison.Ordinal);
        Assert.Equal("this is not a database, it is a shopping list", await File.ReadAllTextAsync(db, TestContext.Current.CancellationToken));
    }

    /// <summary>Runs edgewise as a child process (stdin and EDGEWISE_HOME are process-wide).</summary>
    internal static async Task<(int Code, string Out, string Err)> RunCliAsync(string home, string input, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "edgewise.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["EDGEWISE_HOME"] = home;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (process.ExitCode, await output, await error);
    }

    [GeneratedRegex(@"session ([0-9a-f]{32})")]
    private static partial Regex SessionLine();
}
