using System.Buffers;
using System.Text;
using System.Text.Json;
using Edgewise.Server.Errors;
using Microsoft.AspNetCore.Http;

namespace Edgewise.Server.Http;

/// <summary>
/// One server-sent-event response, as every streaming route writes it (OpenAI chat and completions, agent runs):
/// <c>event: NAME</c> lines where the stream names its events, <c>data: JSON</c>, <c>: keep-alive</c> comments while
/// the generation is quiet (H16), OpenAI's <c>data: [DONE]</c> terminator, and the OpenAI error envelope as an event.
/// Each event goes out as one write and one flush straight into the response's pipe. Writes follow the request's
/// cancellation token, so a client that leaves makes the next write fail and the generation stop (H13).
/// </summary>
internal sealed class SseStream(HttpContext context)
{
    private static readonly byte[] KeepAliveComment = ": keep-alive\n\n"u8.ToArray();
    private static readonly byte[] DataPrefix = "data: "u8.ToArray();
    private static readonly byte[] EventEnd = "\n\n"u8.ToArray();
    private static readonly byte[] DoneData = "[DONE]"u8.ToArray();

    private Utf8JsonWriter? _json;

    /// <summary>True once the response headers went out.</summary>
    public bool Started { get; private set; }

    public async Task StartAsync()
    {
        if (Started)
        {
            return;
        }

        Started = true;
        await SseResponse.StartAsync(context).ConfigureAwait(false);
    }

    /// <summary>Writes <c>event: NAME</c> (when given) and <c>data: JSON</c> of <paramref name="value"/>.</summary>
    public async Task WriteAsync<T>(string? name, T value)
    {
        await StartAsync().ConfigureAwait(false);
        var pipe = BeginEvent(name);
        var json = Json(pipe);
        JsonSerializer.Serialize(json, value, ServerJsonContext.Info<T>(ServerJsonContext.BodyOptions));
        json.Flush();
        pipe.Write(EventEnd);
        await FlushAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Writes <paramref name="error"/> as an event in the OpenAI envelope, <c>{"error":{"message","type","param","code"}}</c>,
    /// the same object a request that fails before streaming gets as its body.
    /// </summary>
    public async Task WriteErrorAsync(string? name, ApiException error)
    {
        await StartAsync().ConfigureAwait(false);
        var pipe = BeginEvent(name);
        var json = Json(pipe);
        json.WriteStartObject();
        ErrorWriter.WriteOpenAiError(json, error);
        json.WriteEndObject();
        json.Flush();
        pipe.Write(EventEnd);
        await FlushAsync().ConfigureAwait(false);
    }

    /// <summary>Writes <c>data: [DONE]</c>, the end marker of OpenAI streams.</summary>
    public async Task DoneAsync()
    {
        await StartAsync().ConfigureAwait(false);
        var pipe = BeginEvent(null);
        pipe.Write(DoneData);
        pipe.Write(EventEnd);
        await FlushAsync().ConfigureAwait(false);
    }

    /// <summary>Writes a <c>: keep-alive</c> comment, which clients ignore and proxies see as traffic (H16).</summary>
    public async Task KeepAliveAsync()
    {
        await StartAsync().ConfigureAwait(false);
        context.Response.BodyWriter.Write(KeepAliveComment);
        await FlushAsync().ConfigureAwait(false);
    }

    private System.IO.Pipelines.PipeWriter BeginEvent(string? name)
    {
        var pipe = context.Response.BodyWriter;
        if (name is not null)
        {
            pipe.Write("event: "u8);
            pipe.Write(Encoding.UTF8.GetBytes(name));
            pipe.Write("\n"u8);
        }

        pipe.Write(DataPrefix);
        return pipe;
    }

    private Utf8JsonWriter Json(System.IO.Pipelines.PipeWriter pipe)
    {
        if (_json is null)
        {
            _json = new Utf8JsonWriter(pipe, new JsonWriterOptions { Encoder = JsonBody.Options.Encoder, SkipValidation = true });
        }
        else
        {
            _json.Reset(pipe);
        }

        return _json;
    }

    private async Task FlushAsync()
    {
        // A client that left completes the pipe and fires RequestAborted, which the generation's token follows; the
        // next flush with the cancelled token throws.
        await context.Response.BodyWriter.FlushAsync(context.RequestAborted).ConfigureAwait(false);
        context.RequestAborted.ThrowIfCancellationRequested();
    }
}
