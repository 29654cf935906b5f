using Microsoft.Extensions.AI;

namespace Edgewise.Agents.Tests;

public sealed class AgentSessionTests
{
    [Fact]
    public void NewId_A13_Is128BitRandomHex()
    {
        var ids = Enumerable.Range(0, 1000).Select(_ => new AgentSession().Id).ToHashSet();
        Assert.Equal(1000, ids.Count);
        Assert.All(ids, id => Assert.Matches("^[0-9a-f]{32}$", id));
    }

    [Fact]
    public void ToJson_RoundTripsMessagesCallsResultsStateAndApprovals()
    {
        var session = new AgentSession { AgentName = "kiosk", Owner = "key1", IsPrivate = true, Version = 4 };
        session.Messages.Add(new ChatMessage(ChatRole.User, "order apples"));
        session.Messages.Add(new ChatMessage(ChatRole.Assistant, [new TextContent("ok"), new FunctionCallContent("c1", "place_order", new Dictionary<string, object?> { ["n"] = 3 })]));
        session.Messages.Add(new ChatMessage(ChatRole.Tool, [new FunctionResultContent("c1", "<tool_output>done</tool_output>")]));
        session.State["cart"] = "apples";
        var now = DateTimeOffset.UtcNow;
        session.PendingApprovals.Add(new ApprovalRequest("c1", "place_order", "{\"n\":3}", new string('a', 64), now, now.AddMinutes(5)));

        var restored = AgentSession.FromJson(session.ToJson());

        Assert.Equal((session.Id, "kiosk", "key1", true, 4L), (restored.Id, restored.AgentName, restored.Owner, restored.IsPrivate, restored.Version));
        Assert.Equal(session.Messages.Select(m => m.Role), restored.Messages.Select(m => m.Role));
        var call = restored.Messages[1].Contents.OfType<FunctionCallContent>().Single();
        Assert.Equal(("c1", "place_order", "3"), (call.CallId, call.Name, call.Arguments!["n"]!.ToString()));
        Assert.Equal("<tool_output>done</tool_output>", restored.Messages[2].Contents.OfType<FunctionResultContent>().Single().Result!.ToString());
        Assert.Equal("apples", restored.State["cart"]);
        Assert.Equal(session.PendingApprovals[0], restored.PendingApprovals[0]);
        Assert.Equal(session.ToJson(), restored.ToJson());
    }

    [Theory]
    [InlineData("")]
    [InlineData("null")]
    [InlineData("{\"id\": 5}")]
    [InlineData("[1,2]")]
    [InlineData("{\"id\": \"\"}")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"contents\": [{\"$type\": \"nope\"}]}]}")]
    public void FromJson_NotASession_ThrowsJsonException(string json)
    {
        Assert.ThrowsAny<System.Text.Json.JsonException>(() => AgentSession.FromJson(json));
    }
}
