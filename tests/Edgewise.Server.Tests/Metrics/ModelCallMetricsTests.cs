using System.Text;
using Edgewise.Server.Metrics;
using Edgewise.Server.Tests.Agents;
using Edgewise.Server.Tests.Support;
using Microsoft.Extensions.AI;

namespace Edgewise.Server.Tests.Metrics;

/// <summary>
/// Time to first token, generation time and tokens have one definition, measured per model call by the metrics stage
/// of every model's pipeline, whichever route made the call (plain chat, completions, Ollama, agents).
/// </summary>
public sealed class ModelCallMetricsTests
{
    [Fact]
    public async Task Stream_OneCall_FirstTokenOnceAndTokensFromUsage()
    {
        var metrics = new ServerMetrics();
        using var client = new MetricsChatClient(ScriptedChatClient.Text("a", "b", "c"), metrics);

        await foreach (var _ in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "hi")], cancellationToken: TestContext.Current.CancellationToken))
        {
        }

        var text = Scrape(metrics);
        Assert.Contains("edgewise_time_to_first_token_seconds_count 1\n", text, StringComparison.Ordinal);
        Assert.Contains("edgewise_prompt_tokens_total 5\n", text, StringComparison.Ordinal);
        Assert.Contains("edgewise_completion_tokens_total 3\n", text, StringComparison.Ordinal);
        Assert.Contains("edgewise_generation_tokens_per_second_count 1\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Response_NotStreamed_TokensCountedAndNoFirstToken()
    {
        var metrics = new ServerMetrics();
        using var client = new MetricsChatClient(ScriptedChatClient.Text("a", "b"), metrics);

        await client.GetResponseAsync([new ChatMessage(ChatRole.User, "hi")], cancellationToken: TestContext.Current.CancellationToken);

        var text = Scrape(metrics);
        Assert.Contains("edgewise_time_to_first_token_seconds_count 0\n", text, StringComparison.Ordinal);
        Assert.Contains("edgewise_completion_tokens_total 2\n", text, StringComparison.Ordinal);
        Assert.Contains("edgewise_generation_tokens_per_second_count 1\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scrape_StreamedAgentRun_MeasuredLikeAStreamedChat()
    {
        await using var server = await AgentServer.StartAsync(AgentServer.Yaml(), new Dictionary<string, IChatClient> { ["small"] = AgentScripts.Echo(), ["tiny"] = AgentScripts.Echo() });

        using var response = await server.SendAsync(HttpMethod.Post, "/v1/agents/helper/runs", """{"input":"hello","stream":true}""");
        await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var text = await server.Client.GetStringAsync("/metrics", TestContext.Current.CancellationToken);

        Assert.Contains("edgewise_time_to_first_token_seconds_count 1\n", text, StringComparison.Ordinal);
    }

    private static string Scrape(ServerMetrics metrics)
    {
        var text = new StringBuilder();
        metrics.WriteTo(text, [], []);
        return text.ToString();
    }
}
