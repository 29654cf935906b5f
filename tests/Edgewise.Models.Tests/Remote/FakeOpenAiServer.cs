using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Edgewise.Models.Tests.Remote;

/// <summary>
/// A real HTTP server on loopback that speaks the OpenAI chat-completions wire format: each POST to
/// <c>/v1/chat/completions</c> is answered by the next scripted reply (JSON, SSE chunks ending in <c>data: [DONE]</c>, a status
/// with an error body, or a stream that breaks into malformed JSON after its events); <c>GET /v1/models</c> answers with <see cref="ModelsStatus"/>.
/// </summary>
internal sealed class FakeOpenAiServer : IAsyncDisposable
{
    private readonly LoopbackServer _server;
    private readonly ConcurrentQueue<Reply> _replies = new();
    private int _chatRequests;
    private int _modelsRequests;

    public FakeOpenAiServer(params Reply[] replies)
    {
        foreach (var reply in replies)
        {
            _replies.Enqueue(reply);
        }

        _server = new LoopbackServer(HandleAsync);
    }

    public Uri Endpoint => new(_server.BaseUri, "v1");

    public int ModelsStatus { get; set; } = 200;

    public int ChatRequests => Volatile.Read(ref _chatRequests);

    public int ModelsRequests => Volatile.Read(ref _modelsRequests);

    public ConcurrentQueue<JsonElement> Bodies { get; } = new();

    public ConcurrentQueue<string?> Authorizations { get; } = new();

    public void Enqueue(Reply reply) => _replies.Enqueue(reply);

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    public static string Completion(string? text, string finish = "stop", string? toolCalls = null) =>
        "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1700000000,\"model\":\"fake-model\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
        + (text is null ? "null" : JsonSerializer.Serialize(text))
        + (toolCalls is null ? string.Empty : ",\"tool_calls\":" + toolCalls)
        + "},\"finish_reason\":\"" + finish + "\"}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,\"total_tokens\":7}}";

    public static string Chunk(string delta, string? finish = null) =>
        "{\"id\":\"chatcmpl-2\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"fake-model\",\"choices\":[{\"index\":0,\"delta\":"
        + delta + ",\"finish_reason\":" + (finish is null ? "null" : "\"" + finish + "\"") + "}]}";

    public static string UsageChunk() =>
        "{\"id\":\"chatcmpl-2\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"fake-model\",\"choices\":[],\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":3,\"total_tokens\":7}}";

    public static string TextDelta(string text) => "{\"role\":\"assistant\",\"content\":" + JsonSerializer.Serialize(text) + "}";

    private async Task HandleAsync(HttpListenerContext context, int index)
    {
        var path = context.Request.Url!.AbsolutePath;
        if (context.Request.HttpMethod == "GET" && path == "/v1/models")
        {
            Interlocked.Increment(ref _modelsRequests);
            context.Response.StatusCode = ModelsStatus;
            await WriteAsync(context, "application/json", "{\"object\":\"list\",\"data\":[{\"id\":\"fake-model\",\"object\":\"model\"}]}");
            return;
        }

        if (context.Request.HttpMethod != "POST" || path != "/v1/chat/completions")
        {
            context.Response.StatusCode = 404;
            return;
        }

        Interlocked.Increment(ref _chatRequests);
        Authorizations.Enqueue(context.Request.Headers["Authorization"]);
        using (var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8))
        {
            Bodies.Enqueue(JsonDocument.Parse(await reader.ReadToEndAsync()).RootElement.Clone());
        }

        if (!_replies.TryDequeue(out var reply))
        {
            context.Response.StatusCode = 500;
            return;
        }

        await reply.WriteAsync(context, _server.Stopping);
    }

    private static async Task WriteAsync(HttpListenerContext context, string contentType, string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        context.Response.ContentType = contentType;
        context.Response.ContentLength64 = bytes.Length;
        await context.Response.OutputStream.WriteAsync(bytes);
    }

    /// <summary>One scripted answer.</summary>
    internal abstract class Reply
    {
        public static Reply Json(string body, int status = 200) => new JsonReply(body, status);

        public static Reply Sse(params string[] events) => new SseReply(events, breakAfter: false);

        public static Reply SseThenBreak(params string[] events) => new SseReply(events, breakAfter: true);

        public static Reply SseTruncated(params string[] events) => new SseReply(events, breakAfter: null);

        public static Reply Slow(TimeSpan delay, string body) => new SlowReply(delay, body);

        public abstract Task WriteAsync(HttpListenerContext context, CancellationToken stopping);
    }

    private sealed class JsonReply(string body, int status) : Reply
    {
        public override Task WriteAsync(HttpListenerContext context, CancellationToken stopping)
        {
            context.Response.StatusCode = status;
            return FakeOpenAiServer.WriteAsync(context, "application/json", body);
        }
    }

    private sealed class SlowReply(TimeSpan delay, string body) : Reply
    {
        public override async Task WriteAsync(HttpListenerContext context, CancellationToken stopping)
        {
            await Task.Delay(delay, stopping);
            await FakeOpenAiServer.WriteAsync(context, "application/json", body);
        }
    }

    private sealed class SseReply(string[] events, bool? breakAfter) : Reply
    {
        public override async Task WriteAsync(HttpListenerContext context, CancellationToken stopping)
        {
            context.Response.ContentType = "text/event-stream";
            context.Response.SendChunked = true;
            var output = context.Response.OutputStream;
            foreach (var e in events)
            {
                await output.WriteAsync(Encoding.UTF8.GetBytes("data: " + e + "\n\n"), stopping);
                await output.FlushAsync(stopping);
            }

            if (breakAfter is null)
            {
                return;
            }

            if (breakAfter.Value)
            {
                await output.WriteAsync("data: {\"choices\":[{\"delta\":\n\n"u8.ToArray(), stopping);
                return;
            }

            await output.WriteAsync("data: [DONE]\n\n"u8.ToArray(), stopping);
        }
    }
}
