namespace Edgewise.Models.Remote;

/// <summary>The health of one backend of a failover list, as last checked.</summary>
/// <param name="Name">The backend's configured name.</param>
/// <param name="Endpoint">Its API base.</param>
/// <param name="Model">The model it serves.</param>
/// <param name="Healthy">Whether it answered its last health check or request.</param>
/// <param name="CheckedAt">When that was.</param>
public sealed record BackendStatus(string Name, Uri Endpoint, string Model, bool Healthy, DateTimeOffset CheckedAt);
