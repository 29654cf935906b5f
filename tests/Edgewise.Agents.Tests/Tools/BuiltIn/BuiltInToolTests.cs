using System.Text.Json;
using Edgewise.Agents.Tools;
using Edgewise.Agents.Tools.BuiltIn;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.AI;

namespace Edgewise.Agents.Tests.Tools.BuiltIn;

public sealed class BuiltInToolTests : IDisposable
{
    private static readonly string[] s_shellInjections =
    [
        "a; touch {0}",
        "$(touch {0})",
        "`touch {0}`",
        "a | touch {0}",
        "a && touch {0}",
        "a\" ; touch {0} ; echo \"",
        "a' ; touch {0} ; echo '",
        "> {0}",
    ];

    private readonly string _dir = Directory.CreateTempSubdirectory("edgewise-a12-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("../secret.txt")]
    [InlineData("sub/../../secret.txt")]
    [InlineData("/etc/passwd")]
    [InlineData("..")]
    [InlineData("~/secret.txt")]
    [InlineData("sub/..\\..\\secret.txt")]
    [InlineData("notes.txt\0.png")]
    [InlineData("C:\\Windows\\win.ini")]
    public async Task ReadFile_A12_EscapeAttempt_Refused(string path)
    {
        var (root, tools) = Sandbox();
        File.WriteAllText(Path.Combine(_dir, "secret.txt"), "TOP-SECRET");

        var answer = await Invoke(tools, "read_file", new { path });

        Assert.StartsWith("refused", answer, StringComparison.Ordinal);
        Assert.Null(root.Resolve(path));
    }

    [Fact]
    public async Task ReadFile_A12_SymlinkOutOfTheSandbox_Refused()
    {
        var (_, tools) = Sandbox();
        File.WriteAllText(Path.Combine(_dir, "secret.txt"), "TOP-SECRET");
        File.CreateSymbolicLink(Path.Combine(_dir, "box", "link.txt"), Path.Combine(_dir, "secret.txt"));
        Directory.CreateSymbolicLink(Path.Combine(_dir, "box", "linkdir"), _dir);

        Assert.StartsWith("refused", await Invoke(tools, "read_file", new { path = "link.txt" }), StringComparison.Ordinal);
        Assert.StartsWith("refused", await Invoke(tools, "read_file", new { path = "linkdir/secret.txt" }), StringComparison.Ordinal);
        Assert.StartsWith("refused", await Invoke(tools, "list_files", new { path = "linkdir" }), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadListWrite_A12_InsideTheSandbox_Work()
    {
        var (root, tools) = Sandbox(write: true);
        Directory.CreateDirectory(Path.Combine(root.Root, "docs"));
        File.WriteAllText(Path.Combine(root.Root, "docs", "a.txt"), "hello");

        Assert.Equal("hello", await Invoke(tools, "read_file", new { path = "docs/./a.txt" }));
        Assert.Equal("docs/", await Invoke(tools, "list_files", new { path = "" }));
        Assert.StartsWith("written", await Invoke(tools, "write_file", new { path = "docs/b.txt", content = "x" }), StringComparison.Ordinal);
        Assert.StartsWith("refused", await Invoke(tools, "write_file", new { path = "../escape.txt", content = "x" }), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "escape.txt")));
        Assert.True(tools.Single(t => t.Name == "write_file").RequiresApproval);
    }

    [Theory]
    [InlineData("' OR '1'='1")]
    [InlineData("x'; DROP TABLE items; --")]
    [InlineData("\" OR \"\"=\"")]
    [InlineData("%")]
    [InlineData("boots' UNION SELECT name, sql FROM sqlite_master --")]
    public async Task SqlQuery_A12_InjectionStrings_BoundAsValuesAndTableIntact(string injection)
    {
        using var connection = Database();
        var tool = SqlQueryTool.Create("find_item", "Finds an item by exact name.", () => Borrow(connection),
            "SELECT name, stock FROM items WHERE name = @name", [new SqlToolParameter("name", "Exact item name")]);

        var answer = await Invoke([tool], "find_item", new { name = injection });

        Assert.Equal("[]", answer);
        Assert.Equal(3L, Count(connection));
        Assert.Contains("boots", await Invoke([tool], "find_item", new { name = "boots" }), StringComparison.Ordinal);
    }

    [Fact]
    public void SqlQuery_A12_ParametersNotInTheStatement_RefusedAtCreation()
    {
        Assert.Throws<ArgumentException>(() => SqlQueryTool.Create("q", "d", () => new SqliteConnection("Data Source=:memory:"), "SELECT 1 WHERE 'a' = @a", []));
        Assert.Throws<ArgumentException>(() => SqlQueryTool.Create("q", "d", () => new SqliteConnection("Data Source=:memory:"), "SELECT 1", [new SqlToolParameter("a", "x")]));
    }

    [Fact]
    public async Task SqlQuery_A12_ExtraArgumentThroughTheAgent_RejectedBySchema()
    {
        using var connection = Database();
        var tool = SqlQueryTool.Create("find_item", "Finds an item.", () => Borrow(connection), "SELECT name FROM items WHERE name = @name", [new SqlToolParameter("name", "Item")]);
        var options = new AgentOptions();
        options.Tools.Add(tool);
        var client = new ScriptedChatClient().ThenCall("find_item", new { name = "boots", sql = "DROP TABLE items" }).ThenText("done");

        var result = await new ChatAgent(client, options).RunAsync("go", new AgentSession(), cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(ToolCallStatus.InvalidArguments, result.ToolCalls[0].Status);
        Assert.Equal(3L, Count(connection));
    }

    [Fact]
    public async Task Process_A12_ShellMetacharacters_PassedLiterallyWithoutAShell()
    {
        var tool = ProcessTool.Create("echo", "Echoes a word.", "/bin/echo", [], [("word", "A word")], requiresApproval: false);
        var marker = Path.Combine(_dir, "pwned");

        foreach (var template in s_shellInjections)
        {
            var value = string.Format(System.Globalization.CultureInfo.InvariantCulture, template, marker);

            var answer = await Invoke([tool], "echo", new { word = value });

            Assert.Equal("exit code 0\n" + value + "\n", answer);
            Assert.False(File.Exists(marker), template);
        }
    }

    [Theory]
    [InlineData("-e")]
    [InlineData("--help")]
    [InlineData("a\nb")]
    public async Task Process_A12_OptionOrControlCharacterInjection_Refused(string value)
    {
        var tool = ProcessTool.Create("echo", "Echoes a word.", "/bin/echo", [], [("word", "A word")]);

        var answer = await Invoke([tool], "echo", new { word = value });

        Assert.StartsWith("refused", answer, StringComparison.Ordinal);
        Assert.True(tool.RequiresApproval);
    }

    [Fact]
    public async Task Process_A12_HangingProgram_KilledAtTheTimeout()
    {
        var tool = ProcessTool.Create("wait", "Waits.", "/bin/sleep", [], [("seconds", "How long")], requiresApproval: false, timeout: TimeSpan.FromMilliseconds(300));

        var answer = await Invoke([tool], "wait", new { seconds = "600" });

        Assert.Equal("the program did not finish in time and was stopped", answer);
    }

    private (SandboxedFileTools Root, IReadOnlyList<AgentTool> Tools) Sandbox(bool write = false)
    {
        var box = Directory.CreateDirectory(Path.Combine(_dir, "box")).FullName;
        var sandbox = new SandboxedFileTools(box);
        return (sandbox, sandbox.CreateTools(write));
    }

    private static async Task<string> Invoke(IReadOnlyList<AgentTool> tools, string name, object arguments)
    {
        var element = JsonSerializer.SerializeToElement(arguments);
        var functionArguments = new AIFunctionArguments();
        foreach (var property in element.EnumerateObject())
        {
            functionArguments[property.Name] = property.Value.Clone();
        }

        var value = await tools.Single(t => t.Name == name).Function.InvokeAsync(functionArguments, TestContext.Current.CancellationToken);
        return value switch
        {
            JsonElement { ValueKind: JsonValueKind.String } e => e.GetString()!,
            JsonElement e => e.GetRawText(),
            _ => value?.ToString() ?? string.Empty,
        };
    }

    /// <summary>A shared in-memory database kept alive by the returned connection; the tool opens its own connections to it.</summary>
    private static SqliteConnection Database()
    {
        var connection = new SqliteConnection("Data Source=a12-" + Guid.NewGuid().ToString("N") + ";Mode=Memory;Cache=Shared");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "CREATE TABLE items(name TEXT, stock INTEGER); INSERT INTO items VALUES ('boots', 2), ('shoes', 4), ('jacket', 1);";
        command.ExecuteNonQuery();
        return connection;
    }

    private static long Count(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM items";
        return (long)command.ExecuteScalar()!;
    }

    private static SqliteConnection Borrow(SqliteConnection keeper) => new(keeper.ConnectionString);
}
