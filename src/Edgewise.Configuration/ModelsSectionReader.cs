using YamlDotNet.RepresentationModel;

namespace Edgewise.Configuration;

/// <summary>
/// Reads the <c>models</c> section: local files, store aliases and remote OpenAI-compatible endpoints (one, or a pool under
/// <c>backends</c>), with their per-model settings. An entry is exactly one of <c>path</c>, <c>alias</c>, <c>url</c> or
/// <c>backends</c>; engine settings apply to local entries only, remote settings (<c>model</c>, <c>api_key_env</c>,
/// <c>failover</c>) to remote ones only.
/// </summary>
/// <remarks>
/// Each entry is checked as it is read (<see cref="Read"/>); failover targets, which may name entries further down, are
/// checked by <see cref="Complete"/>, which gives the section. A caller reading a whole file checks the references of its
/// other sections first, in file order, with <see cref="FailoverReferences"/> among them, so that a file's first error
/// is the one reported.
/// </remarks>
public sealed class ModelsSectionReader
{
    private static readonly string[] s_modelKeys =
        ["path", "alias", "url", "backends", "model", "api_key_env", "failover", "context", "threads", "parallel", "kv_cache", "keep_alive", "pin", "mlock", "preload"];

    private static readonly string[] s_localOnlyKeys = ["context", "threads", "parallel", "kv_cache", "mlock"];
    private static readonly string[] s_remoteOnlyKeys = ["model", "api_key_env", "failover"];
    private static readonly string[] s_backendKeys = ["name", "url", "model", "api_key_env", "weight"];

    private readonly string _file;
    private readonly Dictionary<string, ModelConfig> _models = new(StringComparer.Ordinal);
    private readonly List<(YamlNodeReader Node, string Model)> _failoverRefs = [];

    /// <summary>A reader for the <c>models</c> section of <paramref name="file"/>; with no section read, the section is empty.</summary>
    public ModelsSectionReader(string file)
    {
        ArgumentNullException.ThrowIfNull(file);
        _file = file;
    }

    /// <summary>The entries read so far, by name, in file order.</summary>
    public IReadOnlyDictionary<string, ModelConfig> Models => _models;

    /// <summary>Every failover target read so far, in file order: the list item that names it, and the name.</summary>
    public IReadOnlyList<(YamlNodeReader Node, string Model)> FailoverReferences => _failoverRefs;

    /// <summary>Reads the entries of <paramref name="section"/>, the value of <c>models:</c> (names mapped to entries).</summary>
    /// <exception cref="ConfigException">The section is not a mapping, a name is invalid or an entry is.</exception>
    public void Read(YamlNodeReader section)
    {
        foreach (var (name, node) in section.Mapping())
        {
            _models[ConfigNames.Check(node, name)] = ParseModel(name, node);
        }
    }

    /// <summary>The section: the entries read, once every failover target is checked to name a remote entry.</summary>
    /// <exception cref="ConfigException">A failover target names no entry, or a local one.</exception>
    public ModelsSection Complete()
    {
        foreach (var (node, model) in _failoverRefs)
        {
            if (!_models.TryGetValue(model, out var target))
            {
                throw node.Error("unknown model '" + model + "'" + ConfigNames.Known(_models.Keys));
            }

            if (!target.IsRemote)
            {
                throw node.Error("'" + model + "' is a local model; a failover list names remote models (entries with 'url' or 'backends')");
            }
        }

        return new ModelsSection(_file, new Dictionary<string, ModelConfig>(_models, StringComparer.Ordinal));
    }

    private ModelConfig ParseModel(string name, YamlNodeReader node)
    {
        string? path = null, alias = null, remoteModel = null, apiKeyEnv = null, kvCache = null;
        Uri? url = null;
        int? context = null, threads = null, parallel = null;
        TimeSpan? keepAlive = null;
        bool pin = false, mlock = false, preload = false;
        IReadOnlyList<string> failover = [];
        YamlNodeReader? backendsNode = null;
        var seen = new Dictionary<string, YamlNodeReader>(StringComparer.Ordinal);
        foreach (var (key, value) in node.Mapping(s_modelKeys))
        {
            seen[key] = value;
            switch (key)
            {
                case "path": path = value.String(); break;
                case "alias": alias = value.String(); break;
                case "url": url = ParseUrl(value); break;
                case "backends": backendsNode = value; break;
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

        var sources = (path is null ? 0 : 1) + (alias is null ? 0 : 1) + (url is null ? 0 : 1) + (backendsNode is null ? 0 : 1);
        if (sources != 1)
        {
            throw node.Error("set exactly one of 'path' (a GGUF file), 'alias' (a model store name), 'url' (a remote OpenAI-compatible server) or 'backends' (several of them)");
        }

        var remote = url is not null || backendsNode is not null;
        var wrongKind = remote ? s_localOnlyKeys : s_remoteOnlyKeys;
        foreach (var key in wrongKind)
        {
            if (seen.TryGetValue(key, out var misplaced))
            {
                throw misplaced.Error(remote
                    ? "applies to local models only (entries with 'path' or 'alias')"
                    : "applies to remote models only (entries with 'url' or 'backends')");
            }
        }

        if (url is not null && remoteModel is null)
        {
            throw node.Child(node.Node, "model").Error("required key missing: the model name the remote server knows");
        }

        var backends = backendsNode is { } list ? ParseBackends(name, list, remoteModel, apiKeyEnv) : [];

        return new ModelConfig
        {
            Name = name,
            Path = path,
            Alias = alias,
            Url = url,
            Backends = backends,
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

    /// <summary>
    /// The items of <c>backends:</c>, each a mapping with <c>url</c> and optionally <c>name</c>, <c>model</c>,
    /// <c>api_key_env</c> (both defaulting to the entry's) and <c>weight</c>.
    /// </summary>
    private static List<BackendConfig> ParseBackends(string model, YamlNodeReader list, string? defaultModel, string? defaultApiKeyEnv)
    {
        var items = list.Sequence();
        if (items.Count == 0)
        {
            throw list.Error("a pool needs at least one backend: a list of mappings with 'url' (and 'model' unless the entry sets it)");
        }

        var backends = new List<BackendConfig>();
        foreach (var item in items)
        {
            string? name = null, remoteModel = defaultModel, apiKeyEnv = defaultApiKeyEnv;
            Uri? url = null;
            var weight = 1;
            foreach (var (key, value) in item.Mapping(s_backendKeys))
            {
                switch (key)
                {
                    case "name": name = value.String(); break;
                    case "url": url = ParseUrl(value); break;
                    case "model": remoteModel = value.String(); break;
                    case "api_key_env": apiKeyEnv = ParseEnvironmentVariableName(value); break;
                    default: weight = value.Int(1, 1000); break;
                }
            }

            if (url is null)
            {
                throw item.Error("required key missing: 'url', the backend's API base such as http://10.0.0.5:8000/v1");
            }

            if (remoteModel is null)
            {
                throw item.Error("required key missing: 'model', the model name the backend knows (or set 'model' on the entry for every backend)");
            }

            name ??= model + "/" + (backends.Count + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (backends.Exists(b => string.Equals(b.Name, name, StringComparison.Ordinal)))
            {
                throw item.Error("two backends are named '" + name + "'; give each its own 'name'");
            }

            backends.Add(new BackendConfig(name, url, remoteModel, apiKeyEnv, weight));
        }

        return backends;
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
            _failoverRefs.Add((item, target));
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
