namespace Edgewise.Server.Alerts;

/// <summary>What an alert rule watches; each value is computed over the alert window at every evaluation.</summary>
public enum AlertMetric
{
    /// <summary>95th percentile request latency in seconds (<c>p95_latency_seconds</c>); needs <see cref="AlertRule.MinRequests"/> requests.</summary>
    P95LatencySeconds,

    /// <summary>Fraction of requests answered 5xx, 0 to 1 (<c>error_rate</c>); needs <see cref="AlertRule.MinRequests"/> requests.</summary>
    ErrorRate,

    /// <summary>Planned memory of the loaded models as a fraction of the memory budget, 0 to 1 (<c>memory_use</c>).</summary>
    MemoryUse,

    /// <summary>The longest admission queue of any model now (<c>queue_depth</c>).</summary>
    QueueDepth,

    /// <summary>Failed model loads and generations, all models (<c>model_failures</c>): model health.</summary>
    ModelFailures,
}

/// <summary>What the server does when a rule starts firing, besides logging and counting it.</summary>
public enum AlertAction
{
    /// <summary>Nothing more (<c>none</c>).</summary>
    None,

    /// <summary>Unload every loaded model that no request holds and that is not pinned (<c>unload_idle_models</c>).</summary>
    UnloadIdleModels,

    /// <summary>
    /// While the rule fires, agents with a <c>degraded_model</c> run on it instead of their model; they are back on
    /// their model once no such rule fires (<c>degrade_agents</c>).
    /// </summary>
    DegradeAgents,
}

/// <summary>A threshold on a metric: fires when the value is at or above <see cref="Threshold"/> for <see cref="For"/>.</summary>
public sealed class AlertRule
{
    /// <summary>The rule's name: the <c>rule</c> label in <c>/metrics</c> and the key in <c>/admin/alerts</c>.</summary>
    public required string Name { get; init; }

    /// <summary>The metric watched.</summary>
    public required AlertMetric Metric { get; init; }

    /// <summary>The value at or above which the rule is breached.</summary>
    public required double Threshold { get; init; }

    /// <summary>How long the breach must last before the rule fires (default 0: at the first evaluation that sees it).</summary>
    public TimeSpan For { get; init; }

    /// <summary>Requests the window needs before latency and error rate are judged (default 10).</summary>
    public int MinRequests { get; init; } = 10;

    /// <summary>The action taken when the rule starts firing.</summary>
    public AlertAction Action { get; init; }

    /// <summary>
    /// The rules used when none are configured: p95 latency ≥ 30 s, error rate ≥ 5 % (over at least 20 requests), memory
    /// use ≥ 90 % of the budget (unloading idle models), a queue of 16 or more, 3 or more model failures in the window.
    /// </summary>
    public static IReadOnlyList<AlertRule> Defaults { get; } =
    [
        new() { Name = "high_latency", Metric = AlertMetric.P95LatencySeconds, Threshold = 30 },
        new() { Name = "high_error_rate", Metric = AlertMetric.ErrorRate, Threshold = 0.05, MinRequests = 20 },
        new() { Name = "memory_pressure", Metric = AlertMetric.MemoryUse, Threshold = 0.9, Action = AlertAction.UnloadIdleModels },
        new() { Name = "queue_backlog", Metric = AlertMetric.QueueDepth, Threshold = 16 },
        new() { Name = "model_unhealthy", Metric = AlertMetric.ModelFailures, Threshold = 3 },
    ];
}

/// <summary>Alerting settings (the <c>alerts</c> section of <c>edgewise.yaml</c>).</summary>
public sealed class AlertOptions
{
    /// <summary>Whether rules are evaluated at all (default true).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The sliding window latency, error rate and model failures are computed over (default 5 min).</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often the rules are evaluated (default 15 s).</summary>
    public TimeSpan EvaluationInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The rules; empty means <see cref="AlertRule.Defaults"/>.</summary>
    public IList<AlertRule> Rules { get; } = [];
}
