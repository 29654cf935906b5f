using Edgewise.Server.Agents;
using Edgewise.Server.Alerts;
using Edgewise.Server.Metrics;
using Edgewise.Server.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Edgewise.Server;

/// <summary>Middleware and routes of the Edgewise server, in the ASP.NET Core style (<see cref="EdgewiseServer.Build"/> calls them).</summary>
public static class EdgewiseApplicationExtensions
{
    /// <summary>
    /// Request spans and records (a middleware before the request guard, so refused requests are recorded too), the meter
    /// export, and the observability admin routes. Needs <see cref="EdgewiseServiceCollectionExtensions.AddEdgewiseObservability"/>.
    /// </summary>
    public static WebApplication UseEdgewiseObservability(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.Services.GetRequiredService<MeterExport>();
        var telemetry = app.Services.GetRequiredService<RequestTelemetry>();
        app.Use((context, next) => telemetry.InvokeAsync(context, next));
        app.MapObservability();
        return app;
    }

    /// <summary>The agent and session routes. Needs <see cref="EdgewiseServiceCollectionExtensions.AddEdgewiseAgents"/>.</summary>
    public static WebApplication MapEdgewiseAgents(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapAgents();
        return app;
    }
}
