namespace Edgewise.Server.Tests.Alerts;

/// <summary>A clock tests move by hand; timers still run on the system clock.</summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
