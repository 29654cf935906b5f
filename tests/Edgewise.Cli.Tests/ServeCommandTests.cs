using Edgewise.Testing;

namespace Edgewise.Cli.Tests;

/// <summary>edgewise serve --config: the server section and the agents config are checked before anything listens.</summary>
public sealed class ServeCommandTests
{
    [Fact]
    public async Task Serve_ConfigWithInvalidServerKey_ExitsWithFileLineAndKey()
    {
        using var dir = new ServeTempDirectory();
        var config = dir.Write("edgewise.yaml", "server:\n  port: 11435\n  limits:\n    parallel: zero\n");

        var result = await ServeProcess.RunToExitAsync(dir.Path, "serve", "--config", config, "--port", "0");

        Assert.Equal(2, result.Code);
        Assert.Contains($"{config}:4:", result.Err, StringComparison.Ordinal);
        Assert.Contains("server.limits.parallel", result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_ConfigWithInvalidAgentsSection_ExitsWithFileLineAndKey()
    {
        using var dir = new ServeTempDirectory();
        var config = dir.Write("edgewise.yaml", "agents:\n  helper:\n    model: nowhere\n");

        var result = await ServeProcess.RunToExitAsync(dir.Path, "serve", "--config", config, "--port", "0");

        Assert.Equal(2, result.Code);
        Assert.Contains(config + ":", result.Err, StringComparison.Ordinal);
        Assert.Contains("agents.helper", result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_ProductionProfileWithoutKeys_RefusesToStart()
    {
        using var dir = new ServeTempDirectory();
        var config = dir.Write("edgewise.yaml", "server:\n  profile: production\n");

        var result = await ServeProcess.RunToExitAsync(dir.Path, "serve", "--config", config, "--port", "0", "--api-key-env", "EDGEWISE_TEST_NO_SUCH_KEYS");

        Assert.Equal(2, result.Code);
        Assert.Contains("production profile requires API keys", result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_FlagOverridesConfigHost_NonLoopbackWithoutKeysRefused()
    {
        using var dir = new ServeTempDirectory();
        var config = dir.Write("edgewise.yaml", "server:\n  host: 127.0.0.1\n");

        var result = await ServeProcess.RunToExitAsync(dir.Path, "serve", "--config", config, "--host", "0.0.0.0", "--port", "0", "--api-key-env", "EDGEWISE_TEST_NO_SUCH_KEYS");

        Assert.Equal(2, result.Code);
        Assert.Contains("beyond loopback without API keys", result.Err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("100000")]
    public async Task Serve_ParallelFlagOutOfRange_UsageErrorWithTheYamlRule(string value)
    {
        using var dir = new ServeTempDirectory();

        var result = await ServeProcess.RunToExitAsync(dir.Path, "serve", "--port", "0", "--parallel", value);

        Assert.Equal(2, result.Code);
        Assert.Contains("--parallel must be between 1 and 256", result.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_StartupPortInUse_OneLineNoStackTrace()
    {
        using var dir = new ServeTempDirectory();
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var result = await ServeProcess.RunToExitAsync(dir.Path, "serve", "--port", port);

        Assert.Equal(1, result.Code);
        Assert.Contains($"cannot listen on 127.0.0.1:{port}", result.Err, StringComparison.Ordinal);
        AssertOneClearLine(result.Out + result.Err);
    }

    [Theory]
    [InlineData("garbage", "storage.not_a_database")]
    [InlineData("newer", "storage.newer_schema")]
    public async Task Serve_StartupUnusableAgentsDb_OneLineNoStackTraceFileUntouched(string kind, string code)
    {
        using var dir = new ServeTempDirectory();
        var db = System.IO.Path.Combine(dir.Path, "agents.db");
        if (kind == "garbage")
        {
            File.WriteAllText(db, "this is not a database, and it is longer than sixteen bytes");
        }
        else
        {
            await using (var database = await Edgewise.Server.Storage.SqliteDatabase.OpenAsync(new() { DatabasePath = db }, TestContext.Current.CancellationToken))
            {
            }

            using var connection = new Microsoft.Data.Sqlite.SqliteConnection("Data Source=" + db + ";Pooling=false");
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE schema_version SET version = 999";
            command.ExecuteNonQuery();
        }

        var before = File.ReadAllBytes(db);
        var model = dir.Copy(SharedPaths.ReferenceFile("models", "ref-phi4-Q8_0.gguf"), "ref.gguf");
        var config = dir.Write("edgewise.yaml", $"models:\n  ref:\n    path: {model}\n\nagents:\n  helper:\n    model: ref\n    instructions: Help.\n");

        var result = await ServeProcess.RunToExitAsync(dir.Path, "serve", "--port", "0", "--config", config);

        Assert.Equal(1, result.Code);
        Assert.Contains(code, result.Err, StringComparison.Ordinal);
        AssertOneClearLine(result.Out + result.Err);
        Assert.Equal(before, File.ReadAllBytes(db));
    }

    private static void AssertOneClearLine(string printed)
    {
        Assert.DoesNotContain("   at ", printed, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", printed, StringComparison.Ordinal);
        Assert.Single(printed.Split('\n', StringSplitOptions.RemoveEmptyEntries), line => line.StartsWith("error:", StringComparison.Ordinal));
    }
}
