using Microsoft.AspNetCore.Http;

namespace Edgewise.Server.Http;

/// <summary>The start of every server-sent-event stream the server writes (OpenAI chat and completions, agent runs).</summary>
internal static class SseResponse
{
    /// <summary>
    /// Sends 200 with <c>text/event-stream</c>, no caching and no proxy buffering (<c>X-Accel-Buffering: no</c>), so that
    /// each event reaches the client when it is flushed.
    /// </summary>
    public static Task StartAsync(HttpContext context)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        return response.StartAsync(context.RequestAborted);
    }
}
