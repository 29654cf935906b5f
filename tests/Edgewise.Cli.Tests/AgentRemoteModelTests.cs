using Edgewise.Agents.Configuration;
using Edgewise.Agents.Tools;
using Edgewise.Cli.Commands;
using Edgewise.Configuration;
using Microsoft.Extensions.AI;

namespace Edgewise.Cli.Tests;

/// <summary>The chat path's model clients for remote (<c>url:</c>) entries of edgewise.yaml.</summary>
public sealed class AgentRemoteModelTests
{
    [Fact]
    public async Task Get_RemoteEntry_AnswersThroughTheOpenAiCompatibleServer()
    {
        await using var server = await StatsServer.StartAsync();
        var config = Parse($$"""
            models:
              far:
                url: http://127.0.0.1:{{server.Port}}/v1
                model: fake
            agents:
              helper:
                model: far
            """);
        using var clients = new AgentModelClients(config, new CliConsole(new StringWriter(), new StringWriter()), TestContext.Current.CancellationToken);

        var response = await clients.Get("far").GetResponseAsync([new ChatMessage(ChatRole.User, "hi")], cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal("one two three", response.Text);
        Assert.Same(clients.Get("far"), clients.Get("far"));
        Assert.Equal(new Uri("http://127.0.0.1:" + server.Port + "/v1").AbsoluteUri, config.ResolveModelSource(config.Models["far"]));
    }

    [Fact]
    public void Parse_RemoteEntryFailingOverToALocalModel_ConfigErrorNamesTheKey()
    {
        var exception = Assert.Throws<ConfigException>(() => Parse("""
            models:
              near:
                path: near.gguf
              far:
                url: http://127.0.0.1:9/v1
                model: fake
                failover: [near]
            agents:
              helper:
                model: far
            """));

        Assert.Contains("models.far.failover[0]", exception.Message, StringComparison.Ordinal);
        Assert.Contains("'near' is a local model", exception.Message, StringComparison.Ordinal);
    }

    private static EdgewiseConfig Parse(string yaml) =>
        EdgewiseConfig.Parse(yaml, Path.Combine(Path.GetTempPath(), "edgewise.yaml"), new ToolRegistry());
}
