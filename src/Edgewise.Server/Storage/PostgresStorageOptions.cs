namespace Edgewise.Server.Storage;

/// <summary>Where and how the PostgreSQL store is kept (<c>storage: { kind: postgres }</c> in edgewise.yaml).</summary>
public sealed class PostgresStorageOptions
{
    /// <summary>The default <see cref="LeaseDuration"/>.</summary>
    public static readonly TimeSpan DefaultLeaseDuration = TimeSpan.FromSeconds(30);

    /// <summary>An Npgsql connection string. Tables go to the first schema of its search path (default <c>public</c>).</summary>
    public required string ConnectionString { get; init; }

    /// <summary>
    /// How long a session lease lives without renewal. A holder renews it every third of this while its run goes on,
    /// so a crashed gateway's sessions are free again at most this long after it died. Default 30 s; at least 3 s.
    /// </summary>
    public TimeSpan LeaseDuration { get; init; } = DefaultLeaseDuration;
}
