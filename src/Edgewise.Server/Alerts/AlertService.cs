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
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            engine.Evaluate();
        }
    }
}
