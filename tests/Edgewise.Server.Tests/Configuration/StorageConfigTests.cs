using Edgewise.Agents.Configuration;
using Edgewise.Configuration;
using Edgewise.Server.Configuration;

namespace Edgewise.Server.Tests.Configuration;

/// <summary>The storage section of edgewise.yaml: SQLite by default, PostgreSQL through a connection string in the environment.</summary>
public sealed class StorageConfigTests
{
    [Fact]
    public void Parse_NoStorageSection_SqliteDefault()
    {
        var options = new ServerOptions();

        ServerConfigReader.Parse("models: {}\n", "edgewise.yaml", options);

        Assert.Equal((AgentStorageKind.Sqlite, (string?)null), (options.Agents.StorageKind, options.Agents.PostgresConnectionString));
    }

    [Fact]
    public void Parse_Postgres_ReadsConnectionStringFromTheNamedVariable()
    {
        var variable = "EDGEWISE_TEST_STORAGE_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(variable, "Host=db.internal;Username=edgewise;Password=pw");
        try
        {
            var options = new ServerOptions();

            ServerConfigReader.Parse($"storage:\n  kind: postgres\n  connection_string_env: {variable}\n  lease_duration: 45s\n", "edgewise.yaml", options);

            Assert.Equal(AgentStorageKind.Postgres, options.Agents.StorageKind);
            Assert.Equal("Host=db.internal;Username=edgewise;Password=pw", options.Agents.PostgresConnectionString);
            Assert.Equal(TimeSpan.FromSeconds(45), options.Agents.SessionLeaseDuration);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [Fact]
    public void Parse_StorageSection_AcceptedByTheAgentConfiguration()
    {
        var config = EdgewiseConfig.Parse("storage: { kind: sqlite }\nmodels: {}\n", "edgewise.yaml", new ToolRegistry());

        Assert.Empty(config.Agents);
    }

    [Theory]
    [InlineData("storage:\n  kind: mysql\n", 2, "storage.kind", "sqlite or postgres")]
    [InlineData("storage:\n  kind: postgres\n", 2, "storage", "connection_string_env")]
    [InlineData("storage:\n  kind: postgres\n  connection_string_env: EDGEWISE_SURELY_UNSET_VARIABLE\n", 3, "storage.connection_string_env", "not set")]
    [InlineData("storage:\n  kind: postgres\n  lease_duration: 1s\n", 3, "storage.lease_duration", "from 3s")]
    [InlineData("storage:\n  path: x.db\n", 2, "storage.path", "")]
    public void Parse_InvalidStorage_ErrorNamesFileLineAndKey(string yaml, int line, string key, string problem)
    {
        var error = Assert.Throws<ConfigException>(() => ServerConfigReader.Parse(yaml, "site.yaml", new ServerOptions()));

        Assert.Equal((line, key), (error.Line, error.KeyPath));
        Assert.Contains(problem, error.Problem, StringComparison.Ordinal);
    }
}
