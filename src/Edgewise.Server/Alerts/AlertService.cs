using Microsoft.Extensions.Hosting;

namespace Edgewise.Server.Alerts;

/// <summary>Evaluates the alert rules every <see cref="AlertOptions.EvaluationInterval"/> while the server runs.</summary>
internal sealed class AlertService(AlertEngine engine, TimeProvider clock) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!engine.Options.Enabled)
        {
            return;
        }

        using var timer = new PeriodicTimer(engine.Options.EvaluationInterval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                engine.Evaluate();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping is the end of the loop, not a fault. When the start failed (port in use, unusable database) the
            // host is disposed without StopAsync, and a fault here would be logged as critical with a stack trace.
        }
    }
}
