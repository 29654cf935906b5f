using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Edgewise.Configuration;

namespace Edgewise.Server.Configuration;

/// <summary>
/// Reads the server's sections of <c>edgewise.yaml</c> into <see cref="ServerOptions"/>: <c>server</c> (this file),
/// <c>telemetry</c> and <c>alerts</c> (ServerConfigReader.Observability.cs) and <c>storage</c>
/// (ServerConfigReader.Storage.cs). Keys are strict; every error is a <see cref="ConfigException"/> naming file, line
/// and key. The profile is applied first, whatever its place in the section, so explicit limits override the
/// profile's defaults. Relative TLS paths are resolved against the file's directory.
/// </summary>
/// <example>
/// <code>
/// server:
///   profile: production
///   host: 0.0.0.0
///   port: 11435
///   api_keys_env: EDGEWISE_API_KEYS
///   allowed_hosts: [edge.example]
///   tls: { certificate: cert.pem, key: key.pem }
///   limits: { max_body: 2MiB, parallel: 2, queue_length: 8, per_key_concurrency: 2, queue_timeout: 20s, shutdown_timeout: 30s }
/// </code>
/// </example>
public static partial class ServerConfigReader
{
    private static readonly string[] s_serverKeys = ["profile", "host", "port", "api_keys", "api_keys_env", "allowed_hosts", "allowed_origins", "tls", "limits"];
    private static readonly string[] s_tlsKeys = ["certificate", "key", "pfx", "password_env"];
    private static readonly string[] s_limitKeys =
        ["max_body", "parallel", "queue_length", "per_key_concurrency", "queue_timeout", "shutdown_timeout", "headers_timeout", "keep_alive_timeout", "max_connections"];

    /// <summary>Reads <paramref name="path"/> into <paramref name="options"/>; a file without a <c>server</c> section changes nothing.</summary>
    /// <exception cref="ConfigException">The file cannot be read, is not YAML, or a setting is invalid.</exception>
    public static void Load(string path, ServerOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException(path, 0, 0, string.Empty, "cannot read the file: " + ex.Message, ex);
        }

        Parse(text, path, options);
    }

    /// <summary>Reads YAML <paramref name="yaml"/>, as if from <paramref name="file"/>, into <paramref name="options"/>.</summary>
    /// <exception cref="ConfigException">The text is not YAML or a setting is invalid.</exception>
    public static void Parse(string yaml, string file, ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var root = YamlNodeReader.Parse(yaml, file);
        if (root.IsNull)
        {
            return;
        }

        foreach (var (key, value) in root.Mapping())
        {
            if (key == "server" && !value.IsNull)
            {
                ReadServer(value, options);
            }
        }

        ReadObservability(root, options);
        ReadStorage(root, options);
    }

    private static void ReadServer(YamlNodeReader section, ServerOptions options)
    {
        var entries = section.Mapping(s_serverKeys).ToList();
        foreach (var (_, value) in entries.Where(e => e.Key == "profile"))
        {
            options.ApplyProfile(value.String() switch
            {
                "development" => ServerProfile.Development,
                "production" => ServerProfile.Production,
                _ => throw value.Error("expected development or production"),
            });
        }

        foreach (var (key, value) in entries)
        {
            switch (key)
            {
                case "host":
                    options.Host = value.String();
                    break;
                case "port":
                    options.Port = value.Int(0, 65535);
                    break;
                case "api_keys":
                    AddAll(options.ApiKeys, NonEmpty(value));
                    break;
                case "api_keys_env":
                    AddAll(options.ApiKeys, KeysFromEnvironment(value));
                    break;
                case "allowed_hosts":
                    AddAll(options.AllowedHosts, NonEmpty(value));
                    break;
                case "allowed_origins":
                    AddAll(options.AllowedOrigins, Origins(value));
                    break;
                case "tls":
                    options.Certificate = ReadTls(value);
                    break;
                case "limits":
                    ReadLimits(value, options);
                    break;
            }
        }

        if (options.Profile == ServerProfile.Production && options.AllowedOrigins.Count > 0)
        {
            throw entries.First(e => e.Key == "allowed_origins").Value.Error("the production profile serves no browser origins (CORS)");
        }
    }

    private static void ReadLimits(YamlNodeReader node, ServerOptions options)
    {
        foreach (var (key, value) in node.Mapping(s_limitKeys))
        {
            switch (key)
            {
                case "max_body": options.MaxRequestBodyBytes = value.Bytes(1024, 1L << 30); break;
                case "parallel": options.Admission.ParallelSequences = value.Int(AdmissionOptions.MinParallelSequences, AdmissionOptions.MaxParallelSequences); break;
                case "queue_length": options.Admission.QueueLength = value.Int(0, 100_000); break;
                case "per_key_concurrency": options.Admission.PerKeyConcurrency = value.Int(1, 10_000); break;
                case "queue_timeout": options.Admission.QueueTimeout = value.Duration(); break;
                case "shutdown_timeout": options.ShutdownTimeout = value.Duration(); break;
                case "headers_timeout": options.Connections.HeadersTimeout = value.Duration(); break;
                case "keep_alive_timeout": options.Connections.KeepAliveTimeout = value.Duration(); break;
                case "max_connections": options.Connections.MaxConnections = value.Int(1, 1_000_000); break;
            }
        }
    }

    private static X509Certificate2 ReadTls(YamlNodeReader node)
    {
        string? certificate = null, key = null, pfx = null;
        YamlNodeReader? passwordEnv = null;
        foreach (var (name, value) in node.Mapping(s_tlsKeys))
        {
            switch (name)
            {
                case "certificate": certificate = FullPath(value); break;
                case "key": key = FullPath(value); break;
                case "pfx": pfx = FullPath(value); break;
                case "password_env": passwordEnv = value; break;
            }
        }

        if ((pfx is null) == (certificate is null))
        {
            throw node.Error("give either certificate and key (PEM files) or pfx (with password_env)");
        }

        try
        {
            if (pfx is not null)
            {
                var password = passwordEnv is { } env ? Environment.GetEnvironmentVariable(env.String()) ?? throw env.Error("the environment variable is not set") : null;
                return X509CertificateLoader.LoadPkcs12FromFile(pfx, password);
            }

            if (key is null)
            {
                throw node.Error("certificate needs key: the PEM file of its private key");
            }

            using var pem = X509Certificate2.CreateFromPemFile(certificate!, key);
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw node.Error("cannot load the certificate: " + e.Message, e);
        }
    }

    private static string FullPath(YamlNodeReader value)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(value.File)) ?? Directory.GetCurrentDirectory();
        var path = Path.GetFullPath(value.String(), directory);
        return File.Exists(path) ? path : throw value.Error("file not found");
    }

    private static IEnumerable<string> KeysFromEnvironment(YamlNodeReader value)
    {
        var keys = EdgewiseServer.ParseApiKeys(Environment.GetEnvironmentVariable(value.String()));
        return keys.Count > 0 ? keys : throw value.Error("the environment variable is not set or holds no keys");
    }

    private static IReadOnlyList<string> NonEmpty(YamlNodeReader value)
    {
        var items = value.Sequence();
        var result = new List<string>(items.Count);
        foreach (var item in items)
        {
            var text = item.String().Trim();
            result.Add(text.Length > 0 ? text : throw item.Error("must not be empty"));
        }

        return result;
    }

    private static IReadOnlyList<string> Origins(YamlNodeReader value)
    {
        var items = value.Sequence();
        var result = new List<string>(items.Count);
        foreach (var item in items)
        {
            var text = item.String().Trim();
            if (text == "*" || !Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.AbsolutePath != "/")
            {
                throw item.Error("expected an exact origin such as https://app.example (no '*', no path)");
            }

            result.Add(text.TrimEnd('/'));
        }

        return result;
    }

    private static void AddAll(IList<string> target, IEnumerable<string> values)
    {
        foreach (var value in values)
        {
            target.Add(value);
        }
    }
}
