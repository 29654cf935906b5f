using Edgewise.Server.Alerts;
using Edgewise.Server.Telemetry;

namespace Edgewise.Server;

/// <summary>Observability settings: the <c>telemetry</c> and <c>alerts</c> sections of <c>edgewise.yaml</c>.</summary>
public sealed partial class ServerOptions
{
    /// <summary>Tracing export and the in-memory request log behind <c>/admin/stats</c>.</summary>
    public TelemetryOptions Telemetry { get; } = new();

    /// <summary>Alert rules evaluated in-process; the defaults of <see cref="AlertRule.Defaults"/> when none are listed.</summary>
    public AlertOptions Alerts { get; } = new();

    /// <summary>The clock request records and alert windows use; null for the system clock (tests inject one).</summary>
    public TimeProvider? Clock { get; set; }
}
