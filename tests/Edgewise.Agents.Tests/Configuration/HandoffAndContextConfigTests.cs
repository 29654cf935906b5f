using Edgewise.Agents.Configuration;
using Edgewise.Configuration;

namespace Edgewise.Agents.Tests.Configuration;

public sealed class HandoffAndContextConfigTests
{
    private const string Yaml = """
        models:
          small: {path: a.gguf}
        agents:
          front:
            model: small
            handoffs: [billing, network]
            context: {strategy: summarize, max_messages: 12, max_chars: 8000, summary_max_chars: 500}
          billing:
            model: small
            handoffs: [front]
          network:
            model: small
        mcp_servers:
          remote:
            url: http://127.0.0.1:8931/mcp
            pinned: {}
        """;

    private static EdgewiseConfig Parse(string yaml) => EdgewiseConfig.Parse(yaml, "edgewise.yaml", new ToolRegistry());

    [Fact]
    public void Parse_HandoffsContextAndHttpMcp_Read()
    {
        var config = Parse(Yaml);

        Assert.Equal(["billing", "network"], config.Agents["front"].Handoffs);
        var context = config.Agents["front"].Context!;
        Assert.Equal((ContextStrategy.Summarize, 12, 8000, 500), (context.Strategy, context.MaxMessages, context.MaxChars, context.SummaryMaxChars));
        Assert.Equal(new Uri("http://127.0.0.1:8931/mcp"), config.McpServers["remote"].Url);
        Assert.Equal(string.Empty, config.McpServers["remote"].Command);
        Assert.Equal(["front", "billing", "network"], config.HandoffClosure("front"));
        Assert.Equal(["network"], config.HandoffClosure("network"));
    }

    [Fact]
    public void CreateAgentOptionsAndLinkHandoffs_BuildContextAndCyclicHandoffs()
    {
        var config = Parse(Yaml);
        var agents = config.HandoffClosure("front")
            .Select(name => new ChatAgent(new ScriptedChatClient(), config.CreateAgentOptions(name, new ToolRegistry())))
            .ToList();

        config.LinkHandoffs(agents);

        Assert.Equal(["billing", "network"], agents[0].Options.Handoffs.Select(a => a.Name));
        Assert.Same(agents[0], Assert.Single(agents[1].Options.Handoffs));
        Assert.Empty(agents[2].Options.Handoffs);
        Assert.Equal(ContextStrategy.Summarize, agents[0].Options.Context!.Strategy);
        Assert.Equal(500, agents[0].Options.Context!.SummaryMaxChars);
    }

    [Theory]
    [InlineData("handoffs: [kiosk]", "agents.kiosk.handoffs[0]", "cannot hand off to itself")]
    [InlineData("handoffs: [nobody]", "agents.kiosk.handoffs[0]", "unknown agent 'nobody'")]
    [InlineData("context: {strategy: forget, max_messages: 4}", "agents.kiosk.context.strategy", "'drop' or 'summarize'")]
    [InlineData("context: {strategy: drop}", "agents.kiosk.context", "max_messages")]
    [InlineData("context: {max_messages: 1}", "agents.kiosk.context.max_messages", "between 2")]
    [InlineData("context: {max_chars: 10}", "agents.kiosk.context.max_chars", "between 256")]
    public void Parse_BadHandoffOrContext_NamesLineAndKey(string line, string keyPath, string problem)
    {
        var e = Assert.Throws<ConfigException>(() => Parse("models:\n  small: {path: a.gguf}\nagents:\n  kiosk:\n    model: small\n    " + line + "\n"));

        Assert.Equal(6, e.Line);
        Assert.Equal(keyPath, e.KeyPath);
        Assert.Contains(problem, e.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("command: dotnet\n    url: http://x/mcp", "mcp_servers.m", "exactly one of 'command'")]
    [InlineData("url: ftp://x/mcp", "mcp_servers.m.url", "http or https")]
    [InlineData("url: http://x/mcp\n    args: [a]", "mcp_servers.m.args", "'command' server")]
    public void Parse_BadMcpServer_NamesKey(string body, string keyPath, string problem)
    {
        var e = Assert.Throws<ConfigException>(() => Parse("mcp_servers:\n  m:\n    " + body + "\n"));

        Assert.Equal(keyPath, e.KeyPath);
        Assert.Contains(problem, e.Problem, StringComparison.Ordinal);
    }
}
