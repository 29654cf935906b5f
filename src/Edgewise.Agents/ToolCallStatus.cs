namespace Edgewise.Agents;

/// <summary>What became of one tool call requested by the model.</summary>
public enum ToolCallStatus
{
    /// <summary>The tool ran and returned a result.</summary>
    Completed,

    /// <summary>The tool ran and threw, or the call could not be parsed.</summary>
    Failed,

    /// <summary>The arguments did not match the tool's schema; the tool did not run (A02).</summary>
    InvalidArguments,

    /// <summary>The tool is unknown or outside the allow-list, or the user denied it; the tool did not run (A03, A04).</summary>
    Denied,

    /// <summary>The tool ran past its per-call timeout (A08).</summary>
    TimedOut,

    /// <summary>The tool needs approval; the run paused (A04).</summary>
    AwaitingApproval,
}
