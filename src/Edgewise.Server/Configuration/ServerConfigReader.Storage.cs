using Edgewise.Configuration;
using Edgewise.Server.Storage;

namespace Edgewise.Server.Configuration;

/// <summary>The <c>storage</c> section of <c>edgewise.yaml</c>: where sessions, approvals and the audit log live.</summary>
/// <example>
/// <code>
/// storage:
///   kind: postgres                    # default sqlite: $EDGEWISE_HOME/agents.db
///   connection_string_env: EDGEWISE_PG
///   lease_duration: 30s               # how long a dead gateway's sessions stay busy
/// </code>
/// </example>
public static partial class ServerConfigReader
{
    private static readonly string[] s_storageKeys = ["kind", "connection_string_env", "lease_duration"];

    private static void ReadStorage(YamlNodeReader root, ServerOptions options)
    {
        foreach (var (key, section) in root.Mapping())
        {
            if (key != "storage" || section.IsNull)
            {
                continue;
            }

            var entries = section.Mapping(s_storageKeys).ToList();
            var kind = AgentStorageKind.Sqlite;
            foreach (var (_, value) in entries.Where(e => e.Key == "kind"))
            {
                kind = value.String() switch
                {
                    "sqlite" => AgentStorageKind.Sqlite,
                    "postgres" => AgentStorageKind.Postgres,
                    _ => throw value.Error("expected sqlite or postgres"),
                };
            }

            string? connection = null;
            var lease = PostgresStorageOptions.DefaultLeaseDuration;
            foreach (var (name, value) in entries)
            {
                switch (name)
                {
                    case "connection_string_env":
                        connection = Environment.GetEnvironmentVariable(value.String());
                        if (string.IsNullOrWhiteSpace(connection))
                        {
                            throw value.Error("the environment variable is not set or empty");
                        }

                        break;
                    case "lease_duration":
                        lease = value.Duration();
                        if (lease < TimeSpan.FromSeconds(3) || lease > TimeSpan.FromHours(1))
                        {
                            throw value.Error("expected from 3s to 1h");
                        }

                        break;
                }
            }

            if (kind == AgentStorageKind.Postgres && connection is null)
            {
                throw section.Error("kind postgres needs connection_string_env, the environment variable holding the Npgsql connection string");
            }

            if (kind == AgentStorageKind.Sqlite && connection is not null)
            {
                throw entries.First(e => e.Key == "connection_string_env").Value.Error("only kind postgres takes a connection string");
            }

            options.Agents.StorageKind = kind;
            options.Agents.PostgresConnectionString = connection;
            options.Agents.SessionLeaseDuration = lease;
        }
    }
}
