using System.Diagnostics;
using Edgewise.Server.Admission;
using Edgewise.Server.WebConsole;
using Edgewise.Server.Errors;
using Edgewise.Server.Health;
using Edgewise.Server.Hosting;
using Edgewise.Server.Metrics;
using Edgewise.Server.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Edgewise.Server.Http;

/// <summary>
/// The middleware every request passes, in order: Host allow-list (403, H03), Origin check and exact-origin CORS
/// (403 for foreign origins, H03), draining (503 during shutdown, S01), API key (401, H02; only <c>/health/live</c>
/// and the console's static files are exempt), declared body size (413 before reading, H04). It turns <see cref="ApiException"/>s and unexpected
/// failures into fixed error bodies (H18), counts client cancellations and records per-route metrics.
/// </summary>
internal sealed partial class RequestGuard(ServerOptions options, HostPolicy hosts, ApiKeyValidator keys, ServerState state, ServerMetrics metrics, ILogger<RequestGuard> logger)
{
    private const string KeyItem = "edgewise.key";

    /// <summary>The header that asks for batch scheduling.</summary>
    public const string PriorityHeader = "X-Edgewise-Priority";

    /// <summary>The index of the caller's API key, or null when keys are off.</summary>
    public static int? KeyOf(HttpContext context) => context.Items.TryGetValue(KeyItem, out var key) ? (int?)key : null;

    /// <summary>The request's <see cref="PriorityHeader"/>: <c>interactive</c> (default) or <c>batch</c>; anything else is a 400.</summary>
    public static RequestPriority PriorityOf(HttpContext? context)
    {
        var values = context?.Request.Headers[PriorityHeader] ?? default;
        if (values.Count == 0)
        {
            return RequestPriority.Interactive;
        }

        return values.Count == 1 && values[0] is { } value
            ? value.Trim().ToUpperInvariant() switch
            {
                "INTERACTIVE" => RequestPriority.Interactive,
                "BATCH" => RequestPriority.Batch,
                _ => throw ApiException.Invalid("X-Edgewise-Priority must be interactive or batch.", null),
            }
            : throw ApiException.Invalid("X-Edgewise-Priority must be interactive or batch.", null);
    }

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var started = Stopwatch.GetTimestamp();
        var tracked = !context.Request.Path.StartsWithSegments("/health", StringComparison.OrdinalIgnoreCase);
        if (tracked)
        {
            state.RequestStarted(context);
        }

        try
        {
            await GuardAsync(context, next).ConfigureAwait(false);
            if (!context.Response.HasStarted && context.Response.StatusCode is 404 or 405 && context.Response.ContentLength is null)
            {
                await ErrorWriter.WriteAsync(context, context.Response.StatusCode == 404
                    ? new ApiException(404, ErrorTypes.NotFound, ErrorCodes.NotFound, "No such route.")
                    : new ApiException(405, ErrorTypes.InvalidRequest, ErrorCodes.MethodNotAllowed, "The method is not allowed on this route.")).ConfigureAwait(false);
            }
        }
        catch (ApiException e) when (!context.Response.HasStarted)
        {
            if (e.Status == 413)
            {
                metrics.RecordRejection(RejectionReason.TooLarge);
            }

            await ErrorWriter.WriteAsync(context, e).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e) when (!context.Response.HasStarted)
        {
            await ErrorWriter.WriteAsync(context, e.StatusCode == 413 ? JsonBody.TooLarge() : ApiException.Invalid("The request is malformed.", null)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            metrics.RecordCancellation();
            LogCancelled(logger, context.TraceIdentifier);
        }
        catch (Exception e)
        {
            LogFailed(logger, context.TraceIdentifier, e);
            if (context.Response.HasStarted)
            {
                context.Abort();
            }
            else
            {
                context.Response.Clear();
                await ErrorWriter.WriteAsync(context, new ApiException(500, ErrorTypes.Server, ErrorCodes.ServerError, "The server had an error while processing the request.")).ConfigureAwait(false);
            }
        }
        finally
        {
            if (tracked)
            {
                state.RequestEnded(context);
            }

            var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
            metrics.RecordRequest(route, context.Request.Method, context.Response.StatusCode, Stopwatch.GetElapsedTime(started));
        }
    }

    private async Task GuardAsync(HttpContext context, RequestDelegate next)
    {
        var request = context.Request;
        if (!hosts.IsHostAllowed(request.Host.Value))
        {
            metrics.RecordRejection(RejectionReason.HostNotAllowed);
            throw new ApiException(403, ErrorTypes.Permission, ErrorCodes.HostNotAllowed, "The Host header is not allowed.");
        }

        var origin = request.Headers.Origin.ToString();
        if (origin.Length > 0)
        {
            if (!hosts.IsOriginAllowed(origin, request.Host.Value, request.Scheme))
            {
                throw new ApiException(403, ErrorTypes.Permission, ErrorCodes.OriginNotAllowed, "Cross-origin requests from this origin are not allowed.");
            }

            if (hosts.IsCorsOrigin(origin))
            {
                context.Response.Headers.AccessControlAllowOrigin = origin;
                context.Response.Headers.Vary = "Origin";
                if (HttpMethods.IsOptions(request.Method) && request.Headers.AccessControlRequestMethod.Count > 0)
                {
                    context.Response.Headers.AccessControlAllowMethods = "GET, POST, OPTIONS";
                    context.Response.Headers.AccessControlAllowHeaders = "Authorization, Content-Type";
                    context.Response.Headers.AccessControlMaxAge = "600";
                    context.Response.StatusCode = StatusCodes.Status204NoContent;
                    return;
                }
            }
        }

        var isLive = request.Path.Equals(HealthEndpoints.LivePath, StringComparison.OrdinalIgnoreCase);
        if (state.Draining && !request.Path.StartsWithSegments("/health", StringComparison.OrdinalIgnoreCase))
        {
            metrics.RecordRejection(RejectionReason.Draining);
            throw ApiException.Busy(ErrorCodes.ShuttingDown, "The server is shutting down.", TimeSpan.FromSeconds(5));
        }

        if (keys.Enabled && !isLive && !ConsoleEndpoints.IsPublicFile(options, request))
        {
            var match = keys.Match(ApiKeyValidator.FromAuthorization(request.Headers.Authorization.ToString()));
            if (match < 0)
            {
                metrics.RecordRejection(RejectionReason.Unauthorized);
                context.Response.Headers.WWWAuthenticate = "Bearer";
                throw new ApiException(401, ErrorTypes.InvalidRequest, ErrorCodes.InvalidApiKey, "A valid API key is required: send 'Authorization: Bearer KEY'.");
            }

            context.Items[KeyItem] = match;
        }

        if (request.ContentLength > options.MaxRequestBodyBytes)
        {
            throw JsonBody.TooLarge();
        }

        await next(context).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Request {RequestId} cancelled by the client")]
    private static partial void LogCancelled(ILogger logger, string requestId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Request {RequestId} failed")]
    private static partial void LogFailed(ILogger logger, string requestId, Exception exception);
}
