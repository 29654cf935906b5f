namespace Edgewise.Models.Remote;

/// <summary>The health of one backend of a failover list, as last checked.</summary>
/// <param name="Name">The backend's configured name.</param>
/// <param name="Endpoint">Its API base.</param>
/// <param name="Model">The model it serves.</param>
/// <param name="Healthy">Whether it answered its last health check or request.</param>
/// <param name="CheckedAt">When that was.</param>
public sealed record BackendStatus(string Name, Uri Endpoint, string Model, bool Healthy, DateTimeOffset CheckedAt);

/// <summary>One backend of a <see cref="BackendPoolChatClient"/> as it stands now, for metrics and status pages.</summary>
/// <param name="Name">The backend's configured name.</param>
/// <param name="Endpoint">Its API base.</param>
/// <param name="Priority">Its failover rank (0 = the model's own backends).</param>
/// <param name="Weight">Its share among the backends of the same priority.</param>
/// <param name="Healthy">Its last known health; null before it was first checked or used.</param>
/// <param name="Outstanding">Requests it is answering now (streams count until they end).</param>
/// <param name="Requests">Requests sent to it since the pool was created.</param>
/// <param name="Failures">Of those, the ones that failed for a reason of the backend's (connection, time-out, 5xx, broken stream).</param>
public sealed record BackendSnapshot(string Name, Uri Endpoint, int Priority, int Weight, bool? Healthy, int Outstanding, long Requests, long Failures);
