using System.Buffers;
using System.Text.Json;
using System.Text.RegularExpressions;
using Edgewise.Server.Errors;
using Microsoft.AspNetCore.Http;

namespace Edgewise.Server.Http;

/// <summary>
/// Reads JSON request bodies: Content-Type must be JSON (415 otherwise; the Ollama routes also take a body with no
/// Content-Type at all, as Ollama does, and curl -d's form type from a client that is no browser, but never what a
/// browser form or page can send), at most the configured number of bytes after
/// decompression (413 before parsing, H04), strict JSON of depth ≤ 64 with no trailing content, valid UTF-8 and no lone
/// surrogates (400, H05–H07). The error names the offending parameter where it is known and never echoes input.
/// </summary>
internal static partial class JsonBody
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        MaxDepth = 64,
        AllowTrailingCommas = false,
        ReadCommentHandling = JsonCommentHandling.Disallow,
    };

    /// <param name="context">The request.</param>
    /// <param name="maxBytes">The largest body accepted, after decompression.</param>
    /// <param name="contentTypeOptional">
    /// True on the Ollama routes: a request without a Content-Type header is read as JSON, as Ollama reads it. A body
    /// with a type still has to be JSON, so the types a cross-site browser form or a CORS-free fetch can send
    /// (<c>application/x-www-form-urlencoded</c>, <c>multipart/form-data</c>, <c>text/plain</c>) stay refused (H05).
    /// </param>
    public static async Task<T> ReadAsync<T>(HttpContext context, long maxBytes, bool contentTypeOptional = false)
        where T : class
    {
        var request = context.Request;
        var type = request.Headers.ContentType.ToString();
        if (type.Length > 0 ? !IsJson(type) && !(contentTypeOptional && IsCurlData(type, request)) : !contentTypeOptional)
        {
            throw new ApiException(415, ErrorTypes.InvalidRequest, ErrorCodes.UnsupportedMediaType, type.Length > 0 && IsForm(type)
                ? "The Content-Type must be application/json, not a form type (curl -d sends application/x-www-form-urlencoded: add -H 'Content-Type: application/json')."
                : "The Content-Type must be application/json.");
        }

        var body = await ReadCappedAsync(request.Body, maxBytes, context.RequestAborted).ConfigureAwait(false);
        try
        {
            ValidateText(body);
            return JsonSerializer.Deserialize(body, ServerJsonContext.Info<T>(ServerJsonContext.BodyOptions))
                ?? throw ApiException.Invalid("The request body must be a JSON object.", null, ErrorCodes.InvalidJson);
        }
        catch (JsonException e)
        {
            throw ApiException.Invalid("The request body is not valid JSON for this endpoint.", ParamFrom(e.Path), ErrorCodes.InvalidJson);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            throw ApiException.Invalid("The request body contains invalid text (bad UTF-8 or a lone surrogate).", null, ErrorCodes.InvalidJson);
        }
    }

    /// <summary>
    /// Decodes every string and property name once, so invalid UTF-8 and lone surrogate escapes (which the serializer
    /// leaves inside <see cref="JsonElement"/> values until they are read) are refused up front (H06).
    /// </summary>
    private static void ValidateText(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = Options.MaxDepth, CommentHandling = JsonCommentHandling.Disallow });
        while (reader.Read())
        {
            if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName)
            {
                _ = reader.GetString();
            }
        }
    }

    internal static bool IsJson(string contentType)
    {
        var mediaType = contentType.Split(';', 2)[0].Trim();
        return mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || (mediaType.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// <c>curl -d</c> labels its body <c>application/x-www-form-urlencoded</c>, so Ollama's own curl examples arrive with
    /// that type. On the Ollama routes such a body is read as JSON when the request carries no <c>Origin</c>: every
    /// browser sends an <c>Origin</c> with a cross-site POST (form or fetch), which the origin check refuses, so a web
    /// page still cannot post to the server (H05). <c>text/plain</c> and <c>multipart/form-data</c>, which curl -d never
    /// sends, stay refused whatever the headers.
    /// </summary>
    private static bool IsCurlData(string contentType, HttpRequest request) =>
        contentType.Split(';', 2)[0].Trim().Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase)
        && !request.Headers.ContainsKey("Origin");

    private static bool IsForm(string contentType) =>
        contentType.Split(';', 2)[0].Trim().ToLowerInvariant() is "application/x-www-form-urlencoded" or "multipart/form-data" or "text/plain";

    private static async Task<byte[]> ReadCappedAsync(Stream body, long maxBytes, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            using var collected = new MemoryStream();
            while (true)
            {
                int read;
                try
                {
                    read = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                }
                catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
                {
                    throw TooLarge();
                }
                catch (InvalidDataException)
                {
                    throw ApiException.Invalid("The request body could not be decompressed.", null, ErrorCodes.InvalidJson);
                }

                if (read == 0)
                {
                    return collected.ToArray();
                }

                if (collected.Length + read > maxBytes)
                {
                    throw TooLarge();
                }

                collected.Write(buffer, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    internal static ApiException TooLarge() =>
        new(413, ErrorTypes.InvalidRequest, ErrorCodes.RequestTooLarge, "The request body is larger than the server accepts.");

    private static string? ParamFrom(string? path)
    {
        if (path is null || path.Length > 96)
        {
            return null;
        }

        var trimmed = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
        return trimmed.Length > 0 && ParamPattern().IsMatch(trimmed) ? trimmed : null;
    }

    [GeneratedRegex(@"^[a-z_][a-z0-9_]*(\[\d+\])?(\.[a-z_][a-z0-9_]*(\[\d+\])?)*$", RegexOptions.CultureInvariant)]
    private static partial Regex ParamPattern();
}
