using Microsoft.Extensions.AI;

namespace Edgewise.Server.Tests.Agents;

/// <summary>GET /v1/sessions: the caller's own sessions only (A13), newest first, capped by limit.</summary>
public sealed class AgentSessionListTests
{
    [Fact]
    public async Task ListSessions_A13_TwoKeys_EachSeesOnlyItsOwnNewestFirst()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var server = await AgentServer.StartAsync(
            AgentServer.Yaml(),
            new Dictionary<string, IChatClient> { ["small"] = AgentScripts.Echo(), ["tiny"] = AgentScripts.Picks("helper") },
            configure: o =>
            {
                o.ApiKeys.Add(AgentServer.KeyA);
                o.ApiKeys.Add(AgentServer.KeyB);
                o.Agents.TimeProvider = clock;
            });
        var first = (await server.RunAsync("helper", "one", key: AgentServer.KeyA)).GetProperty("session_id").GetString();
        clock.Advance(TimeSpan.FromMinutes(1));
        var other = (await server.RunAsync("helper", "theirs", key: AgentServer.KeyB)).GetProperty("session_id").GetString();
        clock.Advance(TimeSpan.FromMinutes(1));
        var second = (await server.RunAsync("helper", "two", key: AgentServer.KeyA)).GetProperty("session_id").GetString();
        clock.Advance(TimeSpan.FromMinutes(1));
        await server.RunAsync("helper", "again", second, AgentServer.KeyA);

        var (status, mine) = await server.CallAsync(HttpMethod.Get, "/v1/sessions", key: AgentServer.KeyA);
        var (_, theirs) = await server.CallAsync(HttpMethod.Get, "/v1/sessions", key: AgentServer.KeyB);
        var (_, limited) = await server.CallAsync(HttpMethod.Get, "/v1/sessions?limit=1", key: AgentServer.KeyA);

        Assert.Equal(200, status);
        Assert.Equal("list", mine.GetProperty("object").GetString());
        var data = mine.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal([second, first], data.Select(s => s.GetProperty("id").GetString()));
        Assert.Equal("helper", data[0].GetProperty("agent").GetString());
        Assert.Equal(4, data[0].GetProperty("message_count").GetInt32());
        Assert.Equal(2, data[1].GetProperty("message_count").GetInt32());
        Assert.Equal(clock.GetUtcNow(), data[0].GetProperty("updated_at").GetDateTimeOffset());
        Assert.Equal([other], theirs.GetProperty("data").EnumerateArray().Select(s => s.GetProperty("id").GetString()));
        Assert.Equal([second], limited.GetProperty("data").EnumerateArray().Select(s => s.GetProperty("id").GetString()));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("101")]
    [InlineData("ten")]
    public async Task ListSessions_BadLimit_Returns400(string limit)
    {
        await using var server = await AgentServer.StartAsync(AgentServer.Yaml(), new Dictionary<string, IChatClient> { ["small"] = AgentScripts.Echo() });

        var (status, body) = await server.CallAsync(HttpMethod.Get, "/v1/sessions?limit=" + limit);

        Assert.Equal(400, status);
        Assert.Equal("limit", body.GetProperty("error").GetProperty("param").GetString());
    }
}
