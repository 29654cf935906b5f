namespace Edgewise.Agents.Storage;

/// <summary>Durable sessions. Saves are atomic: a session is stored whole or not at all.</summary>
public interface ISessionStore
{
    /// <summary>The session with <paramref name="id"/>, or null when there is none.</summary>
    Task<AgentSession?> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores <paramref name="session"/> and increments its <see cref="AgentSession.Version"/>.
    /// </summary>
    /// <exception cref="SessionBusyException">The store holds a newer version than the session was loaded at (lost update refused, C01).</exception>
    Task SaveAsync(AgentSession session, CancellationToken cancellationToken = default);

    /// <summary>Deletes the session; false when there was none.</summary>
    Task<bool> DeleteAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Sessions, most recently updated first, optionally only those of <paramref name="owner"/>.</summary>
    Task<IReadOnlyList<SessionSummary>> ListAsync(string? owner = null, int limit = 100, CancellationToken cancellationToken = default);

    /// <summary>Deletes sessions last updated before <paramref name="cutoff"/>; returns how many (retention).</summary>
    Task<int> DeleteOlderThanAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default);
}

/// <summary>A session's header, for listings.</summary>
/// <param name="Id">The session id.</param>
/// <param name="AgentName">The agent, if set.</param>
/// <param name="Owner">The owner, if set.</param>
/// <param name="MessageCount">How many messages it holds.</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="UpdatedAt">When it last changed.</param>
public sealed record SessionSummary(string Id, string? AgentName, string? Owner, int MessageCount, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);
