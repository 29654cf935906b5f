using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Edgewise.Agents.Diagnostics;

/// <summary>
/// The agent layer's counters on the <see cref="MeterName"/> meter (the server exports every <c>Edgewise.*</c>
/// meter at <c>/metrics</c>). Tags are bounded by configuration: agent and tool names come from the agent's own
/// definition, reasons are fixed words; tool names the model invents are never used as tags.
/// </summary>
public static class AgentMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Edgewise.Agents";

    /// <summary>Runs moved to an escalation target; tags <c>agent</c>, <c>reason</c> (<c>requested</c>, <c>validation</c>).</summary>
    public const string EscalationsName = "edgewise_agent_escalations_total";

    /// <summary>Escalations that could not reach their target and continued on the local model; tag <c>agent</c>.</summary>
    public const string EscalationFallbacksName = "edgewise_agent_escalation_fallbacks_total";

    /// <summary>Runs whose own model backend failed and that continued on the local fallback; tag <c>agent</c>.</summary>
    public const string BackendFallbacksName = "edgewise_agent_backend_fallbacks_total";

    /// <summary>Sessions handed from one agent to another; tags <c>agent</c> (from), <c>target</c>.</summary>
    public const string HandoffsName = "edgewise_agent_handoffs_total";

    /// <summary>Guardrail interventions (refused input, redaction, withheld or cut answers); tags <c>agent</c>, <c>stage</c> (<c>input</c>, <c>output</c>).</summary>
    public const string GuardrailInterventionsName = "edgewise_agent_guardrail_interventions_total";

    /// <summary>Tool calls that passed the policy and were invoked; tags <c>agent</c>, <c>tool</c>.</summary>
    public const string ToolCallsName = "edgewise_agent_tool_calls_total";

    /// <summary>Tool calls refused (allow-list, round limit) or denied at approval; tags <c>agent</c>, <c>reason</c> (<c>policy</c>, <c>approval</c>).</summary>
    public const string ToolDenialsName = "edgewise_agent_tool_denials_total";

    /// <summary>Runs whose history exceeded the context budget; tags <c>agent</c>, <c>strategy</c> (<c>drop</c>, <c>summarize</c>).</summary>
    public const string ContextTrimsName = "edgewise_agent_context_trims_total";

    private static readonly Meter s_meter = new(MeterName);
    private static readonly Counter<long> s_escalations = s_meter.CreateCounter<long>(EscalationsName, description: "Agent runs escalated to a bigger or remote model.");
    private static readonly Counter<long> s_fallbacks = s_meter.CreateCounter<long>(EscalationFallbacksName, description: "Escalations whose target was unreachable; the run continued locally.");
    private static readonly Counter<long> s_backendFallbacks = s_meter.CreateCounter<long>(BackendFallbacksName, description: "Agent runs that continued on the local model because their backend failed.");
    private static readonly Counter<long> s_handoffs = s_meter.CreateCounter<long>(HandoffsName, description: "Sessions handed off between agents.");
    private static readonly Counter<long> s_guardrails = s_meter.CreateCounter<long>(GuardrailInterventionsName, description: "Guardrail interventions on agent input or output.");
    private static readonly Counter<long> s_toolCalls = s_meter.CreateCounter<long>(ToolCallsName, description: "Agent tool calls invoked.");
    private static readonly Counter<long> s_denials = s_meter.CreateCounter<long>(ToolDenialsName, description: "Agent tool calls refused or denied.");
    private static readonly Counter<long> s_contextTrims = s_meter.CreateCounter<long>(ContextTrimsName, description: "Agent runs whose oldest turns were dropped or summarized.");

    internal static void Escalated(string agent, string reason) => s_escalations.Add(1, new TagList { { "agent", agent }, { "reason", reason } });

    internal static void EscalationFellBack(string agent) => s_fallbacks.Add(1, new KeyValuePair<string, object?>("agent", agent));

    internal static void BackendFellBack(string agent) => s_backendFallbacks.Add(1, new KeyValuePair<string, object?>("agent", agent));

    internal static void HandedOff(string agent, string target) => s_handoffs.Add(1, new TagList { { "agent", agent }, { "target", target } });

    internal static void GuardrailIntervened(string agent, string stage) => s_guardrails.Add(1, new TagList { { "agent", agent }, { "stage", stage } });

    internal static void ToolCalled(string agent, string tool) => s_toolCalls.Add(1, new TagList { { "agent", agent }, { "tool", tool } });

    internal static void ToolDenied(string agent, string reason) => s_denials.Add(1, new TagList { { "agent", agent }, { "reason", reason } });

    internal static void ContextTrimmed(string agent, string strategy) => s_contextTrims.Add(1, new TagList { { "agent", agent }, { "strategy", strategy } });
}
