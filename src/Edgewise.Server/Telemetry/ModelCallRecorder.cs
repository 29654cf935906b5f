using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Edgewise.Server.Metrics;

namespace Edgewise.Server.Telemetry;

/// <summary>
/// Counts model calls and failures (loads and generations) per model, and remembers recent failure times so the model
/// health alert can count them over its window. Labels are model names the server resolved, a bounded set.
/// </summary>
internal sealed class ModelCallRecorder(TimeProvider clock) : IMetricsSource
{
    private const int RecentFailuresKept = 1024;

    private readonly ConcurrentDictionary<string, long[]> _counts = new(StringComparer.Ordinal);
    private readonly Queue<DateTimeOffset> _recentFailures = new();
    private readonly object _sync = new();

    public TimeProvider Clock => clock;

    public void RecordCall(string model) => Interlocked.Increment(ref Counts(model)[0]);

    public void RecordCallFailure(string model)
    {
        Interlocked.Increment(ref Counts(model)[1]);
        Remember();
    }

    public void RecordLoadFailure(string model)
    {
        Interlocked.Increment(ref Counts(model)[2]);
        Remember();
    }

    /// <summary>Failures (loads and calls, all models) at or after <paramref name="since"/>.</summary>
    public int FailuresSince(DateTimeOffset since)
    {
        lock (_sync)
        {
            return _recentFailures.Count(t => t >= since);
        }
    }

    public void WriteTo(StringBuilder text)
    {
        var rows = _counts.OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
        Write(text, rows, "edgewise_model_calls_total", "Model calls (chat requests to a loaded model), by model.", 0);
        Write(text, rows, "edgewise_model_call_failures_total", "Model calls that failed (not counting client cancellations), by model.", 1);
        Write(text, rows, "edgewise_model_load_failures_total", "Model loads that failed, by model.", 2);
    }

    private static void Write(StringBuilder text, List<KeyValuePair<string, long[]>> rows, string name, string help, int index)
    {
        PrometheusText.Header(text, name, "counter", help);
        foreach (var (model, counts) in rows)
        {
            text.Append(CultureInfo.InvariantCulture, $"{name}{{model=\"{PrometheusText.Escape(model)}\"}} {Interlocked.Read(ref counts[index])}\n");
        }
    }

    private long[] Counts(string model) => _counts.GetOrAdd(model, _ => new long[3]);

    private void Remember()
    {
        lock (_sync)
        {
            _recentFailures.Enqueue(clock.GetUtcNow());
            while (_recentFailures.Count > RecentFailuresKept)
            {
                _recentFailures.Dequeue();
            }
        }
    }
}
