using System.Globalization;
using System.Text;

namespace Edgewise.Server.Metrics;

/// <summary>A Prometheus histogram with fixed upper bounds; thread-safe.</summary>
internal sealed class Histogram(double[] bounds)
{
    private readonly long[] _counts = new long[bounds.Length + 1];
    private readonly object _sync = new();
    private double _sum;
    private long _count;

    public static readonly double[] LatencySeconds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

    public static readonly double[] TokensPerSecond = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];

    public void Observe(double value)
    {
        if (!double.IsFinite(value))
        {
            return;
        }

        var i = 0;
        while (i < bounds.Length && value > bounds[i])
        {
            i++;
        }

        lock (_sync)
        {
            _counts[i]++;
            _sum += value;
            _count++;
        }
    }

    /// <summary>Appends the <c>_bucket</c>, <c>_sum</c> and <c>_count</c> series; <paramref name="labels"/> is "" or <c>a="b",</c>.</summary>
    public void WriteTo(StringBuilder text, string name, string labels)
    {
        long[] counts;
        double sum;
        long count;
        lock (_sync)
        {
            counts = (long[])_counts.Clone();
            sum = _sum;
            count = _count;
        }

        long cumulative = 0;
        for (var i = 0; i < bounds.Length; i++)
        {
            cumulative += counts[i];
            text.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{{labels}le=\"{bounds[i].ToString(CultureInfo.InvariantCulture)}\"}} {cumulative}\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{{labels}le=\"+Inf\"}} {count}\n");
        var trimmed = labels.TrimEnd(',');
        var braces = trimmed.Length == 0 ? string.Empty : "{" + trimmed + "}";
        text.Append(CultureInfo.InvariantCulture, $"{name}_sum{braces} {sum.ToString("R", CultureInfo.InvariantCulture)}\n");
        text.Append(CultureInfo.InvariantCulture, $"{name}_count{braces} {count}\n");
    }
}
