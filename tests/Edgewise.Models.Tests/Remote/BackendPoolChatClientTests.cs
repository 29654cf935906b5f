using Edgewise.Models.Remote;
using Microsoft.Extensions.AI;
using static Edgewise.Models.Tests.Remote.FakeOpenAiServer;
using static Edgewise.Models.Tests.Remote.OpenAiCompatibleChatClientTests;

namespace Edgewise.Models.Tests.Remote;

public sealed class BackendPoolChatClientTests
{
    private static readonly ChatMessage[] s_hi = [new(ChatRole.User, "Hi")];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task GetResponse_FirstEndpointDead_SecondAnswers(bool streaming)
    {
        await using var live = new FakeOpenAiServer(streaming ? Reply.Sse(Chunk(TextDelta("from second")), Chunk("{}", "stop")) : Reply.Json(Completion("from second")));
        using var client = new BackendPoolChatClient([Backend("dead", DeadEndpoint()), Backend("live", live.Endpoint)], Lenient());

        var response = await RunAsync(client, s_hi, null, streaming);

        Assert.Equal("from second", response.Text);
        Assert.Equal(1, live.ChatRequests);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task GetResponse_FirstAnswers500_SecondAnswers(bool streaming)
    {
        await using var failing = new FakeOpenAiServer(Reply.Json("{\"error\":{\"message\":\"boom\"}}", 500));
        await using var live = new FakeOpenAiServer(streaming ? Reply.Sse(Chunk(TextDelta("ok")), Chunk("{}", "stop")) : Reply.Json(Completion("ok")));
        using var client = new BackendPoolChatClient([Backend("failing", failing.Endpoint), Backend("live", live.Endpoint)], Lenient());

        var response = await RunAsync(client, s_hi, null, streaming);

        Assert.Equal("ok", response.Text);
        Assert.Equal(1, failing.ChatRequests);
        Assert.Equal(1, live.ChatRequests);
    }

    [Fact]
    public async Task GetResponseAsync_FirstTimesOut_SecondAnswers()
    {
        await using var slow = new FakeOpenAiServer(Reply.Slow(TimeSpan.FromSeconds(30), Completion("late")));
        await using var live = new FakeOpenAiServer(Reply.Json(Completion("fast")));
        using var client = new BackendPoolChatClient([Backend("slow", slow.Endpoint, TimeSpan.FromMilliseconds(300)), Backend("live", live.Endpoint)], Lenient());

        var response = await client.GetResponseAsync(s_hi, null, TestContext.Current.CancellationToken);

        Assert.Equal("fast", response.Text);
    }

    [Theory]
    [InlineData(400, false)]
    [InlineData(401, true)]
    [InlineData(404, false)]
    public async Task GetResponse_First4xx_ThrowsWithoutTryingNext(int status, bool streaming)
    {
        await using var refusing = new FakeOpenAiServer(Reply.Json("{\"error\":{\"message\":\"no\"}}", status));
        await using var live = new FakeOpenAiServer(Reply.Json(Completion("unused")));
        using var client = new BackendPoolChatClient([Backend("refusing", refusing.Endpoint), Backend("live", live.Endpoint)], Lenient());

        var error = await Assert.ThrowsAsync<ModelException>(() => RunAsync(client, s_hi, null, streaming));

        Assert.NotEqual(ModelErrorCodes.BackendUnavailable, error.Code);
        Assert.Equal(0, live.ChatRequests);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task GetResponse_AllDead_ThrowsBackendUnavailable(bool streaming)
    {
        await using var failing = new FakeOpenAiServer(Reply.Json("{}", 503));
        using var client = new BackendPoolChatClient([Backend("a", DeadEndpoint()), Backend("b", DeadEndpoint()), Backend("c", failing.Endpoint)], Lenient());

        var error = await Assert.ThrowsAsync<ModelException>(() => RunAsync(client, s_hi, null, streaming));

        Assert.Equal(ModelErrorCodes.BackendUnavailable, error.Code);
        Assert.Contains("edgewise doctor", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_FailsAfterFirstToken_DoesNotFallOver()
    {
        await using var breaking = new FakeOpenAiServer(Reply.SseThenBreak(Chunk(TextDelta("partial"))));
        await using var live = new FakeOpenAiServer(Reply.Sse(Chunk(TextDelta("second")), Chunk("{}", "stop")));
        using var client = new BackendPoolChatClient([Backend("breaking", breaking.Endpoint), Backend("live", live.Endpoint)], Lenient());
        var seen = new List<string>();

        var error = await Assert.ThrowsAsync<ModelException>(async () =>
        {
            await foreach (var update in client.GetStreamingResponseAsync(s_hi, null, TestContext.Current.CancellationToken))
            {
                seen.Add(update.Text);
            }
        });

        Assert.Equal(ModelErrorCodes.InvalidResponse, error.Code);
        Assert.Equal(["partial"], seen);
        Assert.Equal(0, live.ChatRequests);
    }

    [Fact]
    public async Task GetResponseAsync_WithinCacheDuration_ChecksHealthOnce()
    {
        await using var server = new FakeOpenAiServer(Reply.Json(Completion("one")), Reply.Json(Completion("two")), Reply.Json(Completion("three")));
        var clock = new ManualClock();
        using var client = new BackendPoolChatClient([Backend("only", server.Endpoint)], new BackendPoolOptions { HealthCacheDuration = TimeSpan.FromSeconds(10), HealthCheckTimeout = TimeSpan.FromSeconds(10) }, clock);

        await client.GetResponseAsync(s_hi, null, TestContext.Current.CancellationToken);
        clock.Advance(TimeSpan.FromSeconds(5));
        await client.GetResponseAsync(s_hi, null, TestContext.Current.CancellationToken);
        var withinCache = server.ModelsRequests;
        clock.Advance(TimeSpan.FromSeconds(11));
        await client.GetResponseAsync(s_hi, null, TestContext.Current.CancellationToken);

        Assert.Equal(1, withinCache);
        Assert.Equal(2, server.ModelsRequests);
        Assert.Equal(3, server.ChatRequests);
    }

    [Fact]
    public async Task GetResponseAsync_UnhealthyCached_SkipsBackendUntilExpiry()
    {
        await using var sick = new FakeOpenAiServer(Reply.Json(Completion("recovered"))) { ModelsStatus = 503 };
        await using var live = new FakeOpenAiServer(Reply.Json(Completion("a")), Reply.Json(Completion("b")));
        var clock = new ManualClock();
        using var client = new BackendPoolChatClient([Backend("sick", sick.Endpoint), Backend("live", live.Endpoint)], new BackendPoolOptions { HealthCacheDuration = TimeSpan.FromSeconds(10), HealthCheckTimeout = TimeSpan.FromSeconds(10) }, clock);

        Assert.Equal("a", (await client.GetResponseAsync(s_hi, null, TestContext.Current.CancellationToken)).Text);
        Assert.Equal("b", (await client.GetResponseAsync(s_hi, null, TestContext.Current.CancellationToken)).Text);
        Assert.Equal(1, sick.ModelsRequests);
        sick.ModelsStatus = 200;
        clock.Advance(TimeSpan.FromSeconds(11));

        Assert.Equal("recovered", (await client.GetResponseAsync(s_hi, null, TestContext.Current.CancellationToken)).Text);
        Assert.Equal(2, live.ChatRequests);
    }

    [Fact]
    public async Task CheckHealthAsync_MixedBackends_ReportsEachInOrder()
    {
        await using var live = new FakeOpenAiServer();
        using var client = new BackendPoolChatClient([Backend("dead", DeadEndpoint()), Backend("live", live.Endpoint)], Lenient());

        var status = await client.CheckHealthAsync(TestContext.Current.CancellationToken);

        Assert.Equal(["dead", "live"], status.Select(s => s.Name));
        Assert.False(status[0].Healthy);
        Assert.True(status[1].Healthy);
    }

    [Fact]
    public async Task GetResponseAsync_ApiKeyFromEnvironment_SentToBackend()
    {
        var variable = "EDGEWISE_TEST_KEY_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(variable, "sk-from-env");
        try
        {
            await using var server = new FakeOpenAiServer(Reply.Json(Completion("ok")));
            using var client = new BackendPoolChatClient([new RemoteBackendOptions { Name = "k", Endpoint = server.Endpoint, Model = "fake-model", ApiKeyEnvironmentVariable = variable }], Lenient());

            await client.GetResponseAsync(s_hi, null, TestContext.Current.CancellationToken);

            Assert.True(server.Authorizations.TryDequeue(out var auth));
            Assert.Equal("Bearer sk-from-env", auth);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [Fact]
    public async Task GetResponseAsync_RequestModelId_EachBackendGetsItsConfiguredModel()
    {
        await using var server = new FakeOpenAiServer(Reply.Json(Completion("ok")));
        using var client = new BackendPoolChatClient([Backend("only", server.Endpoint)], Lenient());

        await client.GetResponseAsync(s_hi, new ChatOptions { ModelId = "qwen2.5-0.5b" }, TestContext.Current.CancellationToken);

        Assert.True(server.Bodies.TryDequeue(out var body));
        Assert.Equal("fake-model", body.GetProperty("model").GetString());
    }

    [Fact]
    public void Constructor_InvalidBackends_Throws()
    {
        Assert.Throws<ArgumentException>(() => new BackendPoolChatClient([]));
        Assert.Throws<ArgumentException>(() => new BackendPoolChatClient([new RemoteBackendOptions { Name = "x", Endpoint = new Uri("ftp://127.0.0.1/"), Model = "m" }]));
        Assert.Throws<ArgumentException>(() => new BackendPoolChatClient([new RemoteBackendOptions { Name = "x", Endpoint = new Uri("http://127.0.0.1/v1"), Model = " " }]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BackendPoolOptions { HealthCheckTimeout = TimeSpan.Zero });
    }

    [Fact]
    public async Task Pool_RequestsOneAtATime_SpreadByWeight()
    {
        await using var heavy = new FakeOpenAiServer([.. Enumerable.Range(0, 6).Select(_ => Reply.Json(Completion("heavy")))]);
        await using var light = new FakeOpenAiServer([.. Enumerable.Range(0, 3).Select(_ => Reply.Json(Completion("light")))]);
        using var client = new BackendPoolChatClient([Backend("heavy", heavy.Endpoint, weight: 2), Backend("light", light.Endpoint, weight: 1)], Lenient());

        var answers = new List<string>();
        for (var i = 0; i < 9; i++)
        {
            answers.Add((await client.GetResponseAsync(s_hi, null, TestContext.Current.CancellationToken)).Text);
        }

        Assert.Equal(6, heavy.ChatRequests);
        Assert.Equal(3, light.ChatRequests);
        Assert.Equal(["heavy", "light", "heavy"], answers.Take(3));
        Assert.All(client.Snapshot(), b => Assert.Equal(0, b.Outstanding));
        Assert.Equal([6L, 3L], client.Snapshot().Select(b => b.Requests));
    }

    [Fact]
    public async Task Pool_BusyBackend_NextRequestsGoToTheLeastOutstanding()
    {
        await using var slow = new FakeOpenAiServer(Reply.Slow(TimeSpan.FromSeconds(3), Completion("slow")));
        await using var fast = new FakeOpenAiServer(Reply.Json(Completion("a")), Reply.Json(Completion("b")), Reply.Json(Completion("c")));
        using var client = new BackendPoolChatClient([Backend("slow", slow.Endpoint), Backend("fast", fast.Endpoint)], Lenient());

        // Both idle: the first request goes to the backend configured first and stays there for three seconds.
        var pending = client.GetResponseAsync(s_hi, null, TestContext.Current.CancellationToken);
        await WaitUntilAsync(() => client.Snapshot()[0].Outstanding == 1);
        var answers = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            answers.Add((await client.GetResponseAsync(s_hi, null, TestContext.Current.CancellationToken)).Text);
        }

        Assert.Equal(["a", "b", "c"], answers);
        Assert.Equal("slow", (await pending).Text);
        Assert.Equal(1, slow.ChatRequests);
    }

    [Fact]
    public async Task Pool_BackendFailsThenRecovers_LeavesAndRejoinsThePool()
    {
        await using var flaky = new FakeOpenAiServer(Reply.Json("{}", 503), Reply.Json(Completion("flaky back")));
        await using var steady = new FakeOpenAiServer([.. Enumerable.Range(0, 4).Select(i => Reply.Json(Completion("steady " + i)))]);
        var clock = new ManualClock();
        using var client = new BackendPoolChatClient([Backend("flaky", flaky.Endpoint), Backend("steady", steady.Endpoint)], new BackendPoolOptions { HealthCacheDuration = TimeSpan.FromSeconds(10), HealthCheckTimeout = TimeSpan.FromSeconds(10) }, clock);

        // The 503 takes "flaky" out and the request is answered by "steady"; while it is out, "steady" takes everything.
        Assert.Equal("steady 0", (await client.GetResponseAsync(s_hi, null, TestContext.Current.CancellationToken)).Text);
        Assert.False(client.Snapshot()[0].Healthy);
        Assert.Equal(1L, client.Snapshot()[0].Failures);
        Assert.Equal("steady 1", (await client.GetResponseAsync(s_hi, null, TestContext.Current.CancellationToken)).Text);
        Assert.Equal("steady 2", (await client.GetResponseAsync(s_hi, null, TestContext.Current.CancellationToken)).Text);
        Assert.Equal(1, flaky.ChatRequests);

        // Once the cached verdict expires, a health check finds it answering and it takes its turn again.
        clock.Advance(TimeSpan.FromSeconds(11));
        var after = new[]
        {
            (await client.GetResponseAsync(s_hi, null, TestContext.Current.CancellationToken)).Text,
            (await client.GetResponseAsync(s_hi, null, TestContext.Current.CancellationToken)).Text,
        };

        Assert.Contains("flaky back", after);
        Assert.True(client.Snapshot()[0].Healthy);
        Assert.Equal(2, flaky.ChatRequests);
    }

    [Fact]
    public async Task Pool_LowerPriorityBackend_UsedOnlyWhileThePoolIsDown()
    {
        await using var primary = new FakeOpenAiServer(Reply.Json(Completion("primary")), Reply.Json("{}", 502));
        await using var standby = new FakeOpenAiServer(Reply.Json(Completion("standby")));
        using var client = new BackendPoolChatClient([Backend("standby", standby.Endpoint, priority: 1), Backend("primary", primary.Endpoint)], Lenient());

        Assert.Equal("primary", (await client.GetResponseAsync(s_hi, null, TestContext.Current.CancellationToken)).Text);
        Assert.Equal("standby", (await client.GetResponseAsync(s_hi, null, TestContext.Current.CancellationToken)).Text);
        Assert.Equal(2, primary.ChatRequests);
        Assert.Equal(1, standby.ChatRequests);
    }

    [Fact]
    public async Task Pool_StreamBreaksMidway_ErrorNamesTheBackendAndItLeavesThePool()
    {
        await using var breaking = new FakeOpenAiServer(Reply.SseThenBreak(Chunk(TextDelta("partial"))));
        await using var other = new FakeOpenAiServer(Reply.Json(Completion("other")));
        using var client = new BackendPoolChatClient([Backend("breaking", breaking.Endpoint), Backend("other", other.Endpoint)], Lenient());
        var seen = new List<string>();

        var error = await Assert.ThrowsAsync<ModelException>(async () =>
        {
            await foreach (var update in client.GetStreamingResponseAsync(s_hi, null, TestContext.Current.CancellationToken))
            {
                seen.Add(update.Text);
            }
        });

        Assert.Equal(["partial"], seen);
        Assert.Contains("'breaking'", error.Message, StringComparison.Ordinal);
        Assert.False(client.Snapshot()[0].Healthy);
        Assert.Equal(0, client.Snapshot()[0].Outstanding);
        Assert.Equal("other", (await client.GetResponseAsync(s_hi, null, TestContext.Current.CancellationToken)).Text);
    }

    [Fact]
    public void Constructor_InvalidWeightOrPriority_Throws()
    {
        Assert.Throws<ArgumentException>(() => new BackendPoolChatClient([Backend("x", new Uri("http://127.0.0.1:1/v1"), weight: 0)]));
        Assert.Throws<ArgumentException>(() => new BackendPoolChatClient([Backend("x", new Uri("http://127.0.0.1:1/v1"), weight: 1001)]));
        Assert.Throws<ArgumentException>(() => new BackendPoolChatClient([Backend("x", new Uri("http://127.0.0.1:1/v1"), priority: -1)]));
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }

    /// <summary>Health checks that a loaded shared test machine cannot time out for a server that answers at once.</summary>
    private static BackendPoolOptions Lenient() => new() { HealthCheckTimeout = TimeSpan.FromSeconds(10) };

    private static RemoteBackendOptions Backend(string name, Uri endpoint, TimeSpan? timeout = null, int weight = 1, int priority = 0) =>
        new() { Name = name, Endpoint = endpoint, Model = "fake-model", Timeout = timeout, Weight = weight, Priority = priority };

    private sealed class ManualClock : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
