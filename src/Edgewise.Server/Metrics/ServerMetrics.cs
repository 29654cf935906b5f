using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Edgewise.Server.Metrics;

/// <summary>Why a request was turned away; a bounded label set.</summary>
internal enum RejectionReason
{
    QueueFull,
    QueueTimeout,
    RateLimited,
    Draining,
    Unauthorized,
    HostNotAllowed,
    TooLarge,
}

/// <summary>
/// The server's counters, gauges and histograms, written in the Prometheus text exposition format (version 0.0.4) by
/// <see cref="WriteTo"/>. Labels are route templates, methods, status codes, models registered with the server and
/// fixed reasons only: never users, keys, sessions or prompts (H20).
/// </summary>
internal sealed class ServerMetrics
{
    private static readonly string[] Methods = ["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"];

    private readonly ConcurrentDictionary<(string Route, string Method, int Status), long[]> _requests = new();
    private readonly ConcurrentDictionary<string, Histogram> _latency = new(StringComparer.Ordinal);
    private readonly Histogram _timeToFirstToken = new(Histogram.LatencySeconds);
    private readonly Histogram _tokensPerSecond = new(Histogram.TokensPerSecond);
    private readonly Histogram _queueWait = new(Histogram.LatencySeconds);
    private readonly long[] _rejections = new long[Enum.GetValues<RejectionReason>().Length];
    private long _promptTokens;
    private long _completionTokens;
    private long _cancellations;

    public void RecordRequest(string route, string method, int status, TimeSpan elapsed)
    {
        var m = Array.IndexOf(Methods, method) >= 0 ? method : "OTHER";
        Interlocked.Increment(ref _requests.GetOrAdd((route, m, status), _ => new long[1])[0]);
        _latency.GetOrAdd(route, _ => new Histogram(Histogram.LatencySeconds)).Observe(elapsed.TotalSeconds);
    }

    public void RecordTimeToFirstToken(TimeSpan elapsed) => _timeToFirstToken.Observe(elapsed.TotalSeconds);

    public void RecordGeneration(long promptTokens, long completionTokens, TimeSpan generation)
    {
        Interlocked.Add(ref _promptTokens, promptTokens);
        Interlocked.Add(ref _completionTokens, completionTokens);
        if (completionTokens > 0 && generation > TimeSpan.Zero)
        {
            _tokensPerSecond.Observe(completionTokens / generation.TotalSeconds);
        }
    }

    public void RecordQueueWait(TimeSpan wait) => _queueWait.Observe(wait.TotalSeconds);

    public void RecordCancellation() => Interlocked.Increment(ref _cancellations);

    public void RecordRejection(RejectionReason reason) => Interlocked.Increment(ref _rejections[(int)reason]);

    public long Cancellations => Interlocked.Read(ref _cancellations);

    public long Rejections(RejectionReason reason) => Interlocked.Read(ref _rejections[(int)reason]);

    /// <summary>Writes every series; <paramref name="queues"/> and <paramref name="models"/> are sampled at scrape time.</summary>
    public void WriteTo(StringBuilder text, IEnumerable<(string Model, int Queued, int Running)> queues, IEnumerable<(string Model, long MemoryBytes, int Leases)> models)
    {
        Header(text, "edgewise_http_requests_total", "counter", "HTTP requests by route template, method and status.");
        foreach (var (key, count) in _requests.OrderBy(p => p.Key.Route, StringComparer.Ordinal).ThenBy(p => p.Key.Status))
        {
            text.Append(CultureInfo.InvariantCulture, $"edgewise_http_requests_total{{route=\"{Escape(key.Route)}\",method=\"{key.Method}\",status=\"{key.Status}\"}} {Interlocked.Read(ref count[0])}\n");
        }

        Header(text, "edgewise_http_request_duration_seconds", "histogram", "HTTP request latency by route template.");
        foreach (var (route, histogram) in _latency.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            histogram.WriteTo(text, "edgewise_http_request_duration_seconds", $"route=\"{Escape(route)}\",");
        }

        Header(text, "edgewise_time_to_first_token_seconds", "histogram", "Time from admission to the first generated text.");
        _timeToFirstToken.WriteTo(text, "edgewise_time_to_first_token_seconds", string.Empty);
        Header(text, "edgewise_generation_tokens_per_second", "histogram", "Decode speed per request.");
        _tokensPerSecond.WriteTo(text, "edgewise_generation_tokens_per_second", string.Empty);
        Header(text, "edgewise_queue_wait_seconds", "histogram", "Time requests waited for admission.");
        _queueWait.WriteTo(text, "edgewise_queue_wait_seconds", string.Empty);

        Header(text, "edgewise_prompt_tokens_total", "counter", "Prompt tokens processed.");
        text.Append(CultureInfo.InvariantCulture, $"edgewise_prompt_tokens_total {Interlocked.Read(ref _promptTokens)}\n");
        Header(text, "edgewise_completion_tokens_total", "counter", "Tokens generated.");
        text.Append(CultureInfo.InvariantCulture, $"edgewise_completion_tokens_total {Interlocked.Read(ref _completionTokens)}\n");
        Header(text, "edgewise_cancellations_total", "counter", "Generations cancelled because the client went away.");
        text.Append(CultureInfo.InvariantCulture, $"edgewise_cancellations_total {Cancellations}\n");
        Header(text, "edgewise_rejections_total", "counter", "Requests turned away, by reason.");
        foreach (var reason in Enum.GetValues<RejectionReason>())
        {
            text.Append(CultureInfo.InvariantCulture, $"edgewise_rejections_total{{reason=\"{ReasonLabel(reason)}\"}} {Rejections(reason)}\n");
        }

        Header(text, "edgewise_queue_depth", "gauge", "Requests waiting for admission, by model.");
        var sampled = queues.ToList();
        foreach (var (model, queued, _) in sampled)
        {
            text.Append(CultureInfo.InvariantCulture, $"edgewise_queue_depth{{model=\"{Escape(model)}\"}} {queued}\n");
        }

        Header(text, "edgewise_running_requests", "gauge", "Requests generating now, by model.");
        foreach (var (model, _, running) in sampled)
        {
            text.Append(CultureInfo.InvariantCulture, $"edgewise_running_requests{{model=\"{Escape(model)}\"}} {running}\n");
        }

        var loaded = models.ToList();
        Header(text, "edgewise_loaded_models", "gauge", "Models loaded now.");
        text.Append(CultureInfo.InvariantCulture, $"edgewise_loaded_models {loaded.Count}\n");
        Header(text, "edgewise_loaded_model_memory_bytes", "gauge", "Planned memory of each loaded model.");
        foreach (var (model, memory, _) in loaded)
        {
            text.Append(CultureInfo.InvariantCulture, $"edgewise_loaded_model_memory_bytes{{model=\"{Escape(model)}\"}} {memory}\n");
        }

        Header(text, "edgewise_model_leases", "gauge", "Active leases of each loaded model.");
        foreach (var (model, _, leases) in loaded)
        {
            text.Append(CultureInfo.InvariantCulture, $"edgewise_model_leases{{model=\"{Escape(model)}\"}} {leases}\n");
        }
    }

    private static void Header(StringBuilder text, string name, string type, string help) =>
        text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} {type}\n");

    private static string ReasonLabel(RejectionReason reason) => reason switch
    {
        RejectionReason.QueueFull => "queue_full",
        RejectionReason.QueueTimeout => "queue_timeout",
        RejectionReason.RateLimited => "rate_limited",
        RejectionReason.Draining => "draining",
        RejectionReason.Unauthorized => "unauthorized",
        RejectionReason.HostNotAllowed => "host_not_allowed",
        _ => "too_large",
    };

    private static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
