using System.Net;
using System.Net.Sockets;
using System.Text;
using Edgewise.Models.Management;
using Edgewise.Server.Tests.Support;

namespace Edgewise.Server.Tests.Security;

/// <summary>docs/security.md H05–H09 and H18: bad bodies get fixed 4xx errors that name the parameter; nothing reaches the model.</summary>
public sealed class RequestValidationTests
{
    public static TheoryData<string, string?> MalformedBodies => new()
    {
        { "{\"model\":\"test\",", null },
        { "{\"model\":\"test\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]} trailing", null },
        { "{\"model\":\"test\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],}", null },
        { "[1,2,3]", null },
        { "null", null },
        { "{\"model\":\"test\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"x\":" + new string('[', 70) + new string(']', 70) + "}", null },
        { "{\"model\":\"test\",\"messages\":\"hi\"}", "messages" },
        { "{\"model\":7,\"messages\":[]}", "model" },
    };

    [Theory]
    [MemberData(nameof(MalformedBodies))]
    public async Task Post_H05_MalformedJson_Returns400InvalidRequest(string body, string? param)
    {
        var model = ScriptedChatClient.Text("hi");
        await using var server = await LiveServer.StartAsync(model);

        using var response = await server.PostChatAsync(body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await LiveServer.ErrorOf(response);
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        if (param is not null)
        {
            Assert.Equal(param, error.GetProperty("param").GetString());
        }

        Assert.Equal(0, model.Calls);
    }

    [Fact]
    public async Task Post_H05_WrongContentType_Returns415()
    {
        var model = ScriptedChatClient.Text("hi");
        await using var server = await LiveServer.StartAsync(model);

        using var response = await server.Client.PostAsync("/v1/chat/completions", new StringContent(LiveServer.Chat(), Encoding.UTF8, "text/plain"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("unsupported_media_type", (await LiveServer.ErrorOf(response)).GetProperty("code").GetString());
        Assert.Equal(0, model.Calls);
    }

    [Theory]
    [InlineData(new byte[] { 0xC3, 0x28 })]
    [InlineData(new byte[] { 0xFF, 0xFE })]
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })]
    public async Task Post_H06_InvalidUtf8_Returns400(byte[] bad)
    {
        var model = ScriptedChatClient.Text("hi");
        await using var server = await LiveServer.StartAsync(model);
        byte[] body = [.. "{\"model\":\"test\",\"messages\":[{\"role\":\"user\",\"content\":\""u8, .. bad, .. "\"}]}"u8];

        var (status, text) = await RawPostAsync(server, body);

        Assert.Equal(400, status);
        ErrorAssert.NoLeak(text);
        Assert.Equal(0, model.Calls);
    }

    [Theory]
    [InlineData("\\ud800")]
    [InlineData("a\\udfffb")]
    public async Task Post_H06_LoneSurrogateEscape_Returns400(string escaped)
    {
        var model = ScriptedChatClient.Text("hi");
        await using var server = await LiveServer.StartAsync(model);

        using var response = await server.PostChatAsync("{\"model\":\"test\",\"messages\":[{\"role\":\"user\",\"content\":\"" + escaped + "\"}]}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await LiveServer.ErrorOf(response);
        Assert.Equal(0, model.Calls);
    }

    [Theory]
    [InlineData(",\"stream\":\"true\"", "stream")]
    [InlineData(",\"max_tokens\":-1", "max_tokens")]
    [InlineData(",\"max_tokens\":0", "max_tokens")]
    [InlineData(",\"max_tokens\":1e9", "max_tokens")]
    [InlineData(",\"max_tokens\":1000000000", "max_tokens")]
    [InlineData(",\"max_completion_tokens\":4097", "max_completion_tokens")]
    [InlineData(",\"temperature\":NaN", null)]
    [InlineData(",\"temperature\":\"NaN\"", "temperature")]
    [InlineData(",\"temperature\":2.5", "temperature")]
    [InlineData(",\"top_p\":1.5", "top_p")]
    [InlineData(",\"n\":1000000", "n")]
    [InlineData(",\"top_logprobs\":1000", "top_logprobs")]
    [InlineData(",\"logit_bias\":{\"999999\":5}", "logit_bias")]
    [InlineData(",\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]", "stop")]
    [InlineData(",\"stop\":[1]", "stop")]
    [InlineData(",\"seed\":\"x\"", "seed")]
    [InlineData(",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"bad name!\"}}]", "tools[0].function.name")]
    [InlineData(",\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"missing\"}}", "tool_choice")]
    [InlineData(",\"response_format\":{\"type\":\"xml\"}", "response_format.type")]
    [InlineData(",\"response_format\":{\"type\":\"json_schema\"}", "response_format.json_schema.schema")]
    [InlineData(",\"stream_options\":{\"include_usage\":true}", "stream_options")]
    public async Task Post_H07_TypeAndRangeAbuse_Returns400NamingParam(string extra, string? param)
    {
        var model = ScriptedChatClient.Text("hi");
        await using var server = await LiveServer.StartAsync(model);

        using var response = await server.PostChatAsync(LiveServer.Chat(extra: extra));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await LiveServer.ErrorOf(response);
        if (param is not null)
        {
            Assert.Equal(param, error.GetProperty("param").GetString());
        }

        Assert.Equal(0, model.Calls);
    }

    [Theory]
    [InlineData("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", "model")]
    [InlineData("{\"model\":\"test\",\"messages\":[]}", "messages")]
    [InlineData("{\"model\":\"test\",\"messages\":[{\"role\":\"wizard\",\"content\":\"hi\"}]}", "messages[0].role")]
    [InlineData("{\"model\":\"test\",\"messages\":[{\"role\":\"user\"}]}", "messages[0].content")]
    [InlineData("{\"model\":\"test\",\"messages\":[{\"role\":\"tool\",\"content\":\"x\"}]}", "messages[0].tool_call_id")]
    [InlineData("{\"model\":\"test\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"file:///etc/passwd\"}}]}]}", "messages[0].content")]
    [InlineData("{\"model\":\"test\",\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{not json\"}}]}]}", "messages[0].tool_calls[0].function.arguments")]
    public async Task Post_H07_InvalidMessages_Returns400NamingParam(string body, string param)
    {
        var model = ScriptedChatClient.Text("hi");
        await using var server = await LiveServer.StartAsync(model);

        using var response = await server.PostChatAsync(body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(param, (await LiveServer.ErrorOf(response)).GetProperty("param").GetString());
        Assert.Equal(0, model.Calls);
    }

    [Fact]
    public async Task Post_H07_RandomJson_NeverAnswers5xx()
    {
        var model = ScriptedChatClient.Text("hi");
        await using var server = await LiveServer.StartAsync(model);
        var random = new Random(1234);
        string[] fields = ["model", "messages", "stream", "max_tokens", "temperature", "top_p", "n", "stop", "seed", "tools", "tool_choice", "response_format", "stream_options", "role", "content"];
        string[] values = ["null", "true", "-1", "1e308", "\"\"", "\"test\"", "[]", "{}", "[{\"role\":\"user\",\"content\":\"x\"}]", "[null]", "{\"type\":\"json_schema\"}", "0.5", "99999999999999999999"];

        for (var i = 0; i < 60; i++)
        {
            var parts = Enumerable.Range(0, random.Next(1, 6)).Select(_ => $"\"{fields[random.Next(fields.Length)]}\":{values[random.Next(values.Length)]}").Distinct();
            using var response = await server.PostChatAsync("{" + string.Join(',', parts) + "}");
            Assert.True((int)response.StatusCode < 500, $"status {(int)response.StatusCode}");
            ErrorAssert.NoLeak(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }
    }

    [Fact]
    public async Task Post_H08_PromptLongerThanContext_Returns400ContextLengthExceeded()
    {
        await using var server = await LiveServer.StartRealAsync("phi4", "ref-phi4-Q8_0.gguf", new ModelSettings { ContextLength = 256 });
        var prompt = string.Join(' ', Enumerable.Repeat("hello world", 300));

        using var response = await server.PostChatAsync($$"""{"model":"phi4","messages":[{"role":"user","content":"{{prompt}}"}],"max_tokens":4}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await LiveServer.ErrorOf(response);
        Assert.Equal("context_length_exceeded", error.GetProperty("code").GetString());
        Assert.Equal("messages", error.GetProperty("param").GetString());
        Assert.Contains("256", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_H08_PromptLongerThanContextStreaming_Returns400BeforeStreamStarts()
    {
        await using var server = await LiveServer.StartRealAsync("phi4", "ref-phi4-Q8_0.gguf", new ModelSettings { ContextLength = 256 });
        var prompt = string.Join(' ', Enumerable.Repeat("hello world", 300));

        using var response = await server.PostChatAsync($$"""{"model":"phi4","stream":true,"messages":[{"role":"user","content":"{{prompt}}"}]}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("context_length_exceeded", (await LiveServer.ErrorOf(response)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Post_H08_MaxTokensReached_FinishReasonLength()
    {
        await using var server = await LiveServer.StartRealAsync("phi4", "ref-phi4-Q8_0.gguf", new ModelSettings { ContextLength = 256 });

        using var response = await server.PostChatAsync("""{"model":"phi4","messages":[{"role":"user","content":"hello"}],"max_tokens":2,"temperature":0}""");
        var body = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("length", body.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal(2, body.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Theory]
    [InlineData("missing-model")]
    [InlineData("../../etc/passwd")]
    public async Task Post_H09_UnknownModel_Returns404ModelNotFound(string name)
    {
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("hi"));

        using var response = await server.PostChatAsync(LiveServer.Chat(name));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var error = await LiveServer.ErrorOf(response);
        Assert.Equal("model_not_found", error.GetProperty("code").GetString());
        Assert.Equal("model", error.GetProperty("param").GetString());
        Assert.DoesNotContain(name, error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_H09_ModelStillLoading_Returns503RetryAfterAndReadiness503()
    {
        var gate = new TaskCompletionSource();
        await using var server = await LiveServer.StartAsync(
            new Dictionary<string, Microsoft.Extensions.AI.IChatClient> { ["test"] = ScriptedChatClient.Text("hi") },
            o => o.ModelManager = new ModelManagerOptions { LoadWaitTimeout = TimeSpan.FromMilliseconds(200) },
            gate.Task);

        var first = server.PostChatAsync(LiveServer.Chat());
        await server.Loader!.LoadStarted.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        using var ready = await server.Client.GetAsync("/health/ready", TestContext.Current.CancellationToken);
        using var second = await server.PostChatAsync(LiveServer.Chat());
        gate.SetResult();
        using var firstResponse = await first;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, second.StatusCode);
        Assert.NotNull(second.Headers.RetryAfter);
        Assert.Equal("model_loading", (await LiveServer.ErrorOf(second)).GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.OK, firstResponse.StatusCode);
    }

    [Fact]
    public async Task Post_H18_ModelThrows_Returns500WithFixedMessage()
    {
        var model = new ScriptedChatClient((_, _, _) => Throw());
        await using var server = await LiveServer.StartAsync(model);

        using var response = await server.PostChatAsync(LiveServer.Chat());

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var error = await LiveServer.ErrorOf(response);
        Assert.Equal("server_error", error.GetProperty("type").GetString());
        Assert.DoesNotContain("secret", error.GetRawText(), StringComparison.Ordinal);

        static async IAsyncEnumerable<Microsoft.Extensions.AI.ChatResponseUpdate> Throw()
        {
            await Task.Yield();
            throw new IOException("/home/user/secret/model.gguf exploded");
#pragma warning disable CS0162
            yield break;
#pragma warning restore CS0162
        }
    }

    [Theory]
    [InlineData("/nowhere")]
    [InlineData("/v1/nowhere")]
    public async Task Get_H18_UnknownRoute_Returns404WithoutReflectingPath(string path)
    {
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("hi"));

        using var response = await server.Client.GetAsync(path + "/%3Cscript%3E", TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain("script", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("nowhere", text, StringComparison.Ordinal);
        ErrorAssert.NoLeak(text);
    }

    private static async Task<(int Status, string Body)> RawPostAsync(LiveServer server, byte[] body)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, server.BaseAddress.Port, TestContext.Current.CancellationToken);
        var stream = client.GetStream();
        var head = $"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), TestContext.Current.CancellationToken);
        await stream.WriteAsync(body, TestContext.Current.CancellationToken);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var response = await reader.ReadToEndAsync(TestContext.Current.CancellationToken);
        var status = int.Parse(response.AsSpan(9, 3), provider: System.Globalization.CultureInfo.InvariantCulture);
        return (status, response[(response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]);
    }
}
