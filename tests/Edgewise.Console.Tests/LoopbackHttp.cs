using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Edgewise.Console.Tests;

/// <summary>A real HTTP server on 127.0.0.1 and a free port; each request goes to the handler.</summary>
internal sealed class LoopbackHttp : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Func<HttpListenerContext, Task> _handler;
    private readonly Task _loop;

    public LoopbackHttp(Func<HttpListenerContext, Task> handler)
    {
        _handler = handler;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        BaseUri = new Uri($"http://127.0.0.1:{Port}/");
        _listener.Prefixes.Add(BaseUri.AbsoluteUri);
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }

    public Uri BaseUri { get; }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        try
        {
            await _loop;
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(async () =>
            {
                try
                {
                    await _handler(context);
                }
                catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException)
                {
                    // The client left.
                }
                finally
                {
                    try
                    {
                        context.Response.Close();
                    }
                    catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                    {
                    }
                }
            });
        }
    }

    /// <summary>
    /// A scripted OpenAI-compatible chat backend for the agent's model: a user message asking to buy gets a
    /// <c>place_order</c> tool call; the turn after a tool result, and any other message, get a fixed answer that
    /// contains HTML. JSON or SSE, as the request asks.
    /// </summary>
    public static LoopbackHttp ScriptedOpenAi(string answerAfterTool, string plainAnswer) => new(async context =>
    {
        var response = context.Response;
        if (context.Request.HttpMethod == "GET")
        {
            await WriteAsync(response, "application/json", """{"object":"list","data":[{"id":"scripted","object":"model"}]}""");
            return;
        }

        using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
        var request = JsonNode.Parse(await reader.ReadToEndAsync())!;
        var messages = request["messages"]!.AsArray();
        var last = messages[^1]!;
        var role = last["role"]!.GetValue<string>();
        var content = last["content"]?.ToString() ?? string.Empty;
        var stream = request["stream"]?.GetValue<bool>() == true;
        JsonObject message;
        string finish;
        if (role == "user" && content.Contains("buy", StringComparison.OrdinalIgnoreCase))
        {
            message = new JsonObject
            {
                ["role"] = "assistant",
                ["content"] = null,
                ["tool_calls"] = new JsonArray(new JsonObject
                {
                    ["index"] = 0,
                    ["id"] = "call_" + Guid.NewGuid().ToString("N")[..8],
                    ["type"] = "function",
                    ["function"] = new JsonObject { ["name"] = "place_order", ["arguments"] = """{"product":"SKU-100","quantity":2}""" },
                }),
            };
            finish = "tool_calls";
        }
        else
        {
            message = new JsonObject { ["role"] = "assistant", ["content"] = role == "tool" ? answerAfterTool : plainAnswer };
            finish = "stop";
        }

        var usage = new JsonObject { ["prompt_tokens"] = 10, ["completion_tokens"] = 5, ["total_tokens"] = 15 };
        if (!stream)
        {
            var body = new JsonObject
            {
                ["id"] = "chatcmpl-1", ["object"] = "chat.completion", ["created"] = 0, ["model"] = "scripted",
                ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["message"] = message, ["finish_reason"] = finish }),
                ["usage"] = usage,
            };
            await WriteAsync(response, "application/json", body.ToJsonString());
            return;
        }

        response.ContentType = "text/event-stream";
        response.SendChunked = true;
        var delta = message.DeepClone().AsObject();
        var chunks = new[]
        {
            Chunk(delta, null, null),
            Chunk(new JsonObject(), finish, null),
            Chunk(null, null, usage),
        };
        foreach (var chunk in chunks)
        {
            var bytes = Encoding.UTF8.GetBytes("data: " + chunk.ToJsonString() + "\n\n");
            await response.OutputStream.WriteAsync(bytes);
            await response.OutputStream.FlushAsync();
        }

        await response.OutputStream.WriteAsync("data: [DONE]\n\n"u8.ToArray());
    });

    private static JsonObject Chunk(JsonObject? delta, string? finish, JsonObject? usage) => new()
    {
        ["id"] = "chatcmpl-1", ["object"] = "chat.completion.chunk", ["created"] = 0, ["model"] = "scripted",
        ["choices"] = delta is null ? new JsonArray() : new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = finish }),
        ["usage"] = usage?.DeepClone(),
    };

    /// <summary>A model hub that serves <paramref name="file"/> for every GGUF path, in slices with pauses so progress can be seen.</summary>
    public static LoopbackHttp Hub(string file, int sliceBytes, TimeSpan pause) => new(async context =>
    {
        var response = context.Response;
        if (!context.Request.Url!.AbsolutePath.EndsWith(".gguf", StringComparison.Ordinal))
        {
            response.StatusCode = 404;
            return;
        }

        var bytes = await File.ReadAllBytesAsync(file);
        response.ContentType = "application/octet-stream";
        response.ContentLength64 = bytes.Length;
        if (context.Request.HttpMethod == "HEAD")
        {
            return;
        }

        for (var offset = 0; offset < bytes.Length; offset += sliceBytes)
        {
            await response.OutputStream.WriteAsync(bytes.AsMemory(offset, Math.Min(sliceBytes, bytes.Length - offset)));
            await response.OutputStream.FlushAsync();
            await Task.Delay(pause);
        }
    });

    private static async Task WriteAsync(HttpListenerResponse response, string type, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        response.ContentType = type;
        response.ContentLength64 = bytes.Length;
        await response.OutputStream.WriteAsync(bytes);
    }
}
