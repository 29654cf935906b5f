using Edgewise.Agents.Configuration;
using Edgewise.Configuration;

namespace Edgewise.Agents.Tests.Configuration;

public sealed class ModelSectionTests
{
    private static EdgewiseConfig Parse(string yaml) => EdgewiseConfig.Parse(yaml, "edgewise.yaml", new ToolRegistry());

    private static ConfigException Bad(string yaml) => Assert.Throws<ConfigException>(() => Parse(yaml));

    [Fact]
    public void Parse_LocalSettings_ReadsEveryKey()
    {
        var config = Parse("""
            models:
              router:
                path: models/router.gguf
                context: 1024
                threads: 2
                parallel: 3
                kv_cache: f32
                keep_alive: 90s
                pin: true
                mlock: true
                preload: true
            """);

        var m = config.Models["router"];
        Assert.Equal("models/router.gguf", m.Path);
        Assert.Equal(1024, m.Context);
        Assert.Equal(2, m.Threads);
        Assert.Equal(3, m.Parallel);
        Assert.Equal("f32", m.KvCache);
        Assert.Equal(TimeSpan.FromSeconds(90), m.KeepAlive);
        Assert.True(m.Pin);
        Assert.True(m.MemoryLock);
        Assert.True(m.Preload);
        Assert.False(m.IsRemote);
        Assert.Equal(3, m.Line);
    }

    [Fact]
    public void Parse_DefaultsOmitted_LeavesNullsAndFalse()
    {
        var m = Parse("models:\n  small:\n    alias: qwen2.5-0.5b\n").Models["small"];

        Assert.Null(m.Context);
        Assert.Null(m.Parallel);
        Assert.Null(m.KvCache);
        Assert.Null(m.KeepAlive);
        Assert.False(m.Pin);
        Assert.False(m.MemoryLock);
        Assert.False(m.Preload);
        Assert.Empty(m.Failover);
        Assert.Equal("qwen2.5-0.5b", m.Source);
    }

    [Theory]
    [InlineData("0", 0)]
    [InlineData("-1", -1)]
    [InlineData("forever", -1)]
    [InlineData("2m", 120_000)]
    public void Parse_KeepAliveSpecialValues_AreUnderstood(string text, long milliseconds)
    {
        var m = Parse($"models:\n  small:\n    alias: qwen2.5-0.5b\n    keep_alive: {text}\n").Models["small"];

        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), m.KeepAlive);
    }

    [Fact]
    public void Parse_RemoteWithFailover_ReadsEndpointModelKeyAndOrder()
    {
        var config = Parse("""
            models:
              lab:
                url: http://127.0.0.1:8080/v1
                model: qwen2.5-7b-instruct
                api_key_env: LAB_KEY
                failover: [cloud, backup]
                keep_alive: 10m
                preload: true
              cloud:
                url: https://api.example.com/v1
                model: gpt-4o-mini
              backup:
                url: http://10.0.0.5:11434/v1
                model: qwen2.5:7b
            """);

        var lab = config.Models["lab"];
        Assert.True(lab.IsRemote);
        Assert.Equal(new Uri("http://127.0.0.1:8080/v1"), lab.Url);
        Assert.Equal("qwen2.5-7b-instruct", lab.RemoteModel);
        Assert.Equal("LAB_KEY", lab.ApiKeyEnvironmentVariable);
        Assert.Equal(["cloud", "backup"], lab.Failover);
        Assert.True(lab.Preload);
        Assert.Equal("http://127.0.0.1:8080/v1", lab.Source);
    }

    [Theory]
    [InlineData("    path: a.gguf\n    alias: qwen2.5-0.5b\n", "exactly one of 'path'")]
    [InlineData("    path: a.gguf\n    url: http://127.0.0.1:1/v1\n    model: m\n", "exactly one of 'path'")]
    [InlineData("    context: 512\n", "exactly one of 'path'")]
    public void Parse_NotExactlyOneSource_NamesTheEntry(string body, string expected)
    {
        var e = Bad("models:\n  m:\n" + body);

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Equal("models.m", e.KeyPath);
        Assert.Equal(3, e.Line);
        Assert.Equal("edgewise.yaml", e.File);
    }

    [Theory]
    [InlineData("    path: a.gguf\n    kv_cache: q8\n", "models.m.kv_cache", 4, "f16 or f32")]
    [InlineData("    path: a.gguf\n    parallel: 0\n", "models.m.parallel", 4, "between 1 and 256")]
    [InlineData("    path: a.gguf\n    pin: yes\n", "models.m.pin", 4, "true or false")]
    [InlineData("    path: a.gguf\n    mlock: 1\n", "models.m.mlock", 4, "true or false")]
    [InlineData("    path: a.gguf\n    keep_alive: soon\n", "models.m.keep_alive", 4, "duration")]
    [InlineData("    path: a.gguf\n    preload: maybe\n", "models.m.preload", 4, "true or false")]
    [InlineData("    path: a.gguf\n    gpu_layers: 3\n", "models.m.gpu_layers", 4, "unknown key")]
    [InlineData("    path: a.gguf\n    model: x\n", "models.m.model", 4, "remote models only")]
    [InlineData("    alias: qwen2.5-0.5b\n    failover: [x]\n", "models.m.failover", 4, "remote models only")]
    [InlineData("    url: http://127.0.0.1:1/v1\n    model: x\n    context: 512\n", "models.m.context", 5, "local models only")]
    [InlineData("    url: http://127.0.0.1:1/v1\n    model: x\n    mlock: true\n", "models.m.mlock", 5, "local models only")]
    [InlineData("    url: http://127.0.0.1:1/v1\n", "models.m.model", 3, "required key missing")]
    [InlineData("    url: ftp://host/v1\n    model: x\n", "models.m.url", 3, "http:// or https://")]
    [InlineData("    url: relative/v1\n    model: x\n", "models.m.url", 3, "http:// or https://")]
    [InlineData("    url: http://user:secret@host/v1\n    model: x\n", "models.m.url", 3, "api_key_env")]
    [InlineData("    url: http://127.0.0.1:1/v1\n    model: x\n    api_key_env: sk-abc123\n", "models.m.api_key_env", 5, "environment variable")]
    [InlineData("    url: http://127.0.0.1:1/v1\n    model: x\n    failover: [m]\n", "models.m.failover[0]", 5, "itself")]
    [InlineData("    url: http://127.0.0.1:1/v1\n    model: x\n    failover: [nowhere]\n", "models.m.failover[0]", 5, "unknown model 'nowhere'")]
    public void Parse_BadValue_NamesFileLineAndKey(string body, string keyPath, long line, string expected)
    {
        var e = Bad("models:\n  m:\n" + body);

        Assert.Equal(keyPath, e.KeyPath);
        Assert.Equal(line, e.Line);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Contains("edgewise.yaml", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_FailoverListedTwice_IsRefused()
    {
        var e = Bad("""
            models:
              a:
                url: http://127.0.0.1:1/v1
                model: x
                failover: [b, b]
              b:
                url: http://127.0.0.1:2/v1
                model: y
            """);

        Assert.Equal("models.a.failover[1]", e.KeyPath);
        Assert.Contains("twice", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_Backends_ReadsEachWithTheEntryDefaults()
    {
        var config = Parse("""
            models:
              big:
                model: qwen2.5-7b
                api_key_env: GPU_KEY
                backends:
                  - url: http://10.0.0.5:8000/v1
                    weight: 3
                  - url: http://10.0.0.6:8000/v1
                    name: spare
                    model: qwen2.5-7b-awq
                    api_key_env: SPARE_KEY
            """);

        var m = config.Models["big"];
        Assert.True(m.IsRemote);
        Assert.Null(m.Url);
        Assert.Equal("http://10.0.0.5:8000/v1", m.Source);
        Assert.Equal(
            [
                new BackendConfig("big/1", new Uri("http://10.0.0.5:8000/v1"), "qwen2.5-7b", "GPU_KEY", 3),
                new BackendConfig("spare", new Uri("http://10.0.0.6:8000/v1"), "qwen2.5-7b-awq", "SPARE_KEY", 1),
            ],
            m.Backends);
    }

    [Theory]
    [InlineData("    backends: []\n", "models.m.backends", "at least one backend")]
    [InlineData("    backends:\n      - model: x\n", "models.m.backends[0]", "'url'")]
    [InlineData("    backends:\n      - url: http://127.0.0.1:1/v1\n", "models.m.backends[0]", "'model'")]
    [InlineData("    model: x\n    backends:\n      - url: http://127.0.0.1:1/v1\n        weight: 0\n", "models.m.backends[0].weight", "between 1 and 1000")]
    [InlineData("    model: x\n    backends:\n      - url: http://127.0.0.1:1/v1\n        port: 80\n", "models.m.backends[0].port", "unknown key")]
    [InlineData("    model: x\n    backends:\n      - url: ftp://host/v1\n", "models.m.backends[0].url", "http:// or https://")]
    [InlineData("    model: x\n    backends:\n      - {url: http://127.0.0.1:1/v1, name: a}\n      - {url: http://127.0.0.1:2/v1, name: a}\n", "models.m.backends[1]", "named 'a'")]
    [InlineData("    model: x\n    url: http://127.0.0.1:1/v1\n    backends:\n      - url: http://127.0.0.1:2/v1\n", "models.m", "exactly one of 'path'")]
    [InlineData("    model: x\n    backends:\n      - url: http://127.0.0.1:1/v1\n    context: 512\n", "models.m.context", "local models only")]
    public void Parse_BadBackends_NameTheKey(string entry, string keyPath, string problem)
    {
        var e = Bad("models:\n  m:\n" + entry);

        Assert.Equal(keyPath, e.KeyPath);
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_FailoverToALocalModel_NamesTheListItem()
    {
        var e = Bad("""
            models:
              lab:
                url: http://127.0.0.1:9/v1
                model: test
                failover: [small]
              small:
                path: small.gguf
            """);

        Assert.Equal("models.lab.failover[0]", e.KeyPath);
        Assert.Equal(5, e.Line);
        Assert.Contains("'small' is a local model", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, "agents.kiosk.model")]
    [InlineData(false, "models.lab.failover[0]")]
    public void Parse_UnknownModelsNamedByAnAgentAndAFailoverList_ReportsTheFirstInTheFile(bool agentsFirst, string keyPath)
    {
        const string agents = "agents:\n  kiosk:\n    model: nope\n";
        const string models = "models:\n  lab:\n    url: http://127.0.0.1:9/v1\n    model: x\n    failover: [gone]\n";

        var e = Bad(agentsFirst ? agents + models : models + agents);

        Assert.Equal(keyPath, e.KeyPath);
        Assert.Contains("unknown model", e.Message, StringComparison.Ordinal);
    }
}
