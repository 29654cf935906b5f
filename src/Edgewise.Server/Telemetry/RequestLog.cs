namespace Edgewise.Server.Telemetry;

/// <summary>One finished request: what <c>/admin/stats</c> and the alert windows summarize. No user, key or content.</summary>
/// <param name="At">When it finished.</param>
/// <param name="Route">The route template, e.g. <c>/v1/chat/completions</c>.</param>
/// <param name="Status">The HTTP status sent.</param>
/// <param name="Seconds">Total time in the server.</param>
/// <param name="Model">The model its first model call used, or null when it made none.</param>
/// <param name="TimeToFirstTokenSeconds">From arrival to the first generated text, or null when none came.</param>
/// <param name="InputTokens">Prompt tokens over its model calls.</param>
/// <param name="OutputTokens">Generated tokens over its model calls.</param>
/// <param name="GenerationSeconds">Time from the first generated token to the end of its model calls.</param>
/// <param name="Cancelled">Whether the client went away before the end.</param>
internal sealed record RequestRecord(
    DateTimeOffset At,
    string Route,
    int Status,
    double Seconds,
    string? Model,
    double? TimeToFirstTokenSeconds,
    long InputTokens,
    long OutputTokens,
    double GenerationSeconds,
    bool Cancelled);

/// <summary>A bounded ring of the latest <see cref="RequestRecord"/>s; the oldest is overwritten when full. Thread-safe.</summary>
internal sealed class RequestLog
{
    private readonly RequestRecord?[] _ring;
    private readonly object _sync = new();
    private int _next;
    private long _total;

    public RequestLog(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _ring = new RequestRecord?[capacity];
    }

    public int Capacity => _ring.Length;

    /// <summary>Records added since start, including those overwritten.</summary>
    public long Total => Interlocked.Read(ref _total);

    public void Add(RequestRecord record)
    {
        lock (_sync)
        {
            _ring[_next] = record;
            _next = (_next + 1) % _ring.Length;
            _total++;
        }
    }

    /// <summary>The records that finished at or after <paramref name="since"/>, oldest first.</summary>
    public List<RequestRecord> Since(DateTimeOffset since)
    {
        var result = new List<RequestRecord>();
        lock (_sync)
        {
            for (var i = 0; i < _ring.Length; i++)
            {
                if (_ring[(_next + i) % _ring.Length] is { } r && r.At >= since)
                {
                    result.Add(r);
                }
            }
        }

        return result;
    }
}
