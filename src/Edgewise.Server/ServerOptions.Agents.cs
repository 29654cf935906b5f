using Edgewise.Agents.Configuration;

namespace Edgewise.Server;

/// <summary>The agent and session settings of the server.</summary>
public sealed partial class ServerOptions
{
    /// <summary>Settings of the agent routes (<c>/v1/agents</c>, <c>/v1/sessions</c>).</summary>
    public AgentServerOptions Agents { get; } = new();
}

/// <summary>
/// Settings of the agent routes. The agents themselves come from <see cref="ServerOptions.Configuration"/>; without
/// agents there, the routes answer an empty list and 404s and no session database is opened.
/// </summary>
public sealed class AgentServerOptions
{
    /// <summary>The file name of the session database under EDGEWISE_HOME (shared with <c>edgewise chat</c>).</summary>
    public const string DefaultDatabaseFileName = "agents.db";

    /// <summary>The SQLite session and audit database; null means <c>$EDGEWISE_HOME/agents.db</c>.</summary>
    public string? DatabasePath { get; set; }

    /// <summary>Where sessions, session leases and the audit log live (<c>storage.kind</c>); default SQLite.</summary>
    public AgentStorageKind StorageKind { get; set; } = AgentStorageKind.Sqlite;

    /// <summary>The Npgsql connection string for <see cref="AgentStorageKind.Postgres"/> (from <c>storage.connection_string_env</c>).</summary>
    public string? PostgresConnectionString { get; set; }

    /// <summary>How long a session lease outlives its last renewal in PostgreSQL (<c>storage.lease_duration</c>); default 30 s.</summary>
    public TimeSpan SessionLeaseDuration { get; set; } = Storage.PostgresStorageOptions.DefaultLeaseDuration;

    /// <summary>
    /// The C# tools agents may list by name, beside the <c>SERVER/TOOL</c> tools of MCP servers; empty by default (an
    /// embedding host registers its own, and validates the configuration against the same registry).
    /// </summary>
    public ToolRegistry Tools { get; set; } = new();

    /// <summary>How long an approval stays open before it counts as denied; null means the configuration's <c>limits.approval_timeout</c> (default 15 min).</summary>
    public TimeSpan? ApprovalTimeout { get; set; }

    /// <summary>How often sessions past <c>limits.session_retention</c> are deleted (they are also deleted on start); default 1 h.</summary>
    public TimeSpan RetentionSweepInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The clock of agent runs, approval expiry and retention; null means <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider? TimeProvider { get; set; }
}

/// <summary>The backends of the session store and audit log.</summary>
public enum AgentStorageKind
{
    /// <summary>One SQLite file under EDGEWISE_HOME, owned by one process (the single-device default).</summary>
    Sqlite,

    /// <summary>A PostgreSQL database shared by several gateways.</summary>
    Postgres,
}
