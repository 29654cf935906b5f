using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace Edgewise.Server.Metrics;

/// <summary>
/// Exports in <c>/metrics</c> every instrument of the <see cref="Meter"/>s named <c>Edgewise.*</c> in this process
/// (e.g. the agents library's <c>Edgewise.Agents</c> counters): counters as Prometheus counters (<c>_total</c> added
/// when missing), up-down counters and gauges as gauges, histograms with their advised bucket bounds. Instruments of
/// the same name are merged; each keeps at most <see cref="MaxSeriesPerMetric"/> label sets (H20), more are dropped.
/// Observable instruments are read afresh at every scrape, so the series of one whose meter was disposed (a model's
/// gauges after it unloaded) disappear instead of repeating their last value.
/// </summary>
internal sealed class MeterExport : IMetricsSource, IDisposable
{
    public const int MaxSeriesPerMetric = 500;

    private static readonly double[] DefaultBounds = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

    private readonly MeterListener _listener = new();
    private readonly Dictionary<string, Family> _families = new(StringComparer.Ordinal);
    private readonly object _sync = new();
    private readonly object _scrape = new();
    private long _droppedSeries;

    public MeterExport(string prefix = "Edgewise.")
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name.StartsWith(prefix, StringComparison.Ordinal) && FamilyFor(instrument) is { } family)
            {
                listener.EnableMeasurementEvents(instrument, family);
            }
        };
        _listener.SetMeasurementEventCallback<byte>((_, v, tags, state) => Record(state, v, tags));
        _listener.SetMeasurementEventCallback<short>((_, v, tags, state) => Record(state, v, tags));
        _listener.SetMeasurementEventCallback<int>((_, v, tags, state) => Record(state, v, tags));
        _listener.SetMeasurementEventCallback<long>((_, v, tags, state) => Record(state, v, tags));
        _listener.SetMeasurementEventCallback<float>((_, v, tags, state) => Record(state, v, tags));
        _listener.SetMeasurementEventCallback<double>((_, v, tags, state) => Record(state, v, tags));
        _listener.SetMeasurementEventCallback<decimal>((_, v, tags, state) => Record(state, (double)v, tags));
        _listener.Start();
    }

    private enum Kind
    {
        Counter,
        CumulativeCounter,
        Gauge,
        SummedGauge,
        Histogram,
    }

    public void WriteTo(StringBuilder text)
    {
        lock (_scrape)
        {
            List<Family> families;
            lock (_sync)
            {
                families = _families.Values.OrderBy(f => f.Name, StringComparer.Ordinal).ToList();
            }

            foreach (var family in families)
            {
                family.ClearIfObserved();
            }

            _listener.RecordObservableInstruments();
            foreach (var family in families)
            {
                family.WriteTo(text);
            }
        }

        PrometheusText.Header(text, "edgewise_meter_series_dropped_total", "counter", "Measurements of Edgewise.* meters dropped because their metric had too many label sets.");
        text.Append(CultureInfo.InvariantCulture, $"edgewise_meter_series_dropped_total {Interlocked.Read(ref _droppedSeries)}\n");
    }

    public void Dispose() => _listener.Dispose();

    private static Kind? KindOf(Instrument instrument)
    {
        if (!instrument.GetType().IsGenericType)
        {
            return null;
        }

        var definition = instrument.GetType().GetGenericTypeDefinition();
        return definition == typeof(Counter<>) ? Kind.Counter
            : definition == typeof(ObservableCounter<>) ? Kind.CumulativeCounter
            : definition == typeof(UpDownCounter<>) ? Kind.SummedGauge
            : definition == typeof(Histogram<>) ? Kind.Histogram
            : definition == typeof(Gauge<>) || definition == typeof(ObservableGauge<>) || definition == typeof(ObservableUpDownCounter<>) ? Kind.Gauge
            : null;
    }

    private static double[] BoundsOf(Instrument instrument)
    {
        var advice = instrument switch
        {
            Histogram<double> h => h.Advice?.HistogramBucketBoundaries?.ToArray(),
            Histogram<float> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
            Histogram<long> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
            Histogram<int> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
            _ => null,
        };
        return advice is { Length: > 0 } ? advice
            : string.Equals(instrument.Unit, "s", StringComparison.Ordinal) ? Histogram.LatencySeconds
            : DefaultBounds;
    }

    private Family? FamilyFor(Instrument instrument)
    {
        if (KindOf(instrument) is not { } kind)
        {
            return null;
        }

        var name = PrometheusText.Name(instrument.Name);
        if (kind is Kind.Counter or Kind.CumulativeCounter && !name.EndsWith("_total", StringComparison.Ordinal))
        {
            name += "_total";
        }

        lock (_sync)
        {
            if (!_families.TryGetValue(name, out var family))
            {
                family = new Family(this, name, kind, instrument.Description ?? instrument.Name, BoundsOf(instrument));
                _families.Add(name, family);
            }

            if (family.Kind != kind)
            {
                return null;
            }

            family.Observed |= instrument.IsObservable;
            return family;
        }
    }

    private static void Record(object? state, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (state is Family family)
        {
            family.Record(value, tags);
        }
    }

    private sealed class Family(MeterExport owner, string name, Kind kind, string help, double[] bounds)
    {
        private readonly Dictionary<string, double> _values = new(StringComparer.Ordinal);
        private readonly Dictionary<string, Histogram> _histograms = new(StringComparer.Ordinal);
        private readonly object _sync = new();

        public string Name => name;

        public Kind Kind => kind;

        /// <summary>True when an observable instrument feeds this family: its values are all read at each scrape.</summary>
        public bool Observed { get; set; }

        public void ClearIfObserved()
        {
            if (Observed)
            {
                lock (_sync)
                {
                    _values.Clear();
                }
            }
        }

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var labels = Labels(tags);
            lock (_sync)
            {
                if (kind == Kind.Histogram)
                {
                    if (!_histograms.TryGetValue(labels, out var histogram))
                    {
                        if (_histograms.Count >= MaxSeriesPerMetric)
                        {
                            Interlocked.Increment(ref owner._droppedSeries);
                            return;
                        }

                        histogram = new Histogram(bounds);
                        _histograms.Add(labels, histogram);
                    }

                    histogram.Observe(value);
                    return;
                }

                if (!_values.TryGetValue(labels, out var current) && _values.Count >= MaxSeriesPerMetric)
                {
                    Interlocked.Increment(ref owner._droppedSeries);
                    return;
                }

                _values[labels] = kind is Kind.Counter or Kind.SummedGauge ? current + value : value;
            }
        }

        public void WriteTo(StringBuilder text)
        {
            var type = kind switch
            {
                Kind.Counter or Kind.CumulativeCounter => "counter",
                Kind.Histogram => "histogram",
                _ => "gauge",
            };
            PrometheusText.Header(text, name, type, help.Replace('\n', ' '));
            lock (_sync)
            {
                foreach (var (labels, histogram) in _histograms.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    histogram.WriteTo(text, name, labels);
                }

                foreach (var (labels, value) in _values.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    var trimmed = labels.TrimEnd(',');
                    text.Append(name).Append(trimmed.Length == 0 ? string.Empty : "{" + trimmed + "}").Append(' ').Append(PrometheusText.Number(value)).Append('\n');
                }
            }
        }

        private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (tags.Length == 0)
            {
                return string.Empty;
            }

            var sorted = tags.ToArray();
            Array.Sort(sorted, (a, b) => string.CompareOrdinal(a.Key, b.Key));
            var builder = new StringBuilder();
            foreach (var (key, value) in sorted)
            {
                var text = Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty;
                builder.Append(PrometheusText.Name(key)).Append("=\"").Append(PrometheusText.Escape(text)).Append("\",");
            }

            return builder.ToString();
        }
    }
}
