using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Edgewise.Server.Tests.Support;

using Microsoft.AspNetCore.Routing;

namespace Edgewise.Server.Tests.Security;

/// <summary>docs/security.md H01–H04 and H20 over loopback.</summary>
public sealed class HttpSecurityTests
{
    private const string Key = "sk-test-key-0001-long";

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    [InlineData("192.168.1.20")]
    public void Build_H01_NonLoopbackWithoutKeys_RefusesToStart(string host)
    {
        var options = LiveServer.NewOptions();
        options.Host = host;

        var error = Assert.Throws<ServerConfigurationException>(() => EdgewiseServer.Build(options));

        Assert.Contains("EDGEWISE_API_KEYS", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("x")]
    [InlineData("fifteen-chars-k")]
    public void Build_H01_ShortApiKey_NonLoopbackRefusedWithClearMessage(string key)
    {
        var options = LiveServer.NewOptions();
        options.Host = "0.0.0.0";
        options.ApiKeys.Add("a-long-enough-key-0001");
        options.ApiKeys.Add(key);

        var error = Assert.Throws<ServerConfigurationException>(() => EdgewiseServer.Build(options));

        Assert.Contains($"API key of {key.Length} characters", error.Message, StringComparison.Ordinal);
        Assert.Contains("at least 16", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("fifteen-chars-k", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Build_H01_ShortApiKeyOnLoopback_Starts()
    {
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("hi"), o => o.ApiKeys.Add("x"));

        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "x");
        using var response = await server.Client.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Build_H01_NonLoopbackWithKey_Starts()
    {
        var options = LiveServer.NewOptions();
        options.Host = "0.0.0.0";
        options.ApiKeys.Add(Key);

        await using var app = EdgewiseServer.Build(options);
        await app.StartAsync(TestContext.Current.CancellationToken);

        Assert.NotEmpty(app.Urls);
        await app.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task EveryRoute_H02_WithoutKey_Returns401ExceptLivenessAndConsoleFiles()
    {
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("hi"), o => o.ApiKeys.Add(Key));
        var endpoints = server.Service<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        Assert.True(endpoints.Count >= 6);

        foreach (var endpoint in endpoints)
        {
            var path = "/" + string.Join('/', endpoint.RoutePattern.PathSegments.Select(s => string.Concat(s.Parts.Select(p => p is Microsoft.AspNetCore.Routing.Patterns.RoutePatternLiteralPart l ? l.Content : "test"))));
            foreach (var method in endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"])
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = method == "POST" ? LiveServer.Json(LiveServer.Chat()) : null };
                using var response = await server.Client.SendAsync(request, TestContext.Current.CancellationToken);
                // The web console's static files hold no data and are public; "/console/test" is no such file.
                var expected = path is "/health/live" or "/" ? HttpStatusCode.OK : path == "/console/test" ? HttpStatusCode.NotFound : HttpStatusCode.Unauthorized;
                Assert.True(expected == response.StatusCode, $"{method} {path} answered {(int)response.StatusCode}");
            }
        }
    }

    [Fact]
    public async Task Chat_H02_WrongOrMissingKey_Returns401EnvelopeAndRightKeyPasses()
    {
        var model = ScriptedChatClient.Text("hi");
        await using var server = await LiveServer.StartAsync(model, o => o.ApiKeys.Add(Key));

        using var wrong = await server.PostChatAsync(LiveServer.Chat(), "sk-test-key-2");
        using var prefix = await server.PostChatAsync(LiveServer.Chat(), Key[..^1]);
        using var right = await server.PostChatAsync(LiveServer.Chat(), Key);

        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal("invalid_api_key", (await LiveServer.ErrorOf(wrong)).GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, prefix.StatusCode);
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        Assert.Equal(1, model.Calls);
    }

    [Fact]
    public async Task Metrics_H02_WithoutKey_Returns401ProblemDetails()
    {
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("hi"), o => o.ApiKeys.Add(Key));

        using var response = await server.Client.GetAsync("/metrics", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public void ApiKeyValidator_H02_MatchesOnlyExactKeys()
    {
        var validator = new Edgewise.Server.Security.ApiKeyValidator(["alpha", "beta"]);

        Assert.Equal(0, validator.Match("alpha"));
        Assert.Equal(1, validator.Match("beta"));
        Assert.Equal(-1, validator.Match("alph"));
        Assert.Equal(-1, validator.Match("alphaa"));
        Assert.Equal(-1, validator.Match(null));
    }

    [Fact]
    public async Task Request_H03_ForeignHostHeader_Returns403()
    {
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("hi"));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        request.Headers.Host = "evil.example";

        using var response = await server.Client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("host_not_allowed", (await LiveServer.ErrorOf(response)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Request_H03_ForeignOriginAndPreflight_Return403WithoutCorsHeaders()
    {
        var model = ScriptedChatClient.Text("hi");
        await using var server = await LiveServer.StartAsync(model);
        using var post = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = LiveServer.Json(LiveServer.Chat()) };
        post.Headers.Add("Origin", "https://evil.example");
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/v1/chat/completions");
        preflight.Headers.Add("Origin", "https://evil.example");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");

        using var postResponse = await server.Client.SendAsync(post, TestContext.Current.CancellationToken);
        using var preflightResponse = await server.Client.SendAsync(preflight, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Forbidden, postResponse.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, preflightResponse.StatusCode);
        Assert.False(postResponse.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.False(preflightResponse.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.Equal(0, model.Calls);
    }

    [Fact]
    public async Task Request_H03_ConfiguredOrigin_GetsExactOriginWithoutCredentials()
    {
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("hi"), o => o.AllowedOrigins.Add("https://app.example"));
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/v1/chat/completions");
        preflight.Headers.Add("Origin", "https://app.example");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        using var post = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = LiveServer.Json(LiveServer.Chat()) };
        post.Headers.Add("Origin", "https://app.example");

        using var preflightResponse = await server.Client.SendAsync(preflight, TestContext.Current.CancellationToken);
        using var postResponse = await server.Client.SendAsync(post, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NoContent, preflightResponse.StatusCode);
        Assert.Equal("https://app.example", Assert.Single(preflightResponse.Headers.GetValues("Access-Control-Allow-Origin")));
        Assert.Equal(HttpStatusCode.OK, postResponse.StatusCode);
        Assert.Equal("https://app.example", Assert.Single(postResponse.Headers.GetValues("Access-Control-Allow-Origin")));
        Assert.False(postResponse.Headers.Contains("Access-Control-Allow-Credentials"));
    }

    [Fact]
    public async Task Post_H04_BodyOver4MiB_Returns413()
    {
        var model = ScriptedChatClient.Text("hi");
        await using var server = await LiveServer.StartAsync(model);
        var body = LiveServer.Chat(extra: $",\"user\":\"{new string('a', 4 * 1024 * 1024)}\"");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = LiveServer.Json(body) };
        request.Headers.ExpectContinue = true;

        using var response = await server.Client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("request_too_large", (await LiveServer.ErrorOf(response)).GetProperty("code").GetString());
        Assert.Equal(0, model.Calls);
    }

    [Fact]
    public async Task Post_H04_ChunkedBodyOver4MiB_Returns413()
    {
        var model = ScriptedChatClient.Text("hi");
        await using var server = await LiveServer.StartAsync(model);
        var bytes = Encoding.UTF8.GetBytes(LiveServer.Chat(extra: $",\"user\":\"{new string('a', (4 * 1024 * 1024) + 1)}\""));
        using var content = new StreamContent(new MemoryStream(bytes));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        request.Headers.ExpectContinue = true;

        using var response = await server.Client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(0, model.Calls);
    }

    [Fact]
    public async Task Post_H04_GzipBomb_Returns413()
    {
        var model = ScriptedChatClient.Text("hi");
        await using var server = await LiveServer.StartAsync(model);
        using var compressed = new MemoryStream();
        await using (var gzip = new GZipStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            gzip.Write("{\"model\":\"test\",\"user\":\""u8);
            var zeros = new byte[1024 * 1024];
            Array.Fill(zeros, (byte)'0');
            for (var i = 0; i < 64; i++)
            {
                gzip.Write(zeros);
            }

            gzip.Write("\"}"u8);
        }

        Assert.True(compressed.Length < 512 * 1024);
        using var content = new ByteArrayContent(compressed.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        content.Headers.ContentEncoding.Add("gzip");

        using var response = await server.Client.PostAsync("/v1/chat/completions", content, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(0, model.Calls);
    }

    [Fact]
    public async Task Post_H04_SmallGzipBody_IsDecompressedAndServed()
    {
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("hi"));
        using var compressed = new MemoryStream();
        await using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(Encoding.UTF8.GetBytes(LiveServer.Chat()));
        }

        using var content = new ByteArrayContent(compressed.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        content.Headers.ContentEncoding.Add("gzip");

        using var response = await server.Client.PostAsync("/v1/chat/completions", content, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Metrics_H20_WithKey_ExposesSeriesWithoutPromptKeyOrUserLabels()
    {
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("hello ", "world"), o => o.ApiKeys.Add(Key));
        using (var chat = await server.PostChatAsync(LiveServer.Chat(extra: ",\"stream\":true,\"user\":\"alice-secret-user\""), Key))
        {
            Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        using var response = await server.Client.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("edgewise_http_requests_total{route=\"/v1/chat/completions\",method=\"POST\",status=\"200\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("edgewise_completion_tokens_total 2", text, StringComparison.Ordinal);
        Assert.Contains("edgewise_loaded_models 1", text, StringComparison.Ordinal);
        Assert.Contains("edgewise_time_to_first_token_seconds_count 1", text, StringComparison.Ordinal);
        Assert.Contains("edgewise_rejections_total{reason=\"queue_full\"} 0", text, StringComparison.Ordinal);
        Assert.DoesNotContain("alice", text, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, text, StringComparison.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#')))
        {
            // Prometheus names may hold digits after the first character (meters of tests running beside this one
            // are scraped too, e.g. edgewise_test_332d0c8e_...).
            Assert.Matches(@"^[a-z_][a-z0-9_]*(\{[a-z_][a-z0-9_]*=""[^""]*""(,[a-z_][a-z0-9_]*=""[^""]*"")*\})? -?[0-9.eE+\-]+$", line);
        }
    }

    [Fact]
    public async Task Metrics_H20_ManyRequestsToUnknownRoutes_KeepSeriesBounded()
    {
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("hi"));
        for (var i = 0; i < 50; i++)
        {
            using var _ = await server.Client.GetAsync($"/random/{i}", TestContext.Current.CancellationToken);
        }

        var text = await server.Client.GetStringAsync("/metrics", TestContext.Current.CancellationToken);

        Assert.Single(text.Split('\n'), l => l.StartsWith("edgewise_http_requests_total{route=\"unmatched\"", StringComparison.Ordinal));
        Assert.DoesNotContain("/random/", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kestrel_H10_HeaderLimitsConfigured()
    {
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("hi"));
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, server.BaseAddress.Port, TestContext.Current.CancellationToken);
        var huge = "GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + new string('a', 64 * 1024) + "\r\n\r\n";
        await socket.SendAsync(Encoding.ASCII.GetBytes(huge), TestContext.Current.CancellationToken);
        var buffer = new byte[256];
        var read = await socket.ReceiveAsync(buffer, TestContext.Current.CancellationToken);

        Assert.StartsWith("HTTP/1.1 431", Encoding.ASCII.GetString(buffer, 0, read), StringComparison.Ordinal);
    }
}
