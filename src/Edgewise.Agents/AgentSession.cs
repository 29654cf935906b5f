using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.AI;

namespace Edgewise.Agents;

/// <summary>
/// A conversation with an agent: its history, small key/value state and pending approvals. Serializable to JSON
/// (<see cref="ToJson"/>/<see cref="FromJson"/>) so stores can persist it. One run at a time: a second concurrent
/// run on the same session throws <see cref="SessionBusyException"/> (C01).
/// </summary>
public sealed class AgentSession
{
    private int _busy;

    /// <summary>A new, empty session with a fresh id.</summary>
    public AgentSession()
        : this(NewId())
    {
    }

    /// <summary>A new, empty session with the given id.</summary>
    /// <exception cref="ArgumentException"><paramref name="id"/> is blank or longer than 128 characters.</exception>
    public AgentSession(string id)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        if (id.Length > 128)
        {
            throw new ArgumentException("Session ids are at most 128 characters.", nameof(id));
        }

        Id = id;
        CreatedAt = DateTimeOffset.UtcNow;
        UpdatedAt = CreatedAt;
    }

    /// <summary>The session id: 128 random bits as 32 lowercase hex characters unless given (A13).</summary>
    public string Id { get; }

    /// <summary>The agent this session belongs to; set by the first run.</summary>
    public string? AgentName { get; set; }

    /// <summary>
    /// The owner of sessions created where no API key names the caller: <c>edgewise chat</c>, and the server while no
    /// API keys are configured. Such sessions are one store: a terminal session is reachable over HTTP without keys.
    /// </summary>
    public const string LocalOwner = "local";

    /// <summary>
    /// The owner for the server's ownership checks: <see cref="LocalOwner"/> or a hash of the creating API key. Null
    /// (sessions saved before owners were recorded) counts as <see cref="LocalOwner"/>.
    /// </summary>
    public string? Owner { get; set; }

    /// <summary>True when this session must never leave the device (no escalation).</summary>
    public bool IsPrivate { get; set; }

    /// <summary>The conversation, oldest first, without the agent's instructions.</summary>
    public IList<ChatMessage> Messages { get; } = [];

    /// <summary>Small application state carried with the conversation.</summary>
    public IDictionary<string, string> State { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Tool calls waiting for approval; a run with pending approvals pauses until they are answered.</summary>
    public IList<ApprovalRequest> PendingApprovals { get; } = [];

    /// <summary>When the session was created.</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When a run last changed the session.</summary>
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>The version a store saw last; stores use it to refuse lost updates.</summary>
    public long Version { get; set; }

    /// <summary>A new 128-bit random id as 32 lowercase hex characters.</summary>
    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>The session as JSON (messages with their function calls and results, state, approvals).</summary>
    public string ToJson() => JsonSerializer.Serialize(SessionDocument.From(this), AgentsJsonContext.Info<SessionDocument>(SessionJson.Options));

    /// <summary>A session from <see cref="ToJson"/>'s output.</summary>
    /// <exception cref="JsonException">The text is not a session document.</exception>
    public static AgentSession FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var document = JsonSerializer.Deserialize(json, AgentsJsonContext.Info<SessionDocument>(SessionJson.Options))
            ?? throw new JsonException("The session document is null.");
        try
        {
            return document.ToSession();
        }
        catch (ArgumentException ex)
        {
            throw new JsonException("The session document is invalid.", ex);
        }
    }

    internal void Enter()
    {
        if (Interlocked.Exchange(ref _busy, 1) != 0)
        {
            throw new SessionBusyException(Id);
        }
    }

    internal void Exit() => Volatile.Write(ref _busy, 0);

    internal sealed class SessionDocument
    {
        [JsonPropertyName("id")]
        public string Id { get; set; } = string.Empty;

        [JsonPropertyName("agent")]
        public string? AgentName { get; set; }

        [JsonPropertyName("owner")]
        public string? Owner { get; set; }

        [JsonPropertyName("private")]
        public bool IsPrivate { get; set; }

        [JsonPropertyName("created_at")]
        public DateTimeOffset CreatedAt { get; set; }

        [JsonPropertyName("updated_at")]
        public DateTimeOffset UpdatedAt { get; set; }

        [JsonPropertyName("version")]
        public long Version { get; set; }

        [JsonPropertyName("messages")]
        public List<ChatMessage> Messages { get; set; } = [];

        [JsonPropertyName("state")]
        public Dictionary<string, string> State { get; set; } = [];

        [JsonPropertyName("pending_approvals")]
        public List<ApprovalRequest> PendingApprovals { get; set; } = [];

        public static SessionDocument From(AgentSession session) => new()
        {
            Id = session.Id,
            AgentName = session.AgentName,
            Owner = session.Owner,
            IsPrivate = session.IsPrivate,
            CreatedAt = session.CreatedAt,
            UpdatedAt = session.UpdatedAt,
            Version = session.Version,
            Messages = [.. session.Messages],
            State = new Dictionary<string, string>(session.State, StringComparer.Ordinal),
            PendingApprovals = [.. session.PendingApprovals],
        };

        public AgentSession ToSession()
        {
            var session = new AgentSession(Id)
            {
                AgentName = AgentName,
                Owner = Owner,
                IsPrivate = IsPrivate,
                CreatedAt = CreatedAt,
                UpdatedAt = UpdatedAt,
                Version = Version,
            };
            foreach (var message in Messages)
            {
                session.Messages.Add(message);
            }

            foreach (var (key, value) in State)
            {
                session.State[key] = value;
            }

            foreach (var request in PendingApprovals)
            {
                session.PendingApprovals.Add(request);
            }

            return session;
        }
    }
}
