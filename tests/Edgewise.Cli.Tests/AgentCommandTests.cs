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
            tools: [strings/concat, strings/sleep]
            max_tokens: 6
            temperature: 0
          clinic:
            description: Books appointments.
            model: small
            private: true
        mcp_servers:
          strings:
        {McpTestServer.Yaml("    ")}
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
        Assert.Equal(["strings/concat", "strings/sleep"], data[0].GetProperty("tools").EnumerateArray().Select(t => t.GetString()));
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
    public async Task Chat_SessionStartedInTheTerminal_IsTheSameSessionOverHttpWithoutKeys()
    {
        // docs/agents-api.md: without API keys every caller is the one local owner, and `edgewise chat` is that owner.
        var config = KioskConfig();
        var home = Path.Combine(_dir, "home");
        var chat = await RunCliAsync(home, "hello\n/bye\n", "chat", "kiosk", "--config", config);
        Assert.Equal(0, chat.Code);
        var id = SessionLine().Match(chat.Out).Groups[1].Value;
        Assert.NotEmpty(id);

        var (server, address) = await ServeProcess.StartServerAsync(home, "serve", "--port", "0", "--config", config);
        await using (server)
        {
            using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(1) };
            var ct = TestContext.Current.CancellationToken;
            using var one = await http.GetAsync(new Uri("/v1/sessions/" + id, UriKind.Relative), ct);
            Assert.Equal(System.Net.HttpStatusCode.OK, one.StatusCode);
            using var session = JsonDocument.Parse(await one.Content.ReadAsStringAsync(ct));
            Assert.Equal("kiosk", session.RootElement.GetProperty("agent").GetString());
            Assert.Contains(session.RootElement.GetProperty("messages").EnumerateArray(), m => m.GetProperty("content").GetString() == "hello");

            using var list = JsonDocument.Parse(await http.GetStringAsync(new Uri("/v1/sessions", UriKind.Relative), ct));
            Assert.Contains(list.RootElement.GetProperty("data").EnumerateArray(), s => s.GetProperty("id").GetString() == id);
        }
    }

    [Fact]
    public async Task Chat_UnknownSession_ExitsNotFound()
    {
        var result = await RunCliAsync(Path.Combine(_dir, "home"), "/bye\n", "chat", "kiosk", "--config", KioskConfig(), "--session", "nosuchsession");

        Assert.Equal(CliConsole.NotFound, result.Code);
        Assert.Contains("no saved session nosuchsession", result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chat_McpServerThatCannotStart_NamesTheServerAndExits1()
    {
        var missing = Path.Combine(_dir, "no-such-server");
        var config = WriteConfig($$"""
            models:
              small: {path: {{SharedPaths.ReferenceFile("models", "ref-qwen2-Q4_K_M.gguf")}}, context: 512}
            agents:
              kiosk: {model: small, tools: [tools/lookup]}
            mcp_servers:
              tools: {command: {{missing}}}
            """);

        var result = await RunCliAsync(Path.Combine(_dir, "home"), "hello\n/bye\n", "chat", "kiosk", "--config", config);

        Assert.Equal(1, result.Code);
        Assert.Contains("MCP server 'tools' (" + missing + ") could not be started", result.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Err, StringComparison.Ordinal);
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

    [Fact]
    public void AgentsLs_Routers_ListedInTextAndJson()
    {
        var path = WriteConfig("models:\n  small: {path: a.gguf}\nagents:\n  a: {model: small, handoffs: [b], fallback: small, context: {strategy: summarize, max_messages: 8}}\n  b: {model: small}\nrouters:\n  front: {model: small, agents: [a, b]}\n");

        var (code, output, _) = CliRunner.Run("agents", "ls", "--config", path);
        var (jsonCode, json, _) = CliRunner.Run("agents", "ls", "--config", path, "--json");

        Assert.Equal((0, 0), (code, jsonCode));
        Assert.Matches(@"ROUTER\s+MODEL\s+AGENTS", output);
        Assert.Matches(@"front\s+small\s+a, b", output);
        using var document = JsonDocument.Parse(json);
        var router = document.RootElement.GetProperty("routers")[0];
        Assert.Equal("front", router.GetProperty("name").GetString());
        Assert.Equal(["a", "b"], router.GetProperty("agents").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal(["b"], document.RootElement.GetProperty("data")[0].GetProperty("handoffs").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal("small", document.RootElement.GetProperty("data")[0].GetProperty("fallback").GetString());
        Assert.Equal("summarize", document.RootElement.GetProperty("data")[0].GetProperty("context").GetProperty("strategy").GetString());
    }

    [Fact]
    public async Task Sessions_LsShowRm_OverTheDatabase()
    {
        var db = Path.Combine(_dir, "agents.db");
        var session = new Edgewise.Agents.AgentSession { AgentName = "kiosk" };
        session.Messages.Add(new Microsoft.Extensions.AI.ChatMessage(Microsoft.Extensions.AI.ChatRole.User, "do you have boots?"));
        session.Messages.Add(new Microsoft.Extensions.AI.ChatMessage(Microsoft.Extensions.AI.ChatRole.Assistant, "Yes, 2 in stock."));
        await using (var database = await SqliteDatabase.OpenAsync(new StorageOptions { DatabasePath = db }, TestContext.Current.CancellationToken))
        {
            await new SqliteSessionStore(database).SaveAsync(session, TestContext.Current.CancellationToken);
        }

        var ls = CliRunner.Run("sessions", "ls", "--db", db);
        var show = CliRunner.Run("sessions", "show", session.Id, "--db", db);
        var showJson = CliRunner.Run("sessions", "show", session.Id, "--db", db, "--json");
        var rm = CliRunner.Run("sessions", "rm", session.Id, "--db", db);
        var again = CliRunner.Run("sessions", "rm", session.Id, "--db", db);
        var empty = CliRunner.Run("sessions", "ls", "--db", db, "--json");

        Assert.Matches(session.Id + @"\s+kiosk\s+2\s", ls.Out);
        Assert.Contains("user: do you have boots?", show.Out, StringComparison.Ordinal);
        Assert.Contains("assistant: Yes, 2 in stock.", show.Out, StringComparison.Ordinal);
        Assert.Equal(session.Id, Edgewise.Agents.AgentSession.FromJson(showJson.Out).Id);
        Assert.Equal((0, "deleted session " + session.Id), (rm.ExitCode, rm.Out.Trim()));
        Assert.Equal(CliConsole.NotFound, again.ExitCode);
        Assert.Contains("no saved session", again.Err, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(empty.Out);
        Assert.Equal(0, json.RootElement.GetProperty("data").GetArrayLength());
    }

    [Fact]
    public void Sessions_NoDatabaseYet_ListsNoneAndCreatesNothing()
    {
        var db = Path.Combine(_dir, "absent.db");

        var (code, output, _) = CliRunner.Run("sessions", "ls", "--db", db);

        Assert.Equal((0, "no sessions"), (code, output.Trim()));
        Assert.False(File.Exists(db));
    }

    [Fact]
    public async Task AuditVerify_P06_IntactThenEditedRow_ReportsTheRow()
    {
        var db = Path.Combine(_dir, "agents.db");
        await using (var database = await SqliteDatabase.OpenAsync(new StorageOptions { DatabasePath = db }, TestContext.Current.CancellationToken))
        {
            var audit = new SqliteAuditLog(database);
            for (var i = 0; i < 5; i++)
            {
                await audit.AppendAsync(new Edgewise.Agents.Storage.AuditRecord(DateTimeOffset.UtcNow, "s1", "kiosk", "tool_call", "tool invoked") { ToolName = "t" + i }, TestContext.Current.CancellationToken);
            }
        }

        var good = CliRunner.Run("audit", "verify", "--db", db);
        Assert.Equal(0, good.ExitCode);
        Assert.Contains("audit log verified: 5 rows", good.Out, StringComparison.Ordinal);

        using (var raw = new Microsoft.Data.Sqlite.SqliteConnection("Data Source=" + db + ";Pooling=False"))
        {
            raw.Open();
            using var command = raw.CreateCommand();
            command.CommandText = "DROP TRIGGER audit_no_update; UPDATE audit SET detail = 'nothing happened' WHERE seq = 3;";
            command.ExecuteNonQuery();
        }

        var bad = CliRunner.Run("audit", "verify", "--db", db, "--json");
        Assert.Equal(1, bad.ExitCode);
        using var json = JsonDocument.Parse(bad.Out);
        Assert.False(json.RootElement.GetProperty("valid").GetBoolean());
        Assert.Equal(3, json.RootElement.GetProperty("first_broken_seq").GetInt64());
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
