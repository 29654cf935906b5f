using Edgewise.Server.Hosting;
using Edgewise.Server.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Edgewise.Server.Health;

/// <summary>
/// <c>/health/live</c>: always 200, touches nothing shared (R02). <c>/health/ready</c>: 503 with Retry-After while
/// draining, while a model loads, or with less free disk than <see cref="ServerOptions.MinFreeDiskBytes"/>.
/// </summary>
internal static class HealthEndpoints
{
    public const string LivePath = "/health/live";

    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet(LivePath, () => Results.Text("ok\n", "text/plain"));
        app.MapGet("/health/ready", Ready);
        return app;
    }

    private static IResult Ready(HttpContext context, ServerState state, ServerOptions options)
    {
        var reason = state.Draining ? "draining"
            : state.Loading ? "loading"
            : FreeDisk(options) < options.MinFreeDiskBytes ? "low_disk"
            : null;
        if (reason is null)
        {
            return Results.Json(new ReadyDto("ready"), ServerJsonContext.Info<ReadyDto>(ServerJsonContext.WireOptions));
        }

        context.Response.Headers.RetryAfter = "5";
        return Results.Problem(title: "The server is not ready.", statusCode: StatusCodes.Status503ServiceUnavailable, extensions: new Dictionary<string, object?> { ["reason"] = reason });
    }

    /// <summary>The body of a ready <c>/health/ready</c>: <c>{"status":"ready"}</c>.</summary>
    internal sealed record ReadyDto(string Status);

    private static long FreeDisk(ServerOptions options)
    {
        try
        {
            var directory = Path.GetFullPath(options.DataDirectory ?? Directory.GetCurrentDirectory());
            return new DriveInfo(directory).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return 0;
        }
    }
}
