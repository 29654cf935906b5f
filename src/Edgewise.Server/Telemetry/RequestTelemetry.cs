using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Edgewise.Server.Telemetry;

/// <summary>
/// The observability middleware: a server span per request (HTTP semantic conventions; the W3C <c>traceparent</c> of
/// the caller continues its trace), a <see cref="RequestScope"/> the model calls report into, and a
/// <see cref="RequestRecord"/> in the <see cref="RequestLog"/> when the request ends. Health, metrics and admin
/// routes are traced but not recorded, so monitoring does not skew the statistics. Every request also gets one log
/// line (category <c>Edgewise.Requests</c>): method, route, status, model, prompt and completion tokens, milliseconds
/// and request id; Information, or Debug for health, metrics and admin routes so probes do not fill the log.
/// </summary>
internal sealed partial class RequestTelemetry(RequestLog log, TimeProvider clock, ILoggerFactory loggers)
{
    private readonly ILogger _requests = loggers.CreateLogger("Edgewise.Requests");

    private const string HostingActivityName = "Microsoft.AspNetCore.Hosting.HttpRequestIn";

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var started = Stopwatch.GetTimestamp();
        var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
        using var activity = StartSpan(context, route);
        var scope = new RequestScope(started);
        RequestScope.Current = scope;
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            RequestScope.Current = null;
            var status = context.Response.StatusCode;
            var cancelled = context.RequestAborted.IsCancellationRequested;
            if (activity is { IsAllDataRequested: true })
            {
                activity.SetTag(GenAiAttributes.HttpStatus, status);
                if (status >= 500 || cancelled)
                {
                    activity.SetTag(GenAiAttributes.ErrorType, cancelled ? "cancelled" : status.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    activity.SetStatus(ActivityStatusCode.Error);
                }
            }

            var recorded = IsRecorded(route);
            var level = recorded ? LogLevel.Information : LogLevel.Debug;
            if (_requests.IsEnabled(level))
            {
                LogRequest(
                    _requests,
                    level,
                    context.Request.Method,
                    route,
                    cancelled && !context.Response.HasStarted ? 499 : status,
                    scope.Model ?? "-",
                    scope.InputTokens,
                    scope.OutputTokens,
                    (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds,
                    context.TraceIdentifier);
            }

            if (recorded)
            {
                log.Add(new RequestRecord(
                    clock.GetUtcNow(),
                    route,
                    status,
                    Stopwatch.GetElapsedTime(started).TotalSeconds,
                    scope.Model,
                    scope.TimeToFirstTokenSeconds,
                    scope.InputTokens,
                    scope.OutputTokens,
                    scope.GenerationSeconds,
                    cancelled));
            }
        }
    }

    /// <summary>
    /// Whether requests to <paramref name="route"/> count in statistics and alerts: not health, metrics or admin, nor the
    /// web console's files and the approvals list it polls for its badge.
    /// </summary>
    public static bool IsRecorded(string route) =>
        !route.StartsWith("/health", StringComparison.OrdinalIgnoreCase)
        && !route.StartsWith("/admin", StringComparison.OrdinalIgnoreCase)
        && !string.Equals(route, "/metrics", StringComparison.OrdinalIgnoreCase)
        && !WebConsole.ConsoleEndpoints.IsConsoleRoute(route);

    [LoggerMessage(Message = "{Method} {Route} {Status} model={Model} prompt_tokens={PromptTokens} completion_tokens={CompletionTokens} {Ms} ms request_id={RequestId}")]
    private static partial void LogRequest(ILogger logger, LogLevel level, string method, string route, int status, string model, long promptTokens, long completionTokens, long ms, string requestId);

    private static Activity? StartSpan(HttpContext context, string route)
    {
        var source = EdgewiseActivitySource.Source;
        if (!source.HasListeners())
        {
            return null;
        }

        var request = context.Request;
        ActivityContext parent = default;
        if (Activity.Current is { OperationName: HostingActivityName } hosting)
        {
            // ASP.NET Core's own request activity is never exported: take the caller's context it parsed from
            // traceparent (or none) so the request span is the root of what the collector sees, not an orphan.
            if (hosting.ParentSpanId != default)
            {
                parent = new ActivityContext(hosting.TraceId, hosting.ParentSpanId, hosting.ActivityTraceFlags, hosting.TraceStateString, isRemote: true);
            }

            Activity.Current = null;
        }
        else if (Activity.Current is null && request.Headers.TryGetValue("traceparent", out var traceparent))
        {
            ActivityContext.TryParse(traceparent.ToString(), request.Headers.TryGetValue("tracestate", out var state) ? state.ToString() : null, isRemote: true, out parent);
        }

        var activity = source.StartActivity(request.Method + " " + route, ActivityKind.Server, parent);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(GenAiAttributes.HttpMethod, request.Method);
            activity.SetTag(GenAiAttributes.HttpRoute, route);
            activity.SetTag(GenAiAttributes.UrlScheme, request.Scheme);
            activity.SetTag(GenAiAttributes.ServerAddress, request.Host.Host);
            activity.SetTag(GenAiAttributes.ServerPort, request.Host.Port ?? context.Connection.LocalPort);
            activity.SetTag(GenAiAttributes.ProtocolVersion, request.Protocol.StartsWith("HTTP/", StringComparison.Ordinal) ? request.Protocol[5..] : request.Protocol);
        }

        return activity;
    }
}
