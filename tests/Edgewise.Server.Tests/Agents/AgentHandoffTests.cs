using System.Runtime.CompilerServices;
using Edgewise.Server.Tests.Support;
using Microsoft.Extensions.AI;

namespace Edgewise.Server.Tests.Agents;

/// <summary>Handoffs over HTTP: a session handed to another agent continues with it.</summary>
public sealed class AgentHandoffTests
{
    private static string Yaml() => AgentServer.Yaml().Replace("    tools: [lookup]\n", "    tools: [lookup]\n    handoffs: [orders]\n", StringComparison.Ordinal);

    [Fact]
    public async Task Run_HandoffToAnotherAgent_SessionContinuesWithIt()
    {
        var model = new ScriptedChatClient((messages, options, ct) => HandsOffAsync(messages, options, ct));
        await using var server = await AgentServer.StartAsync(Yaml(), new Dictionary<string, IChatClient> { ["small"] = model, ["tiny"] = AgentScripts.Picks("helper") });

        var first = await server.RunAsync("helper", "I want to buy");
        var id = first.GetProperty("session_id").GetString()!;
        var second = await server.RunAsync("helper", "two please", id);
        var (direct, _) = await server.CallAsync(HttpMethod.Post, "/v1/agents/orders/runs", $$"""{"input":"x","session_id":"{{id}}"}""");
        var (_, session) = await server.CallAsync(HttpMethod.Get, "/v1/sessions/" + id);

        Assert.Equal("orders", first.GetProperty("agent").GetString());
        Assert.Contains(first.GetProperty("events").EnumerateArray(), e => e.GetProperty("kind").GetString() == "handoff");
        Assert.Equal("orders: two please", second.GetProperty("output").GetString());
        Assert.Equal("orders", second.GetProperty("agent").GetString());
        Assert.Equal(200, direct);
        Assert.Equal("orders", session.GetProperty("agent").GetString());
    }

    [Fact]
    public async Task Run_SessionOfAnUnrelatedAgent_IsRefused()
    {
        await using var server = await AgentServer.StartAsync(AgentServer.Yaml(), new Dictionary<string, IChatClient> { ["small"] = AgentScripts.Echo(), ["tiny"] = AgentScripts.Picks("helper") });
        var id = (await server.RunAsync("orders", "hello")).GetProperty("session_id").GetString();

        var (status, body) = await server.CallAsync(HttpMethod.Post, "/v1/agents/helper/runs", $$"""{"input":"x","session_id":"{{id}}"}""");

        Assert.Equal(400, status);
        Assert.Equal("session_id", body.GetProperty("error").GetProperty("param").GetString());
    }

    /// <summary>The helper (offered handoff_to_orders) hands off on a user turn; otherwise the answer is "orders: LAST USER TEXT".</summary>
    private static async IAsyncEnumerable<ChatResponseUpdate> HandsOffAsync(IReadOnlyList<ChatMessage> messages, ChatOptions? options, [EnumeratorCancellation] CancellationToken ct)
    {
        await Task.Yield();
        ct.ThrowIfCancellationRequested();
        var canHandOff = options?.Tools?.Any(t => t.Name == "handoff_to_orders") == true;
        if (canHandOff && messages[^1].Role == ChatRole.User)
        {
            yield return new ChatResponseUpdate(ChatRole.Assistant, [new FunctionCallContent("call_h1", "handoff_to_orders", new Dictionary<string, object?> { ["reason"] = "buying" })]);
        }
        else
        {
            yield return new ChatResponseUpdate(ChatRole.Assistant, "orders: " + messages.Last(m => m.Role == ChatRole.User).Text);
        }

        yield return ScriptedChatClient.Final(ChatFinishReason.Stop);
    }
}
