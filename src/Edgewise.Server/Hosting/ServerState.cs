namespace Edgewise.Server.Hosting;

/// <summary>What readiness reports: draining after SIGTERM and models loading now.</summary>
internal sealed class ServerState
{
    private int _loading;
    private volatile bool _draining;

    public bool Draining => _draining;

    public bool Loading => Volatile.Read(ref _loading) > 0;

    /// <summary>Readiness turns 503 and new requests are refused from now on (S01).</summary>
    public void BeginDrain() => _draining = true;

    public void LoadStarted() => Interlocked.Increment(ref _loading);

    public void LoadEnded() => Interlocked.Decrement(ref _loading);
}
