namespace Edgewise.Models.Remote;

/// <summary>Settings of a <see cref="BackendPoolChatClient"/>; null properties mean the documented default.</summary>
public sealed class BackendPoolOptions
{
    private TimeSpan? _healthCheckTimeout;
    private TimeSpan? _healthCacheDuration;

    /// <summary>How long a health check (<c>GET {endpoint}/models</c>) may take; null means 2 seconds.</summary>
    public TimeSpan? HealthCheckTimeout
    {
        get => _healthCheckTimeout;
        set => _healthCheckTimeout = value is { } v && v <= TimeSpan.Zero ? throw new ArgumentOutOfRangeException(nameof(value), "The health-check time-out must be positive.") : value;
    }

    /// <summary>How long a health result (good or bad) is trusted before the endpoint is checked again; null means 10 seconds.</summary>
    public TimeSpan? HealthCacheDuration
    {
        get => _healthCacheDuration;
        set => _healthCacheDuration = value is { } v && v < TimeSpan.Zero ? throw new ArgumentOutOfRangeException(nameof(value), "The health cache duration cannot be negative.") : value;
    }

    internal TimeSpan EffectiveHealthCheckTimeout => HealthCheckTimeout ?? TimeSpan.FromSeconds(2);

    internal TimeSpan EffectiveHealthCacheDuration => HealthCacheDuration ?? TimeSpan.FromSeconds(10);
}
