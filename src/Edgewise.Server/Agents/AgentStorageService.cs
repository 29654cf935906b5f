using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Edgewise.Server.Agents;

/// <summary>
/// Opens the session database when the server starts (an unusable file stops the start, P03) and applies
/// <c>limits.session_retention</c>: sessions older than it are deleted on start and every
/// <see cref="AgentServerOptions.RetentionSweepInterval"/> after.
/// </summary>
internal sealed partial class AgentStorageService(AgentSessions sessions, ServerOptions options, ILogger<AgentStorageService> logger) : IHostedService, IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!sessions.Enabled)
        {
            return;
        }

        await sessions.OpenAsync(cancellationToken).ConfigureAwait(false);
        if (options.Configuration?.Limits.SessionRetention is { } retention)
        {
            await sessions.SweepAsync(retention, cancellationToken).ConfigureAwait(false);
            _loop = SweepLoopAsync(retention, _stop.Token);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is { } loop)
        {
            await loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public void Dispose() => _stop.Dispose();

    private async Task SweepLoopAsync(TimeSpan retention, CancellationToken cancellationToken)
    {
        var interval = options.Agents.RetentionSweepInterval > TimeSpan.Zero ? options.Agents.RetentionSweepInterval : TimeSpan.FromHours(1);
        while (!cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(interval, sessions.Clock, cancellationToken).ConfigureAwait(false);
            try
            {
                var deleted = await sessions.SweepAsync(retention, cancellationToken).ConfigureAwait(false);
                LogSwept(logger, deleted);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogSweepFailed(logger, e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Session retention deleted {Count} sessions")]
    private static partial void LogSwept(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session retention sweep failed")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
