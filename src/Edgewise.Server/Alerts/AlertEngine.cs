using System.Globalization;
using System.Text;
using Edgewise.Models.Management;
using Edgewise.Server.Admission;
using Edgewise.Server.Metrics;
using Edgewise.Server.Telemetry;
using Microsoft.Extensions.Logging;

namespace Edgewise.Server.Alerts;

/// <summary>A rule starting or stopping to fire.</summary>
/// <param name="At">When it was seen.</param>
/// <param name="Rule">The rule's name.</param>
/// <param name="State"><c>firing</c> or <c>resolved</c>.</param>
/// <param name="Value">The metric's value then.</param>
/// <param name="Threshold">The rule's threshold.</param>
/// <param name="Action">What the action did (e.g. <c>unloaded 2 idle models</c>), or null.</param>
internal sealed record AlertEvent(DateTimeOffset At, string Rule, string State, double? Value, double Threshold, string? Action);

/// <summary>A rule and where it stands.</summary>
internal sealed record AlertStatus(AlertRule Rule, bool Firing, double? Value, DateTimeOffset? Since, long FiredCount);

/// <summary>
/// Evaluates the alert rules over the sliding window of the <see cref="RequestLog"/> (latency, error rate), the model
/// failure times, the memory the loaded models plan to use and the admission queues. A rule fires when its value is at or
/// above the threshold for its <see cref="AlertRule.For"/>; firing and resolving are logged, kept as events, counted in
/// <c>/metrics</c>, and a firing rule's action runs once. Evaluation is serialized; the clock is injected.
/// </summary>
internal sealed partial class AlertEngine : IMetricsSource
{
    private const int EventsKept = 200;

    private readonly AlertOptions _options;
    private readonly RequestLog _log;
    private readonly ModelCallRecorder _models;
    private readonly AdmissionQueue _admission;
    private readonly ModelManager _manager;
    private readonly TimeProvider _clock;
    private readonly ILogger<AlertEngine> _logger;
    private readonly RuleState[] _rules;
    private readonly Queue<AlertEvent> _events = new();
    private readonly object _sync = new();

    public AlertEngine(AlertOptions options, RequestLog log, ModelCallRecorder models, AdmissionQueue admission, ModelManager manager, TimeProvider clock, ILogger<AlertEngine> logger)
    {
        _options = options;
        _log = log;
        _models = models;
        _admission = admission;
        _manager = manager;
        _clock = clock;
        _logger = logger;
        _rules = (options.Rules.Count > 0 ? options.Rules.ToList() : AlertRule.Defaults).Select(r => new RuleState(r)).ToArray();
    }

    public AlertOptions Options => _options;

    /// <summary>True while a rule with action <see cref="AlertAction.DegradeAgents"/> fires.</summary>
    public bool AgentsDegraded
    {
        get
        {
            lock (_sync)
            {
                return _rules.Any(s => s.Firing && s.Rule.Action == AlertAction.DegradeAgents);
            }
        }
    }

    /// <summary>The wire name of <paramref name="action"/>, as in the <c>alerts</c> section.</summary>
    public static string ActionName(AlertAction action) => action switch
    {
        AlertAction.UnloadIdleModels => "unload_idle_models",
        AlertAction.DegradeAgents => "degrade_agents",
        _ => "none",
    };

    /// <summary>Checks <paramref name="options"/>; the message names the offending rule.</summary>
    public static void Validate(AlertOptions options)
    {
        if (options.Window <= TimeSpan.Zero || options.EvaluationInterval <= TimeSpan.Zero)
        {
            throw new ServerConfigurationException("The alert window and evaluation interval must be positive.");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var rule in options.Rules)
        {
            if (string.IsNullOrWhiteSpace(rule.Name) || !names.Add(rule.Name))
            {
                throw new ServerConfigurationException("Every alert rule needs a name of its own.");
            }

            if (!double.IsFinite(rule.Threshold) || rule.For < TimeSpan.Zero || rule.MinRequests < 0)
            {
                throw new ServerConfigurationException($"Alert rule '{rule.Name}' needs a finite threshold, a non-negative 'for' and min_requests.");
            }
        }
    }

    /// <summary>Evaluates every rule now; returns the events this evaluation produced.</summary>
    public IReadOnlyList<AlertEvent> Evaluate()
    {
        lock (_sync)
        {
            var now = _clock.GetUtcNow();
            var window = new Lazy<List<RequestRecord>>(() => _log.Since(now - _options.Window));
            var produced = new List<AlertEvent>();
            foreach (var state in _rules)
            {
                var value = Measure(state.Rule, window, now);
                state.Value = value;
                var breached = value is { } v && v >= state.Rule.Threshold;
                if (!breached)
                {
                    state.BreachSince = null;
                    if (state.Firing)
                    {
                        state.Firing = false;
                        state.Since = now;
                        LogResolved(_logger, state.Rule.Name, value ?? double.NaN, state.Rule.Threshold);
                        var restored = state.Rule.Action == AlertAction.DegradeAgents ? "agents back on their models" : null;
                        produced.Add(Remember(new AlertEvent(now, state.Rule.Name, "resolved", value, state.Rule.Threshold, restored)));
                    }

                    continue;
                }

                state.BreachSince ??= now;
                if (state.Firing || now - state.BreachSince.Value < state.Rule.For)
                {
                    continue;
                }

                state.Firing = true;
                state.Since = now;
                state.FiredCount++;
                var action = Act(state.Rule.Action);
                LogFiring(_logger, state.Rule.Name, value!.Value, state.Rule.Threshold, action ?? "none");
                produced.Add(Remember(new AlertEvent(now, state.Rule.Name, "firing", value, state.Rule.Threshold, action)));
            }

            return produced;
        }
    }

    public IReadOnlyList<AlertStatus> Statuses()
    {
        lock (_sync)
        {
            return _rules.Select(s => new AlertStatus(s.Rule, s.Firing, s.Value, s.Since, s.FiredCount)).ToList();
        }
    }

    public IReadOnlyList<AlertEvent> Events()
    {
        lock (_sync)
        {
            return _events.Reverse().ToList();
        }
    }

    public void WriteTo(StringBuilder text)
    {
        var statuses = Statuses();
        PrometheusText.Header(text, "edgewise_alerts_total", "counter", "Times each alert rule started firing.");
        foreach (var s in statuses)
        {
            text.Append(CultureInfo.InvariantCulture, $"edgewise_alerts_total{{rule=\"{PrometheusText.Escape(s.Rule.Name)}\"}} {s.FiredCount}\n");
        }

        PrometheusText.Header(text, "edgewise_alert_firing", "gauge", "1 while an alert rule fires, else 0.");
        foreach (var s in statuses)
        {
            text.Append(CultureInfo.InvariantCulture, $"edgewise_alert_firing{{rule=\"{PrometheusText.Escape(s.Rule.Name)}\"}} {(s.Firing ? 1 : 0)}\n");
        }

        PrometheusText.Header(text, "edgewise_alert_value", "gauge", "The value each alert rule saw at its last evaluation (absent while there is too little data).");
        foreach (var s in statuses)
        {
            if (s.Value is { } v)
            {
                text.Append(CultureInfo.InvariantCulture, $"edgewise_alert_value{{rule=\"{PrometheusText.Escape(s.Rule.Name)}\"}} {PrometheusText.Number(v)}\n");
            }
        }
    }

    private double? Measure(AlertRule rule, Lazy<List<RequestRecord>> window, DateTimeOffset now)
    {
        switch (rule.Metric)
        {
            case AlertMetric.P95LatencySeconds:
            {
                var records = window.Value;
                return records.Count < Math.Max(1, rule.MinRequests) ? null : Percentiles.Of(records.Select(r => r.Seconds).ToList(), 0.95);
            }

            case AlertMetric.ErrorRate:
            {
                var records = window.Value;
                return records.Count < Math.Max(1, rule.MinRequests) ? null : (double)records.Count(r => r.Status >= 500) / records.Count;
            }

            case AlertMetric.MemoryUse:
                return _manager.MemoryBudgetBytes <= 0 ? null : (double)_manager.UsedBytes / _manager.MemoryBudgetBytes;
            case AlertMetric.QueueDepth:
            {
                var queues = _admission.Snapshot();
                return queues.Count == 0 ? 0 : queues.Max(q => q.Queued);
            }

            default:
                return _models.FailuresSince(now - _options.Window);
        }
    }

    private string? Act(AlertAction action)
    {
        if (action == AlertAction.DegradeAgents)
        {
            return "agents on their degraded models";
        }

        if (action != AlertAction.UnloadIdleModels)
        {
            return null;
        }

        var unloaded = 0;
        foreach (var model in _manager.Loaded)
        {
            if (model.Leases == 0 && !model.Pinned && _manager.Unload(model.Name))
            {
                unloaded++;
            }
        }

        return string.Create(CultureInfo.InvariantCulture, $"unloaded {unloaded} idle model(s)");
    }

    private AlertEvent Remember(AlertEvent e)
    {
        _events.Enqueue(e);
        while (_events.Count > EventsKept)
        {
            _events.Dequeue();
        }

        return e;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert {Rule} firing: value {Value} at or above {Threshold}; action: {Action}")]
    private static partial void LogFiring(ILogger logger, string rule, double value, double threshold, string action);

    [LoggerMessage(Level = LogLevel.Information, Message = "Alert {Rule} resolved: value {Value} below {Threshold}")]
    private static partial void LogResolved(ILogger logger, string rule, double value, double threshold);

    private sealed class RuleState(AlertRule rule)
    {
        public AlertRule Rule { get; } = rule;

        public bool Firing { get; set; }

        public double? Value { get; set; }

        public DateTimeOffset? BreachSince { get; set; }

        public DateTimeOffset? Since { get; set; }

        public long FiredCount { get; set; }
    }
}
