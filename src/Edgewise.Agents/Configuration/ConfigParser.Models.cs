using YamlDotNet.RepresentationModel;

namespace Edgewise.Agents.Configuration;

/// <summary>
/// The <c>models</c> section: local files, store aliases and remote OpenAI-compatible endpoints, with their per-model
/// settings. An entry is exactly one of <c>path</c>, <c>alias</c> or <c>url</c>; engine settings apply to local
/// entries only, remote settings (<c>model</c>, <c>api_key_env</c>, <c>failover</c>) to remote ones only.
/// </summary>
internal sealed partial class ConfigParser
{
    private static readonly string[] s_modelKeys =
        ["path", "alias", "url", "model", "api_key_env", "failover", "context", "threads", "parallel", "kv_cache", "keep_alive", "pin", "mlock", "preload"];

    private static readonly string[] s_localOnlyKeys = ["context", "threads", "parallel", "kv_cache", "mlock"];
    private static readonly string[] s_remoteOnlyKeys = ["model", "api_key_env", "failover"];

    private ModelConfig ParseModel(string name, YamlNodeReader node)
    {
        string? path = null, alias = null, remoteModel = null, apiKeyEnv = null, kvCache = null;
        Uri? url = null;
        int? context = null, threads = null, parallel = null;
        TimeSpan? keepAlive = null;
        bool pin = false, mlock = false, preload = false;
        IReadOnlyList<string> failover = [];
        var seen = new Dictionary<string, YamlNodeReader>(StringComparer.Ordinal);
        foreach (var (key, value) in node.Mapping(s_modelKeys))
        {
            seen[key] = value;
            switch (key)
            {
                case "path": path = value.String(); break;
                case "alias": alias = value.String(); break;
                case "url": url = ParseUrl(value); break;
                case "model": remoteModel = value.String(); break;
                case "api_key_env": apiKeyEnv = ParseEnvironmentVariableName(value); break;
                case "failover": failover = ParseFailover(name, value); break;
                case "context": context = value.Int(16, 1 << 20); break;
                case "threads": threads = value.Int(1, 1024); break;
                case "parallel": parallel = value.Int(1, 256); break;
                case "kv_cache": kvCache = ParseKvCache(value); break;
                case "keep_alive": keepAlive = ParseKeepAlive(value); break;
                case "pin": pin = value.Bool(); break;
                case "mlock": mlock = value.Bool(); break;
                default: preload = value.Bool(); break;
            }
        }

        var sources = (path is null ? 0 : 1) + (alias is null ? 0 : 1) + (url is null ? 0 : 1);
        if (sources != 1)
        {
            throw node.Error("set exactly one of 'path' (a GGUF file), 'alias' (a model store name) or 'url' (a remote OpenAI-compatible server)");
        }

        var wrongKind = url is null ? s_remoteOnlyKeys : s_localOnlyKeys;
        foreach (var key in wrongKind)
        {
            if (seen.TryGetValue(key, out var misplaced))
            {
                throw misplaced.Error(url is null
                    ? "applies to remote models only (entries with 'url')"
                    : "applies to local models only (entries with 'path' or 'alias')");
            }
        }

        if (url is not null && remoteModel is null)
        {
            throw node.Child(node.Node, "model").Error("required key missing: the model name the remote server knows");
        }

        return new ModelConfig
        {
            Name = name,
            Path = path,
            Alias = alias,
            Url = url,
            RemoteModel = remoteModel,
            ApiKeyEnvironmentVariable = apiKeyEnv,
            Failover = failover,
            Context = context,
            Threads = threads,
            Parallel = parallel,
            KvCache = kvCache,
            KeepAlive = keepAlive,
            Pin = pin,
            MemoryLock = mlock,
            Preload = preload,
            Line = node.Node.Start.Line,
        };
    }

    private static Uri ParseUrl(YamlNodeReader value)
    {
        var text = value.String();
        if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            throw value.Error("expected an absolute http:// or https:// URL such as http://127.0.0.1:8080/v1");
        }

        if (url.UserInfo.Length > 0 || url.Query.Length > 0 || url.Fragment.Length > 0)
        {
            throw value.Error("the URL must not carry credentials, a query or a fragment; put the API key in an environment variable named by 'api_key_env'");
        }

        return url;
    }

    private static string ParseEnvironmentVariableName(YamlNodeReader value)
    {
        var text = value.String();
        var valid = text.Length is > 0 and <= 128 && !char.IsAsciiDigit(text[0]) && text.All(static c => char.IsAsciiLetterOrDigit(c) || c == '_');
        return valid ? text : throw value.Error("expected the name of an environment variable (letters, digits and '_'), not the key itself");
    }

    private List<string> ParseFailover(string self, YamlNodeReader value)
    {
        var names = new List<string>();
        foreach (var item in value.Sequence())
        {
            var target = item.String();
            if (string.Equals(target, self, StringComparison.Ordinal))
            {
                throw item.Error("a model cannot fail over to itself");
            }

            if (names.Contains(target, StringComparer.Ordinal))
            {
                throw item.Error("'" + target + "' is listed twice");
            }

            names.Add(target);
            _modelRefs.Add((item, target));
        }

        return names;
    }

    private static string ParseKvCache(YamlNodeReader value)
    {
        var text = value.String();
        return text is "f16" or "f32" ? text : throw value.Error("expected f16 or f32");
    }

    /// <summary>A duration, or <c>0</c> (unload right after each request), or <c>-1</c>/<c>forever</c> (never unload).</summary>
    private static TimeSpan ParseKeepAlive(YamlNodeReader value)
    {
        if (value.Node is YamlScalarNode { Value: { } text } && !value.IsNull)
        {
            switch (text)
            {
                case "0":
                    return TimeSpan.Zero;
                case "-1" or "forever":
                    return Timeout.InfiniteTimeSpan;
            }
        }

        return value.Duration();
    }
}
