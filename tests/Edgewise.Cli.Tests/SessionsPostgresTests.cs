using System.Text.Json;
using Edgewise.Agents;
using Edgewise.Agents.Storage;
using Edgewise.Server.Storage;
using Microsoft.Extensions.AI;
using Npgsql;

namespace Edgewise.Cli.Tests;

/// <summary>
/// <c>edgewise sessions</c> and <c>edgewise audit verify</c> against the PostgreSQL database that edgewise.yaml's
/// <c>storage</c> section names (the server's own stores write the data). Needs <c>EDGEWISE_TEST_PG</c> (bash .ci/run
/// starts a server); skipped without it, failed without it under CI.
/// </summary>
public sealed class SessionsPostgresTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgewise-sessions-pg-").FullName;
    private string _admin = null!;
    private string _schema = null!;
    private string _variable = null!;
    private string _config = null!;
    private PostgresDatabase _database = null!;

    public async ValueTask InitializeAsync()
    {
        _admin = Environment.GetEnvironmentVariable("EDGEWISE_TEST_PG") ?? string.Empty;
        if (string.IsNullOrWhiteSpace(_admin))
        {
            return; // each test skips (or fails under CI) in RequireServer
        }

        _schema = "cli_" + Guid.NewGuid().ToString("N");
        await ExecuteAsync(_admin, "CREATE SCHEMA " + _schema);
        var connection = new NpgsqlConnectionStringBuilder(_admin) { SearchPath = _schema }.ConnectionString;
        _variable = "EDGEWISE_PG_" + _schema.ToUpperInvariant();
        Environment.SetEnvironmentVariable(_variable, connection);
        _config = Path.Combine(_dir, "edgewise.yaml");
        File.WriteAllText(_config, $"storage:\n  kind: postgres\n  connection_string_env: {_variable}\n");
        _database = await PostgresDatabase.OpenAsync(new PostgresStorageOptions { ConnectionString = connection }, TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_schema is null)
        {
            Directory.Delete(_dir, recursive: true);
            return;
        }

        await _database.DisposeAsync();
        Environment.SetEnvironmentVariable(_variable, null);
        NpgsqlConnection.ClearAllPools();
        await ExecuteAsync(_admin, "DROP SCHEMA " + _schema + " CASCADE");
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Sessions_LsShowRm_ReadTheDatabaseTheStorageSectionNames()
    {
        RequireServer();
        var session = new AgentSession { AgentName = "kiosk" };
        session.Messages.Add(new ChatMessage(ChatRole.User, "do you have boots?"));
        session.Messages.Add(new ChatMessage(ChatRole.Assistant, "Yes, 2 in stock."));
        await new PostgresSessionStore(_database).SaveAsync(session, TestContext.Current.CancellationToken);

        var ls = CliRunner.Run("sessions", "ls", "--config", _config);
        var show = CliRunner.Run("sessions", "show", session.Id, "--config", _config);
        var rm = CliRunner.Run("sessions", "rm", session.Id, "--config", _config);
        var again = CliRunner.Run("sessions", "show", session.Id, "--config", _config);
        var empty = CliRunner.Run("sessions", "ls", "--config", _config, "--json");

        Assert.True(ls.ExitCode == 0, ls.Err);
        Assert.Matches(session.Id + @"\s+kiosk\s+2\s", ls.Out);
        Assert.Contains("user: do you have boots?", show.Out, StringComparison.Ordinal);
        Assert.Equal((0, "deleted session " + session.Id), (rm.ExitCode, rm.Out.Trim()));
        Assert.Null(await new PostgresSessionStore(_database).GetAsync(session.Id, TestContext.Current.CancellationToken));
        Assert.Equal(CliConsole.NotFound, again.ExitCode);
        using var json = JsonDocument.Parse(empty.Out);
        Assert.Equal(0, json.RootElement.GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task AuditVerify_P06_PostgresChainIntactThenCutShort_ReportsTheMissingRow()
    {
        RequireServer();
        var audit = new PostgresAuditLog(_database);
        for (var i = 0; i < 5; i++)
        {
            await audit.AppendAsync(new AuditRecord(DateTimeOffset.UtcNow, "s" + i, "kiosk", "tool_call", "tool invoked") { ToolName = "lookup", CallId = "c" + i }, TestContext.Current.CancellationToken);
        }

        var intact = CliRunner.Run("audit", "verify", "--config", _config, "--json");

        // The table owner can drop the append-only trigger; the head row still vouches for the rows cut from the end.
        await ExecuteAsync(_admin, $"ALTER TABLE {_schema}.audit DISABLE TRIGGER audit_no_change; DELETE FROM {_schema}.audit WHERE seq > 3");
        var cut = CliRunner.Run("audit", "verify", "--config", _config);

        Assert.True(intact.ExitCode == 0, intact.Err);
        using (var json = JsonDocument.Parse(intact.Out))
        {
            Assert.True(json.RootElement.GetProperty("valid").GetBoolean());
            Assert.Equal(5, json.RootElement.GetProperty("rows_checked").GetInt64());
        }

        Assert.Equal(1, cut.ExitCode);
        Assert.Contains("audit log broken at row 4", cut.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Sessions_DbWithAPostgresConfig_IsAUsageErrorNamingBoth()
    {
        RequireServer();
        var both = CliRunner.Run("sessions", "ls", "--config", _config, "--db", Path.Combine(_dir, "agents.db"));

        Assert.Equal(CliConsole.UsageError, both.ExitCode);
        Assert.Contains("--db names a SQLite file", both.Err, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "agents.db")));
    }

    private void RequireServer()
    {
        if (_schema is not null)
        {
            return;
        }

        Assert.False(string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase), "EDGEWISE_TEST_PG is not set under CI: .ci/run must start PostgreSQL before the tests.");
        Assert.Skip("EDGEWISE_TEST_PG is not set: no PostgreSQL server to test against (bash .ci/run starts one).");
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(CancellationToken.None);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(CancellationToken.None);
    }
}
