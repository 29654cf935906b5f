namespace Edgewise.Agents;

/// <summary>
/// The context budget of an agent and what happens when the session's history exceeds it. The window sent to the
/// model always starts at a user message, so a tool call is never separated from its result. Null properties
/// mean "no limit of that kind".
/// </summary>
public sealed class ContextWindowOptions
{
    private int? _maxMessages;
    private int? _maxChars;
    private int _summaryMaxChars = 2000;

    /// <summary>What to do with the oldest turns; default <see cref="ContextStrategy.Drop"/>.</summary>
    public ContextStrategy Strategy { get; set; } = ContextStrategy.Drop;

    /// <summary>The most history messages sent per model call (the summary note not counted); at least 2.</summary>
    public int? MaxMessages
    {
        get => _maxMessages;
        set
        {
            if (value is { } n)
            {
                ArgumentOutOfRangeException.ThrowIfLessThan(n, 2);
            }

            _maxMessages = value;
        }
    }

    /// <summary>The most characters of history sent per model call (a cheap stand-in for tokens); at least 256.</summary>
    public int? MaxChars
    {
        get => _maxChars;
        set
        {
            if (value is { } n)
            {
                ArgumentOutOfRangeException.ThrowIfLessThan(n, 256);
            }

            _maxChars = value;
        }
    }

    /// <summary>The longest summary kept, 100–16384 characters; default 2000.</summary>
    public int SummaryMaxChars
    {
        get => _summaryMaxChars;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 100);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 16384);
            _summaryMaxChars = value;
        }
    }
}

/// <summary>
/// What happens to turns that no longer fit the context budget: a wire value that may grow, with well-known values
/// as statics (compare with <c>==</c>).
/// </summary>
public readonly struct ContextStrategy : IEquatable<ContextStrategy>
{
    private readonly string? _value;

    /// <summary>Creates a strategy from its wire value.</summary>
    /// <exception cref="ArgumentException"><paramref name="value"/> is null or blank.</exception>
    public ContextStrategy(string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        _value = value;
    }

    /// <summary>The wire value, e.g. <c>summarize</c>.</summary>
    public string Value => _value ?? Drop.Value;

    /// <summary>The oldest turns are left out of what the model sees (they stay in the session).</summary>
    public static ContextStrategy Drop { get; } = new("drop");

    /// <summary>
    /// At the start of a run, the turns that no longer fit are summarized by one call to the agent's own model; the
    /// summary is sent as a system note before the remaining turns (the session keeps every message).
    /// </summary>
    public static ContextStrategy Summarize { get; } = new("summarize");

    /// <summary>Equal when the wire values are equal (ordinal).</summary>
    public static bool operator ==(ContextStrategy left, ContextStrategy right) => left.Equals(right);

    /// <summary>Not equal when the wire values differ (ordinal).</summary>
    public static bool operator !=(ContextStrategy left, ContextStrategy right) => !left.Equals(right);

    /// <inheritdoc/>
    public bool Equals(ContextStrategy other) => string.Equals(Value, other.Value, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is ContextStrategy other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Value);

    /// <inheritdoc/>
    public override string ToString() => Value;
}
