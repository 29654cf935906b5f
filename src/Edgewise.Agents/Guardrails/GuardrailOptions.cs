namespace Edgewise.Agents.Guardrails;

/// <summary>
/// Local input and output checks for one agent. Every intervention is a <c>guardrail</c> run event (and so an
/// audit row). Null or empty properties mean "no check".
/// </summary>
public sealed class GuardrailOptions
{
    private int? _maxInputChars;
    private int? _maxOutputChars;

    /// <summary>Inputs longer than this are refused (the run ends with <c>content_filter</c>); 1–<see cref="Agent.MaxInputChars"/>.</summary>
    public int? MaxInputChars
    {
        get => _maxInputChars;
        set
        {
            if (value is { } n)
            {
                ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
                ArgumentOutOfRangeException.ThrowIfGreaterThan(n, Agent.MaxInputChars);
            }

            _maxInputChars = value;
        }
    }

    /// <summary>Answers longer than this are cut with a marker; at least 16.</summary>
    public int? MaxOutputChars
    {
        get => _maxOutputChars;
        set
        {
            if (value is { } n)
            {
                ArgumentOutOfRangeException.ThrowIfLessThan(n, 16);
            }

            _maxOutputChars = value;
        }
    }

    /// <summary>Terms (case-insensitive) that refuse an input, or withhold an answer, that contains them.</summary>
    public IList<string> BlockedTerms { get; } = [];

    /// <summary>True to replace e-mail addresses, phone numbers, card numbers and API keys/tokens with markers in input and output.</summary>
    public bool RedactPii { get; set; }

    internal bool FiltersOutput => RedactPii || BlockedTerms.Count > 0 || _maxOutputChars is not null;
}
