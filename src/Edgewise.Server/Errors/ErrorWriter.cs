using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Edgewise.Server.Errors;

/// <summary>
/// Writes errors: the OpenAI envelope <c>{"error":{"message","type","param","code"}}</c> on <c>/v1/*</c>, Ollama's
/// <c>{"error":"...","code":"..."}</c> on <c>/api/*</c>, RFC 9457 ProblemDetails elsewhere (DESIGN §3.7).
/// </summary>
internal static class ErrorWriter
{
    public static bool IsOpenAiPath(PathString path) => path.StartsWithSegments("/v1", StringComparison.OrdinalIgnoreCase);

    public static bool IsOllamaPath(PathString path) => path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase);

    /// <summary>Writes the property <c>"error":{"message","type","param","code"}</c> of OpenAI's error envelope.</summary>
    public static void WriteOpenAiError(Utf8JsonWriter json, ApiException error)
    {
        json.WriteStartObject("error");
        json.WriteString("message", error.Message);
        json.WriteString("type", error.Type);
        if (error.Param is null)
        {
            json.WriteNull("param");
        }
        else
        {
            json.WriteString("param", error.Param);
        }

        json.WriteString("code", error.Code);
        json.WriteEndObject();
    }

    public static Task WriteAsync(HttpContext context, ApiException error)
    {
        var response = context.Response;
        response.StatusCode = error.Status;
        if (error.RetryAfter is { } retry)
        {
            response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retry.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (IsOpenAiPath(context.Request.Path))
            {
                response.ContentType = "application/json";
                WriteOpenAiError(json, error);
            }
            else if (IsOllamaPath(context.Request.Path))
            {
                response.ContentType = "application/json";
                json.WriteString("error", error.Message);
                json.WriteString("code", error.Code);
            }
            else
            {
                response.ContentType = "application/problem+json";
                json.WriteString("type", "about:blank");
                json.WriteString("title", error.Message);
                json.WriteNumber("status", error.Status);
                json.WriteString("code", error.Code);
            }

            json.WriteString("request_id", context.TraceIdentifier);
            json.WriteEndObject();
        }

        return response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted).AsTask();
    }
}
