using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using Edgewise.Server.Telemetry;
using Edgewise.Server.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;

namespace Edgewise.Server.Tests.Telemetry;

public sealed class TracingTests
{
    private const string Prompt = "my secret prompt text";
    private const string Output = "confidential answer";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ChatRequest_Traced_HasServerSpanAndGenAiChildSpanWithoutContent(bool stream)
    {
        var finished = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == EdgewiseActivitySource.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = finished.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        await using var server = await LiveServer.StartAsync(new ScriptedChatClient((_, _, ct) => Answer(ct)));
        var trace = ActivityTraceId.CreateRandom();
        var caller = ActivitySpanId.CreateRandom();
        var body = $$"""{"model":"test","messages":[{"role":"user","content":"{{Prompt}}"}],"max_tokens":7,"temperature":0.5,"top_p":0.9,"stream":{{(stream ? "true" : "false")}}}""";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = LiveServer.Json(body) };
        request.Headers.Add("traceparent", $"00-{trace}-{caller}-01");

        var response = await server.Client.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Contains(Output, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        await LiveServer.WaitUntilAsync(() => finished.Count(a => a.TraceId == trace) >= 2);

        var spans = finished.Where(a => a.TraceId == trace).ToList();
        var http = Assert.Single(spans, a => a.Kind == ActivityKind.Server);
        var chat = Assert.Single(spans, a => a.OperationName == "chat test");
        Assert.Equal(caller, http.ParentSpanId);
        Assert.Equal("POST /v1/chat/completions", http.DisplayName);
        Assert.Equal("POST", http.GetTagItem("http.request.method"));
        Assert.Equal("/v1/chat/completions", http.GetTagItem("http.route"));
        Assert.Equal(200, http.GetTagItem("http.response.status_code"));
        Assert.Equal(http.SpanId, chat.ParentSpanId);
        Assert.Equal("chat", chat.GetTagItem("gen_ai.operation.name"));
        Assert.Equal("edgewise", chat.GetTagItem("gen_ai.provider.name"));
        Assert.Equal("test", chat.GetTagItem("gen_ai.request.model"));
        Assert.Equal(7, chat.GetTagItem("gen_ai.request.max_tokens"));
        Assert.Equal(0.5, (double)chat.GetTagItem("gen_ai.request.temperature")!, 3);
        Assert.Equal(0.9, (double)chat.GetTagItem("gen_ai.request.top_p")!, 3);
        Assert.Equal("resp-42", chat.GetTagItem("gen_ai.response.id"));
        Assert.Equal(new[] { "stop" }, chat.GetTagItem("gen_ai.response.finish_reasons"));
        Assert.Equal(11L, chat.GetTagItem("gen_ai.usage.input_tokens"));
        Assert.Equal(2L, chat.GetTagItem("gen_ai.usage.output_tokens"));
        foreach (var tag in spans.SelectMany(s => s.TagObjects))
        {
            var value = tag.Value is string[] list ? string.Join(",", list) : Convert.ToString(tag.Value, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;
            Assert.DoesNotContain("secret", value, StringComparison.Ordinal);
            Assert.DoesNotContain("confidential", value, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task OtlpEndpoint_Configured_PostsProtobufSpansToTheCollector()
    {
        var bodies = new ConcurrentQueue<(string Path, string? ContentType, byte[] Body)>();
        await using var collector = await StartCollectorAsync(bodies);
        var address = new Uri(collector.Urls.First());
        await using var server = await LiveServer.StartAsync(new ScriptedChatClient((_, _, ct) => Answer(ct)), o =>
        {
            o.Telemetry.OtlpEndpoint = address;
            o.Telemetry.ServiceName = "edgewise-otlp-test";
            o.Telemetry.ExportInterval = TimeSpan.FromMilliseconds(100);
        });
        var body = $$"""{"model":"test","messages":[{"role":"user","content":"{{Prompt}}"}],"max_tokens":7}""";
        (await server.PostChatAsync(body)).EnsureSuccessStatusCode();

        // The model-call span ends before its request span, so the two may leave in different export batches.
        await LiveServer.WaitUntilAsync(() =>
            bodies.Any(b => Has(b.Body, "edgewise-otlp-test") && Has(b.Body, "chat test"))
            && bodies.Any(b => Has(b.Body, "POST /v1/chat/completions")));

        var sent = bodies.First(b => Has(b.Body, "edgewise-otlp-test") && Has(b.Body, "chat test"));
        Assert.Equal("/v1/traces", sent.Path);
        Assert.Equal("application/x-protobuf", sent.ContentType);
        Assert.True(Has(sent.Body, "gen_ai.request.model"));
        Assert.True(Has(sent.Body, "gen_ai.usage.output_tokens"));
        Assert.All(bodies, b =>
        {
            Assert.Equal("/v1/traces", b.Path);
            Assert.False(Has(b.Body, Prompt));
            Assert.False(Has(b.Body, Output));
        });
    }

    [Fact]
    public void ResolveEndpoint_OptionOrEnvironment_AppendsTracesPath()
    {
        var options = new TelemetryOptions();
        Assert.Null(OtlpTraceExport.ResolveEndpoint(options, _ => null));
        Assert.Equal("http://collector:4318/v1/traces", OtlpTraceExport.ResolveEndpoint(options, _ => "http://collector:4318")!.ToString());
        options.OtlpEndpoint = new Uri("http://127.0.0.1:9999/otel/");
        Assert.Equal("http://127.0.0.1:9999/otel/v1/traces", OtlpTraceExport.ResolveEndpoint(options, _ => "http://ignored:1")!.ToString());
        options.OtlpEndpoint = new Uri("http://127.0.0.1:9999/v1/traces");
        Assert.Equal("http://127.0.0.1:9999/v1/traces", OtlpTraceExport.ResolveEndpoint(options, _ => null)!.ToString());
        Assert.Equal("edgewise", OtlpTraceExport.ResolveServiceName(new TelemetryOptions(), _ => null));
        Assert.Equal("from-env", OtlpTraceExport.ResolveServiceName(new TelemetryOptions(), _ => "from-env"));
    }

    private static bool Has(byte[] body, string text) => body.AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0;

    private static async Task<WebApplication> StartCollectorAsync(ConcurrentQueue<(string, string?, byte[])> bodies)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapPost("/{**path}", async (HttpContext context) =>
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer);
            bodies.Enqueue((context.Request.Path.Value ?? string.Empty, context.Request.ContentType, buffer.ToArray()));
            return Results.Ok();
        });
        await app.StartAsync();
        return app;
    }

    private static async IAsyncEnumerable<ChatResponseUpdate> Answer([EnumeratorCancellation] CancellationToken ct)
    {
        await Task.Yield();
        ct.ThrowIfCancellationRequested();
        yield return new ChatResponseUpdate(ChatRole.Assistant, Output) { ResponseId = "resp-42", ModelId = "test" };
        yield return new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(new UsageDetails { InputTokenCount = 11, OutputTokenCount = 2, TotalTokenCount = 13 })])
        {
            ResponseId = "resp-42",
            FinishReason = ChatFinishReason.Stop,
        };
    }
}
