using System.Globalization;
using System.Text.Json;
using Edgewise.Server.Errors;

namespace Edgewise.Server.Ollama;

/// <summary>
/// Ollama's <c>keep_alive</c>: a number of seconds or a Go duration string ("10m", "1h30m", "250ms", "0"). Zero unloads
/// the model as soon as the request ends; a negative value keeps it loaded until it is stopped or evicted; values
/// beyond <see cref="Longest"/> also mean "keep loaded" (timers cannot run that long). Absent or null: the model's own
/// setting, else the manager's default.
/// </summary>
internal static class OllamaKeepAlive
{
    /// <summary>The longest finite keep-alive; longer ones keep the model loaded.</summary>
    public static readonly TimeSpan Longest = TimeSpan.FromDays(24);

    /// <summary>The value the model manager reads as "never unload when idle".</summary>
    public static readonly TimeSpan Forever = Timeout.InfiniteTimeSpan;

    public static TimeSpan? Parse(JsonElement? value)
    {
        switch (value)
        {
            case null:
            case { ValueKind: JsonValueKind.Null }:
                return null;
            case { ValueKind: JsonValueKind.Number } n when n.TryGetDouble(out var seconds) && double.IsFinite(seconds):
                return FromSeconds(seconds);
            case { ValueKind: JsonValueKind.String } s when TryParseString(s.GetString()!, out var duration):
                return duration;
            default:
                throw ApiException.Invalid("keep_alive must be a number of seconds or a duration such as \"5m\" or \"1h30m\".", "keep_alive");
        }
    }

    private static TimeSpan FromSeconds(double seconds) =>
        seconds < 0 || seconds >= Longest.TotalSeconds ? Forever : TimeSpan.FromSeconds(seconds);

    private static bool TryParseString(string text, out TimeSpan duration)
    {
        duration = default;
        text = text.Trim();
        if (text.Length is 0 or > 64)
        {
            return false;
        }

        if (double.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var plain))
        {
            duration = FromSeconds(plain);
            return true;
        }

        var negative = text[0] == '-';
        var i = text[0] is '-' or '+' ? 1 : 0;
        if (i == text.Length)
        {
            return false;
        }

        var totalSeconds = 0.0;
        while (i < text.Length)
        {
            var start = i;
            while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '.'))
            {
                i++;
            }

            if (start == i || !double.TryParse(text.AsSpan(start, i - start), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                return false;
            }

            var unitStart = i;
            while (i < text.Length && !char.IsAsciiDigit(text[i]) && text[i] != '.')
            {
                i++;
            }

            double? scale = text.AsSpan(unitStart, i - unitStart) switch
            {
                "ns" => 1e-9,
                "us" or "µs" => 1e-6,
                "ms" => 1e-3,
                "s" => 1,
                "m" => 60,
                "h" => 3600,
                _ => null,
            };
            if (scale is not { } unit)
            {
                return false;
            }

            totalSeconds += number * unit;
        }

        duration = FromSeconds(negative ? -totalSeconds : totalSeconds);
        return true;
    }
}
