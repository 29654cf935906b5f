using System.Text.RegularExpressions;

namespace Edgewise.Agents.Guardrails;

/// <summary>
/// Replaces personal data and credentials with markers such as <c>[redacted:email]</c>: e-mail addresses, card
/// numbers (13–19 digits passing the Luhn check), phone numbers, API keys (<c>sk-…</c>, <c>ghp_…</c>,
/// <c>AKIA…</c>) and bearer tokens (A11).
/// </summary>
public static partial class PiiRedactor
{
    /// <summary><paramref name="text"/> with every match replaced; <paramref name="count"/> says how many.</summary>
    public static string Redact(string text, out int count)
    {
        ArgumentNullException.ThrowIfNull(text);
        var total = 0;
        var result = Secret().Replace(text, _ => Mark(ref total, "secret"));
        result = Bearer().Replace(result, _ => Mark(ref total, "secret"));
        result = Email().Replace(result, _ => Mark(ref total, "email"));
        result = CardCandidate().Replace(result, m => Luhn(m.Value) ? Mark(ref total, "card") : m.Value);
        result = Phone().Replace(result, m => Digits(m.Value) is >= 8 and <= 15 ? Mark(ref total, "phone") : m.Value);
        count = total;
        return result;
    }

    private static string Mark(ref int total, string kind)
    {
        total++;
        return $"[redacted:{kind}]";
    }

    private static int Digits(string value) => value.Count(char.IsAsciiDigit);

    private static bool Luhn(string value)
    {
        var sum = 0;
        var digits = 0;
        var alternate = false;
        for (var i = value.Length - 1; i >= 0; i--)
        {
            if (!char.IsAsciiDigit(value[i]))
            {
                continue;
            }

            var d = value[i] - '0';
            if (alternate)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }

            sum += d;
            digits++;
            alternate = !alternate;
        }

        return digits is >= 13 and <= 19 && sum % 10 == 0;
    }

    [GeneratedRegex(@"\b(?:sk|pk|rk)-[A-Za-z0-9_-]{16,}|\bghp_[A-Za-z0-9]{20,}|\bAKIA[0-9A-Z]{16}\b", RegexOptions.CultureInvariant, 200)]
    private static partial Regex Secret();

    [GeneratedRegex(@"\b[Bb]earer\s+[A-Za-z0-9._~+/-]{12,}=*", RegexOptions.CultureInvariant, 200)]
    private static partial Regex Bearer();

    [GeneratedRegex(@"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b", RegexOptions.CultureInvariant, 200)]
    private static partial Regex Email();

    [GeneratedRegex(@"\b\d(?:[ -]?\d){12,18}\b", RegexOptions.CultureInvariant, 200)]
    private static partial Regex CardCandidate();

    [GeneratedRegex(@"(?<![\w-])\+?\(?\d[\d\s().-]{6,}\d(?![\w-])", RegexOptions.CultureInvariant, 200)]
    private static partial Regex Phone();
}
