using System.Diagnostics;

namespace Edgewise.Server.Telemetry;

/// <summary>
/// What the model calls of one request add up to, carried along the request's async flow so a chat client decorator
/// (<see cref="TelemetryChatClient"/>) can report into the request that caused it without the endpoints knowing.
/// </summary>
internal sealed class RequestScope
{
    private static readonly AsyncLocal<RequestScope?> s_current = new();
    private readonly object _sync = new();
    private long _firstTokenTimestamp;

    public RequestScope(long startedTimestamp) => StartedTimestamp = startedTimestamp;

    /// <summary>The scope of the request running on this flow, or null outside a request.</summary>
    public static RequestScope? Current
    {
        get => s_current.Value;
        set => s_current.Value = value;
    }

    public long StartedTimestamp { get; }

    public string? Model { get; private set; }

    public long InputTokens { get; private set; }

    public long OutputTokens { get; private set; }

    public double GenerationSeconds { get; private set; }

    /// <summary>Seconds from arrival to the first generated text, or null.</summary>
    public double? TimeToFirstTokenSeconds
    {
        get
        {
            var first = Interlocked.Read(ref _firstTokenTimestamp);
            return first == 0 ? null : Stopwatch.GetElapsedTime(StartedTimestamp, first).TotalSeconds;
        }
    }

    public void FirstToken(long timestamp) => Interlocked.CompareExchange(ref _firstTokenTimestamp, timestamp, 0);

    public void AddCall(string model, long inputTokens, long outputTokens, double generationSeconds)
    {
        lock (_sync)
        {
            Model ??= model;
            InputTokens += inputTokens;
            OutputTokens += outputTokens;
            GenerationSeconds += generationSeconds;
        }
    }
}
