using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;

namespace Edgewise.Server.WebConsole;

/// <summary>
/// Serves the web console: <c>GET /</c> is its page, <c>GET /console/NAME</c> its scripts and styles, all embedded in
/// this assembly. These files are public (they hold no data and no key); what the console shows comes from the API
/// routes with the caller's key. Every answer carries a strict Content-Security-Policy (scripts and styles only from
/// this origin, no inline code, no framing), sets no cookie, and is revalidated by ETag; gzip when the client accepts it.
/// </summary>
internal static class ConsoleEndpoints
{
    /// <summary>The path prefix of the console's files.</summary>
    public const string AssetPrefix = "/console/";

    /// <summary>The policy on every console answer.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; "
        + "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public static IEndpointRouteBuilder MapConsole(this IEndpointRouteBuilder app)
    {
        app.MapMethods("/", ["GET", "HEAD"], context => ServeAsync(context, "index.html"));
        app.MapMethods(AssetPrefix + "{name}", ["GET", "HEAD"], (HttpContext context, string name) => ServeAsync(context, name));
        return app;
    }

    /// <summary>True for the routes of the console's files and of the approvals list its badge polls (kept out of request statistics).</summary>
    public static bool IsConsoleRoute(string route) => route is "/" or AssetPrefix + "{name}" or "/v1/approvals";

    /// <summary>True for a request of a console file, which needs no API key (the data behind it does).</summary>
    public static bool IsPublicFile(ServerOptions options, HttpRequest request) =>
        options.Console
        && (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
        && (request.Path.Value is "/" || (request.Path.StartsWithSegments("/console", StringComparison.Ordinal) && request.Path.Value!.Length > AssetPrefix.Length));

    private static async Task ServeAsync(HttpContext context, string name)
    {
        var response = context.Response;
        var asset = ConsoleAssets.Embedded.Find(name);
        SetSecurityHeaders(response);
        if (asset is null)
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            response.ContentType = "text/plain; charset=utf-8";
            response.ContentLength = 10;
            await response.WriteAsync("Not found\n", context.RequestAborted).ConfigureAwait(false);
            return;
        }

        var headers = response.Headers;
        headers.ETag = asset.ETag;
        headers.CacheControl = "no-cache";
        headers.Vary = "Accept-Encoding";
        if (context.Request.Headers.IfNoneMatch.Any(v => v is not null && v.Split(',').Any(tag => tag.Trim() == asset.ETag || tag.Trim() == "*")))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        var body = asset.Content;
        if (asset.Gzipped is { } gzipped && AcceptsGzip(context.Request))
        {
            headers.ContentEncoding = "gzip";
            body = gzipped;
        }

        response.ContentType = asset.ContentType;
        response.ContentLength = body.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
        }
    }

    private static void SetSecurityHeaders(HttpResponse response)
    {
        var headers = response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers["Cross-Origin-Resource-Policy"] = "same-origin";
    }

    private static bool AcceptsGzip(HttpRequest request)
    {
        foreach (var value in request.Headers.AcceptEncoding)
        {
            if (value is null)
            {
                continue;
            }

            foreach (var part in value.Split(','))
            {
                if (StringWithQualityHeaderValue.TryParse(part.Trim(), out var coding)
                    && coding.Value.Equals("gzip", StringComparison.OrdinalIgnoreCase) && (coding.Quality ?? 1) > 0)
                {
                    return true;
                }
            }
        }

        return false;
    }
}
