using System.Diagnostics;
using Edgewise.Agents.Configuration;
using Edgewise.Server.Configuration;

namespace Edgewise.Server.Tests.Deploy;

/// <summary>
/// The files under deploy/ stay valid: nginx accepts its configuration (<c>nginx -t</c>), systemd its unit
/// (<c>systemd-analyze verify</c>), and Edgewise the compose gateways' edgewise.yaml. nginx and systemd-analyze are
/// skipped with a reason where they are not installed, except under CI (.ci/run installs nginx), where a missing
/// nginx fails.
/// </summary>
public sealed class DeployFilesTests
{
    private static string Root
    {
        get
        {
            for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "Edgewise.slnx")))
                {
                    return directory.FullName;
                }
            }

            throw new InvalidOperationException("the repository root (Edgewise.slnx) is not above " + AppContext.BaseDirectory);
        }
    }

    [Fact]
    public async Task Nginx_Config_PassesNginxTest()
    {
        var nginx = Tool("nginx", "/usr/sbin/nginx", requiredInCi: true);
        var config = Path.Combine(Root, "deploy", "nginx", "edgewise.conf");

        var (exit, output) = await RunAsync(nginx, "-t", "-q", "-c", config);

        Assert.True(exit == 0, output);
        var text = await File.ReadAllTextAsync(config, TestContext.Current.CancellationToken);
        Assert.Contains("least_conn;", text, StringComparison.Ordinal);
        Assert.Contains("proxy_buffering off;", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Systemd_Unit_PassesSystemdAnalyzeVerify()
    {
        var analyze = Tool("systemd-analyze", "/usr/bin/systemd-analyze", requiredInCi: false);
        var directory = Directory.CreateTempSubdirectory("edgewise-unit-").FullName;
        try
        {
            // verify wants ExecStart's binary to exist: point it at one that does, leaving every other line as shipped.
            var unit = await File.ReadAllTextAsync(Path.Combine(Root, "deploy", "systemd", "edgewise.service"), TestContext.Current.CancellationToken);
            Assert.Contains("ExecStart=/usr/local/bin/edgewise serve", unit, StringComparison.Ordinal);
            var path = Path.Combine(directory, "edgewise.service");
            await File.WriteAllTextAsync(path, unit.Replace("/usr/local/bin/edgewise", "/bin/true", StringComparison.Ordinal), TestContext.Current.CancellationToken);

            var (exit, output) = await RunAsync(analyze, "verify", path);

            Assert.True(exit == 0 && !output.Contains("edgewise.service:", StringComparison.Ordinal), output);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Compose_GatewayConfig_IsAValidEdgewiseYamlOnPostgres()
    {
        var path = Path.Combine(Root, "deploy", "compose", "edgewise.yaml");
        // The file names EDGEWISE_PG and EDGEWISE_API_KEYS; read it with variables of this test's own, so no other
        // test running beside it sees keys appear in its environment.
        var suffix = Guid.NewGuid().ToString("N");
        var yaml = File.ReadAllText(path)
            .Replace("connection_string_env: EDGEWISE_PG", "connection_string_env: EDGEWISE_PG_" + suffix, StringComparison.Ordinal)
            .Replace("api_keys_env: EDGEWISE_API_KEYS", "api_keys_env: EDGEWISE_API_KEYS_" + suffix, StringComparison.Ordinal);
        Environment.SetEnvironmentVariable("EDGEWISE_PG_" + suffix, "Host=postgres;Database=edgewise;Username=edgewise");
        Environment.SetEnvironmentVariable("EDGEWISE_API_KEYS_" + suffix, "compose-test-key-0123456789");
        try
        {
            var config = EdgewiseConfig.Parse(yaml, path, new ToolRegistry());
            var options = new ServerOptions();
            ServerConfigReader.Parse(yaml, path, options);

            Assert.Equal(AgentStorageKind.Postgres, options.Agents.StorageKind);
            Assert.Equal(["kiosk"], config.Agents.Keys);
            Assert.Equal(ServerProfile.Production, options.Profile);
            Assert.Contains("compose-test-key-0123456789", options.ApiKeys);
        }
        finally
        {
            Environment.SetEnvironmentVariable("EDGEWISE_PG_" + suffix, null);
            Environment.SetEnvironmentVariable("EDGEWISE_API_KEYS_" + suffix, null);
        }
    }

    private static string Tool(string name, string path, bool requiredInCi)
    {
        if (File.Exists(path))
        {
            return path;
        }

        if (requiredInCi && string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail(name + " is not installed under CI: .ci/run installs it before the tests.");
        }

        Assert.Skip(name + " is not installed (" + path + "); bash .ci/run installs nginx as root.");
        return path;
    }

    private static async Task<(int Exit, string Output)> RunAsync(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (process.ExitCode, await stdout + await stderr);
    }
}
