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
}
