using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Edgewise.Agents;
using Edgewise.Agents.Storage;

namespace Edgewise.Server.Storage;

/// <summary>
/// The row shape the SQLite and PostgreSQL session stores share: a header row (agent, owner, private, created_at,
/// updated_at, version, state, pending_approvals) plus one row per message, each column mapped to and from
/// <see cref="AgentSession"/>'s JSON the same way in both, and the version check that refuses a stale save (C01).
/// </summary>
internal static class SessionRows
{
    /// <summary>A session split into what its rows store: each message's JSON, and the state and pending approvals as JSON.</summary>
    public static (List<string> Messages, string State, string PendingApprovals) Split(AgentSession session)
    {
        using var document = JsonDocument.Parse(session.ToJson());
        var root = document.RootElement;
        var messages = new List<string>();
        foreach (var message in root.GetProperty("messages").EnumerateArray())
        {
            messages.Add(message.GetRawText());
        }

        return (messages, root.GetProperty("state").GetRawText(), root.GetProperty("pending_approvals").GetRawText());
    }

    /// <summary>Throws <see cref="SessionBusyException"/> when the stored row has moved past the version <paramref name="session"/> was read at.</summary>
    public static void CheckVersion(AgentSession session, long? storedVersion)
    {
        if (storedVersion is { } version && version != session.Version)
        {
            throw new SessionBusyException(session.Id);
        }
    }

    /// <summary>
    /// Opens the session's JSON object and writes its header from <paramref name="header"/>, whose columns are agent,
    /// owner, private, created_at, updated_at, version, state, pending_approvals in that order; the caller writes the
    /// <c>messages</c> array and closes the object.
    /// </summary>
    public static void WriteHeader(Utf8JsonWriter writer, string id, DbDataReader header)
    {
        writer.WriteStartObject();
        writer.WriteString("id", id);
        WriteNullable(writer, "agent", header, 0);
        WriteNullable(writer, "owner", header, 1);
        writer.WriteBoolean("private", header.GetBoolean(2));
        writer.WriteString("created_at", DateTimeOffset.Parse(header.GetString(3), CultureInfo.InvariantCulture));
        writer.WriteString("updated_at", DateTimeOffset.Parse(header.GetString(4), CultureInfo.InvariantCulture));
        writer.WriteNumber("version", header.GetInt64(5));
        writer.WritePropertyName("state");
        writer.WriteRawValue(header.GetString(6));
        writer.WritePropertyName("pending_approvals");
        writer.WriteRawValue(header.GetString(7));
    }

    /// <summary>A listing row: id, agent, owner, message_count, created_at, updated_at in that order.</summary>
    public static SessionSummary Summary(DbDataReader row) => new(
        row.GetString(0),
        row.IsDBNull(1) ? null : row.GetString(1),
        row.IsDBNull(2) ? null : row.GetString(2),
        row.GetInt32(3),
        DateTimeOffset.Parse(row.GetString(4), CultureInfo.InvariantCulture),
        DateTimeOffset.Parse(row.GetString(5), CultureInfo.InvariantCulture));

    private static void WriteNullable(Utf8JsonWriter writer, string name, DbDataReader reader, int ordinal)
    {
        if (reader.IsDBNull(ordinal))
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, reader.GetString(ordinal));
        }
    }
}
