using System.Runtime.InteropServices;
using Edgewise.Server.Hosting;
using Microsoft.Extensions.Hosting;

namespace Edgewise.Server.Health;

/// <summary>
/// The host lifetime of the server, in place of the console lifetime: the first SIGTERM, SIGINT or SIGQUIT starts a
/// drain (readiness 503 and new requests 503 at once while the listener stays up, in-flight requests get
/// <see cref="ServerOptions.ShutdownTimeout"/> and are then aborted), after which the host stops and the process exits
/// 0 (S01). A second signal during the drain is not intercepted: the runtime's default action ends the process at once (S02).
/// </summary>
internal sealed class DrainingLifetime(IHostApplicationLifetime lifetime, ServerState state, ServerOptions options) : IHostLifetime, IDisposable
{
    private readonly List<PosixSignalRegistration> _registrations = [];
    private int _signals;

    public Task WaitForStartAsync(CancellationToken cancellationToken)
    {
        foreach (var signal in new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGQUIT })
        {
            _registrations.Add(PosixSignalRegistration.Create(signal, OnSignal));
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }
    }

    private void OnSignal(PosixSignalContext context)
    {
        if (Interlocked.Increment(ref _signals) > 1)
        {
            return;
        }

        context.Cancel = true;
        _ = Task.Run(async () =>
        {
            await state.DrainAsync(options.ShutdownTimeout).ConfigureAwait(false);
            lifetime.StopApplication();
        });
    }
}
