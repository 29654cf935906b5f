using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Edgewise.Configuration;
using Edgewise.Server.Configuration;

namespace Edgewise.Server.Tests.Configuration;

/// <summary>The server section of edgewise.yaml: keys, profiles, limits, TLS, and errors naming file, line and key.</summary>
public sealed class ServerConfigReaderTests
{
    [Fact]
    public void Parse_FullSection_SetsEveryOption()
    {
        var options = new ServerOptions();

        ServerConfigReader.Parse(
            """
            models:
              tiny: { path: tiny.gguf }
            server:
              host: 0.0.0.0
              port: 8080
              api_keys: [k1, " k2 "]
              allowed_hosts: [edge.example]
              allowed_origins: ["https://app.example/"]
              limits:
                max_body: 2MiB
                parallel: 2
                queue_length: 8
                per_key_concurrency: 3
                queue_timeout: 20s
                shutdown_timeout: 45s
                headers_timeout: 5s
                keep_alive_timeout: 1m
                max_connections: 64
            """,
            "edgewise.yaml",
            options);

        Assert.Equal("0.0.0.0", options.Host);
        Assert.Equal(8080, options.Port);
        Assert.Equal(["k1", "k2"], options.ApiKeys);
        Assert.Equal(["edge.example"], options.AllowedHosts);
        Assert.Equal(["https://app.example"], options.AllowedOrigins);
        Assert.Equal(2L << 20, options.MaxRequestBodyBytes);
        Assert.Equal(2, options.Admission.ParallelSequences);
        Assert.Equal(8, options.Admission.QueueLength);
        Assert.Equal(3, options.Admission.PerKeyConcurrency);
        Assert.Equal(TimeSpan.FromSeconds(20), options.Admission.QueueTimeout);
        Assert.Equal(TimeSpan.FromSeconds(45), options.ShutdownTimeout);
        Assert.Equal(TimeSpan.FromSeconds(5), options.Connections.HeadersTimeout);
        Assert.Equal(TimeSpan.FromMinutes(1), options.Connections.KeepAliveTimeout);
        Assert.Equal(64, options.Connections.MaxConnections);
        Assert.Equal(ServerProfile.Development, options.Profile);
    }

    [Fact]
    public void Parse_NoServerSection_LeavesDefaults()
    {
        var options = new ServerOptions();

        ServerConfigReader.Parse("models: {}\n", "edgewise.yaml", options);

        Assert.Equal("127.0.0.1", options.Host);
        Assert.Equal(ServerOptions.DefaultPort, options.Port);
        Assert.Equal(4L << 20, options.MaxRequestBodyBytes);
        Assert.Equal(32, options.Admission.QueueLength);
    }

    [Fact]
    public void Parse_ProductionProfileAfterLimits_ProfileDefaultsThenExplicitLimitsWin()
    {
        var options = new ServerOptions();

        ServerConfigReader.Parse(
            """
            server:
              limits: { queue_length: 4 }
              profile: production
              api_keys: [k]
            """,
            "edgewise.yaml",
            options);

        Assert.Equal(ServerProfile.Production, options.Profile);
        Assert.Equal(4, options.Admission.QueueLength);
        Assert.Equal(1L << 20, options.MaxRequestBodyBytes);
        Assert.Equal(TimeSpan.FromSeconds(15), options.Admission.QueueTimeout);
    }

    [Fact]
    public void Build_ProductionWithoutKeysOnLoopback_RefusesToStart()
    {
        var options = new ServerOptions { Port = 0 };
        ServerConfigReader.Parse("server: { profile: production }\n", "edgewise.yaml", options);

        var error = Assert.Throws<ServerConfigurationException>(() => EdgewiseServer.Build(options));

        Assert.Contains("API keys", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ApiKeysEnv_AddsKeysFromTheVariable()
    {
        var name = "EDGEWISE_TEST_KEYS_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(name, "a, b");
        try
        {
            var options = new ServerOptions();

            ServerConfigReader.Parse($"server:\n  api_keys_env: {name}\n", "edgewise.yaml", options);

            Assert.Equal(["a", "b"], options.ApiKeys);
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }

    [Theory]
    [InlineData("server:\n  prot: 1\n", 2, "server.prot", "unknown key")]
    [InlineData("server:\n  port: 70000\n", 2, "server.port", "between 0 and 65535")]
    [InlineData("server:\n  profile: staging\n", 2, "server.profile", "development or production")]
    [InlineData("server:\n  limits:\n    parallel: 0\n", 3, "server.limits.parallel", "between 1 and 256")]
    [InlineData("server:\n  limits:\n    max_body: lots\n", 3, "server.limits.max_body", "size")]
    [InlineData("server:\n  limits:\n    queue_timeout: 10\n", 3, "server.limits.queue_timeout", "unit")]
    [InlineData("server:\n  allowed_origins: ['*']\n", 2, "server.allowed_origins[0]", "exact origin")]
    [InlineData("server:\n  api_keys_env: EDGEWISE_SURELY_UNSET_VARIABLE\n", 2, "server.api_keys_env", "not set")]
    [InlineData("server:\n  profile: production\n  api_keys: [k]\n  allowed_origins: ['https://a.example']\n", 4, "server.allowed_origins", "CORS")]
    [InlineData("server:\n  tls: { certificate: missing.pem, key: missing.key }\n", 2, "server.tls.certificate", "file not found")]
    [InlineData("server:\n  tls: { password_env: X }\n", 2, "server.tls", "either certificate and key")]
    public void Parse_InvalidSetting_ErrorNamesFileLineAndKey(string yaml, int line, string key, string problem)
    {
        var error = Assert.Throws<ConfigException>(() => ServerConfigReader.Parse(yaml, "site.yaml", new ServerOptions()));

        Assert.Equal("site.yaml", error.File);
        Assert.Equal(line, error.Line);
        Assert.Equal(key, error.KeyPath);
        Assert.Contains(problem, error.Problem, StringComparison.Ordinal);
        Assert.StartsWith($"site.yaml:{line}:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_TlsPemFiles_LoadsCertificateWithKeyRelativeToTheFile()
    {
        var directory = Directory.CreateTempSubdirectory("edgewise-tls-");
        try
        {
            using var rsa = RSA.Create(2048);
            var request = new CertificateRequest("CN=localhost", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
            File.WriteAllText(Path.Combine(directory.FullName, "cert.pem"), certificate.ExportCertificatePem());
            File.WriteAllText(Path.Combine(directory.FullName, "key.pem"), rsa.ExportPkcs8PrivateKeyPem());
            var config = Path.Combine(directory.FullName, "edgewise.yaml");
            File.WriteAllText(config, "server:\n  tls:\n    certificate: cert.pem\n    key: key.pem\n");
            var options = new ServerOptions();

            ServerConfigReader.Load(config, options);

            Assert.NotNull(options.Certificate);
            Assert.True(options.Certificate.HasPrivateKey);
            Assert.Equal(certificate.Thumbprint, options.Certificate.Thumbprint);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void Load_MissingFile_ErrorNamesTheFile()
    {
        var error = Assert.Throws<ConfigException>(() => ServerConfigReader.Load("/nonexistent/edgewise.yaml", new ServerOptions()));

        Assert.Equal("/nonexistent/edgewise.yaml", error.File);
    }
}
