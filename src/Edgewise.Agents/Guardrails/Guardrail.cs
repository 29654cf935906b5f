namespace Edgewise.Agents.Guardrails;

/// <summary>Applies <see cref="GuardrailOptions"/> to a text.</summary>
internal static class Guardrail
{
    public const string WithheldOutput = "[The answer was withheld by a guardrail.]";
    public const string TruncatedOutput = "[truncated by a guardrail]";

    public static string? FindBlocked(GuardrailOptions options, string text)
    {
        foreach (var term in options.BlockedTerms)
        {
            if (!string.IsNullOrWhiteSpace(term) && text.Contains(term, StringComparison.OrdinalIgnoreCase))
            {
                return term;
            }
        }

        return null;
    }
}
