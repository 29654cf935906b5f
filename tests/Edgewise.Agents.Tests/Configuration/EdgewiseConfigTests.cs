using Edgewise.Agents.Configuration;
using Edgewise.Configuration;
using Edgewise.Testing;

namespace Edgewise.Agents.Tests.Configuration;

public sealed class EdgewiseConfigTests
{
    private const string Good = """
        models:
          small:
            path: models/ref.gguf
            context: 2048
            threads: 2
            keep_alive: 5m
          big:
            alias: qwen2.5:7b
        agents:
          kiosk:
            description: Answers shoppers.
            instructions: Be brief.
            model: small
            tools: [inventory_lookup, price_quote, place_order, files/read]
            approval_required: [price_quote]
            temperature: 0.2
            max_tokens: 256
            max_tool_rounds: 4
            escalation: big
            guardrails:
              redact_pii: true
              blocked_terms: [password]
              max_output_chars: 2000
          clinic:
            model: small
            private: true
            tools: [appointment_availability]
        routers:
          front:
            model: small
            agents: [kiosk, clinic]
        mcp_servers:
          files:
            command: dotnet
            args: [server.dll, --root, /tmp]
            pinned:
              read: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
        limits:
          tool_timeout: 10s
          run_timeout: 90s
          approval_timeout: 1h
          max_tool_result_bytes: 4096
          max_history_messages: 20
          session_retention: 30d
        """;

    private static EdgewiseConfig Parse(string yaml) => EdgewiseConfig.Parse(yaml, "edgewise.yaml", TestTools.Registry());

    private static ConfigException Bad(string yaml) => Assert.Throws<ConfigException>(() => Parse(yaml));

    [Fact]
    public void Parse_FullFile_ReadsEverySection()
    {
        var config = Parse(Good);

        Assert.Equal(["small", "big"], config.Models.Keys);
        Assert.Equal("models/ref.gguf", config.Models["small"].Path);
        Assert.Equal(2048, config.Models["small"].Context);
        Assert.Equal(TimeSpan.FromMinutes(5), config.Models["small"].KeepAlive);
        Assert.Equal("qwen2.5:7b", config.Models["big"].Source);
        var kiosk = config.Agents["kiosk"];
        Assert.Equal("Answers shoppers.", kiosk.Description);
        Assert.Equal(["inventory_lookup", "price_quote", "place_order", "files/read"], kiosk.Tools);
        Assert.Equal(0.2f, kiosk.Temperature);
        Assert.Equal(256, kiosk.MaxTokens);
        Assert.Equal(4, kiosk.MaxToolRounds);
        Assert.Equal("big", kiosk.Escalation);
        Assert.True(kiosk.Guardrails!.RedactPii);
        Assert.Equal(["password"], kiosk.Guardrails.BlockedTerms);
        Assert.True(config.Agents["clinic"].Private);
        Assert.Equal(["kiosk", "clinic"], config.Routers["front"].Agents);
        Assert.Equal(["server.dll", "--root", "/tmp"], config.McpServers["files"].Args);
        Assert.Single(config.McpServers["files"].Pinned);
        Assert.Equal(TimeSpan.FromSeconds(10), config.Limits.ToolTimeout);
        Assert.Equal(TimeSpan.FromDays(30), config.Limits.SessionRetention);
        Assert.Equal(20, config.Limits.MaxHistoryMessages);
    }

    [Fact]
    public void CreateAgentOptions_Kiosk_AppliesSettingsToolsApprovalsAndLimits()
    {
        var config = Parse(Good);

        var options = config.CreateAgentOptions("kiosk", TestTools.Registry());

        Assert.Equal("kiosk", options.Name);
        Assert.Equal("Be brief.", options.Instructions);
        Assert.Equal(0.2f, options.Temperature);
        Assert.Equal(4, options.MaxToolRounds);
        Assert.Equal(TimeSpan.FromSeconds(10), options.ToolTimeout);
        Assert.Equal(["inventory_lookup", "price_quote", "place_order"], options.Tools.Select(t => t.Name));
        Assert.False(options.Tools[0].RequiresApproval);
        Assert.True(options.Tools[1].RequiresApproval);
        Assert.True(options.Tools[2].RequiresApproval);
        Assert.True(options.Guardrails!.RedactPii);
        Assert.Null(options.Escalation);
    }

    [Fact]
    public void CreateAgentOptions_PrivateAgent_NeverGetsEscalation()
    {
        var config = Parse(Good);
        using var target = new ScriptedChatClient();

        var kiosk = config.CreateAgentOptions("kiosk", TestTools.Registry(), escalationTarget: _ => target);
        var clinic = config.CreateAgentOptions("clinic", TestTools.Registry(), escalationTarget: _ => target);

        Assert.Equal("big", kiosk.Escalation!.TargetName);
        Assert.True(clinic.IsPrivate);
        Assert.Null(clinic.Escalation);
    }

    [Fact]
    public void ResolveModelSource_RelativePath_ResolvesAgainstTheFileFolder()
    {
        var config = EdgewiseConfig.Parse(Good, Path.Combine("/srv/edge", "edgewise.yaml"), TestTools.Registry());

        Assert.Equal(Path.GetFullPath("/srv/edge/models/ref.gguf"), config.ResolveModelSource(config.Models["small"]));
        Assert.Equal("qwen2.5:7b", config.ResolveModelSource(config.Models["big"]));
    }

    [Fact]
    public void Parse_TypoInAgentKey_NamesFileLineAndKey()
    {
        var e = Bad("""
            models:
              small: {path: a.gguf}
            agents:
              kiosk:
                model: small
                temprature: 0.5
            """);

        Assert.Equal(6, e.Line);
        Assert.Equal("agents.kiosk.temprature", e.KeyPath);
        Assert.StartsWith("edgewise.yaml:6:", e.Message, StringComparison.Ordinal);
        Assert.Contains("agents.kiosk.temprature: unknown key", e.Message, StringComparison.Ordinal);
        Assert.Contains("temperature", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnknownTopLevelKey_NamesLine()
    {
        var e = Bad("""
            models: {}
            agent:
              x: {}
            """);

        Assert.Equal(2, e.Line);
        Assert.Equal("agent", e.KeyPath);
    }

    [Theory]
    [InlineData("temperature: hot", "agents.kiosk.temperature", "expected a number")]
    [InlineData("temperature: 3", "agents.kiosk.temperature", "between 0 and 2")]
    [InlineData("max_tokens: 1.5", "agents.kiosk.max_tokens", "whole number")]
    [InlineData("max_tool_rounds: 11", "agents.kiosk.max_tool_rounds", "between 1 and 10")]
    [InlineData("private: yes-please", "agents.kiosk.private", "true or false")]
    [InlineData("tools: inventory_lookup", "agents.kiosk.tools", "expected a list")]
    [InlineData("guardrails: [redact_pii]", "agents.kiosk.guardrails", "expected a mapping")]
    public void Parse_WrongType_NamesLineAndKey(string line, string keyPath, string problem)
    {
        var e = Bad("models:\n  small: {path: a.gguf}\nagents:\n  kiosk:\n    model: small\n    " + line + "\n");

        Assert.Equal(6, e.Line);
        Assert.Equal(keyPath, e.KeyPath);
        Assert.Contains(problem, e.Problem, StringComparison.Ordinal);
        Assert.StartsWith("edgewise.yaml:6:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_AgentWithoutModel_NamesMissingKey()
    {
        var e = Bad("""
            models:
              small: {path: a.gguf}
            agents:
              kiosk:
                description: no model here
            """);

        Assert.Equal("agents.kiosk.model", e.KeyPath);
        Assert.Contains("required key missing", e.Message, StringComparison.Ordinal);
        Assert.Equal(5, e.Line);
    }

    [Fact]
    public void Parse_ModelWithPathAndAlias_IsRejected()
    {
        var e = Bad("""
            models:
              small:
                path: a.gguf
                alias: qwen
            """);

        Assert.Equal("models.small", e.KeyPath);
        Assert.Equal(3, e.Line);
    }

    [Fact]
    public void Parse_AgentNamingUnknownModel_NamesTheModelLine()
    {
        var e = Bad("""
            models:
              small: {path: a.gguf}
            agents:
              kiosk:
                description: d
                model: smal
            """);

        Assert.Equal(6, e.Line);
        Assert.Equal("agents.kiosk.model", e.KeyPath);
        Assert.Contains("unknown model 'smal'; known: small", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_AgentNamingUnknownTool_NamesTheListItem()
    {
        var e = Bad("""
            models:
              small: {path: a.gguf}
            agents:
              kiosk:
                model: small
                tools:
                  - inventory_lookup
                  - delete_everything
            """);

        Assert.Equal(8, e.Line);
        Assert.Equal("agents.kiosk.tools[1]", e.KeyPath);
        Assert.Contains("unknown tool 'delete_everything'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_McpToolOfUnknownServer_IsRejected()
    {
        var e = Bad("""
            models:
              small: {path: a.gguf}
            agents:
              kiosk:
                model: small
                tools: [files/read]
            """);

        Assert.Equal(6, e.Line);
        Assert.Contains("mcp_servers", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ApprovalForUnlistedTool_IsRejected()
    {
        var e = Bad("""
            models:
              small: {path: a.gguf}
            agents:
              kiosk:
                model: small
                tools: [inventory_lookup]
                approval_required: [place_order]
            """);

        Assert.Equal("agents.kiosk.approval_required", e.KeyPath);
        Assert.Contains("place_order", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("auto", null)]
    [InlineData("required", "")]
    [InlineData("place_order", "place_order")]
    public void CreateAgentOptions_ToolChoice_MapsToTheToolMode(string choice, string? expected)
    {
        var config = Parse($$"""
            models:
              small: {path: a.gguf}
            agents:
              kiosk:
                model: small
                tools: [inventory_lookup, place_order]
                tool_choice: {{choice}}
            """);

        var mode = config.CreateAgentOptions("kiosk", TestTools.Registry()).ToolChoice;

        if (expected is null)
        {
            Assert.Null(mode);
        }
        else
        {
            Assert.Equal(expected.Length == 0 ? null : expected, Assert.IsType<Microsoft.Extensions.AI.RequiredChatToolMode>(mode).RequiredFunctionName);
        }
    }

    [Theory]
    [InlineData("tools: [inventory_lookup]", "tool_choice: place_order", "must be auto, required or one of this agent's tools")]
    [InlineData("description: no tools", "tool_choice: required", "'required' needs at least one tool or handoff")]
    [InlineData("tools: [inventory_lookup]", "tool_choice: none", "must be auto, required or one of this agent's tools")]
    public void Parse_BadToolChoice_IsRejected(string tools, string choice, string problem)
    {
        var e = Bad($"""
            models:
              small: {"{path: a.gguf}"}
            agents:
              kiosk:
                model: small
                {tools}
                {choice}
            """);

        Assert.Equal("agents.kiosk.tool_choice", e.KeyPath);
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_PrivateAgentWithEscalation_IsRejected()
    {
        var e = Bad("""
            models:
              small: {path: a.gguf}
              big: {path: b.gguf}
            agents:
              clinic:
                model: small
                private: true
                escalation: big
            """);

        Assert.Equal(8, e.Line);
        Assert.Equal("agents.clinic.escalation", e.KeyPath);
    }

    [Fact]
    public void Parse_RouterOverUnknownAgent_IsRejected()
    {
        var e = Bad("""
            models:
              small: {path: a.gguf}
            agents:
              a: {model: small}
            routers:
              front:
                model: small
                agents: [a, b]
            """);

        Assert.Equal(8, e.Line);
        Assert.Equal("routers.front.agents[1]", e.KeyPath);
        Assert.Contains("unknown agent 'b'", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tool_timeout: 31s", "limits.tool_timeout", "at most 30s")]
    [InlineData("run_timeout: 2", "limits.run_timeout", "unit")]
    [InlineData("max_tool_result_bytes: 10", "limits.max_tool_result_bytes", "between 1024")]
    public void Parse_BadLimit_NamesLineAndKey(string line, string keyPath, string problem)
    {
        var e = Bad("models: {}\nlimits:\n  " + line + "\n");

        Assert.Equal(3, e.Line);
        Assert.Equal(keyPath, e.KeyPath);
        Assert.Contains(problem, e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_BadPinnedHash_IsRejected()
    {
        var e = Bad("""
            mcp_servers:
              files:
                command: x
                pinned: {read: abc}
            """);

        Assert.Equal("mcp_servers.files.pinned.read", e.KeyPath);
        Assert.Equal(4, e.Line);
    }

    [Fact]
    public void Parse_InvalidYaml_NamesFileAndLine()
    {
        var e = Bad("models:\n  small: {path: a.gguf\nagents: x\n");

        Assert.StartsWith("edgewise.yaml:", e.Message, StringComparison.Ordinal);
        Assert.True(e.Line >= 2);
        Assert.Contains("not valid YAML", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_DuplicateKey_IsRejected()
    {
        var e = Bad("models:\n  small: {path: a.gguf}\n  small: {path: b.gguf}\n");

        Assert.Equal(3, e.Line);
    }

    [Fact]
    public void Load_MissingFile_ThrowsConfigExceptionNamingIt()
    {
        var path = Path.Combine(Path.GetTempPath(), "edgewise-missing-" + Guid.NewGuid().ToString("N"), "edgewise.yaml");

        var e = Assert.Throws<ConfigException>(() => EdgewiseConfig.Load(path, TestTools.Registry()));

        Assert.StartsWith(path + ":", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Register_NameDiffersFromFunction_Throws()
    {
        var registry = new ToolRegistry();
        var function = Microsoft.Extensions.AI.AIFunctionFactory.Create(() => "x", "a", "d");

        Assert.Throws<ArgumentException>(() => registry.Register("b", function));
        registry.Register("a", function);
        Assert.Throws<ArgumentException>(() => registry.Register("a", function));
    }
}
