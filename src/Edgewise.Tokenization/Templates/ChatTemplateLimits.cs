namespace Edgewise.Tokenization.Templates;

/// <summary>
/// Resource caps for parsing and rendering a chat template (docs/security.md M10/G35). Exceeding any of them
/// raises a <see cref="TemplateException"/> whose <see cref="TemplateException.IsCapExceeded"/> is true.
/// </summary>
public sealed record ChatTemplateLimits
{
    /// <summary>
    /// The defaults: 250,000 steps, 1 Mi output chars, 1 s, 256 KiB of template text. The step cap is the
    /// deterministic defence (a published template renders a long tool-calling conversation in a few thousand
    /// steps); the time cap is a backstop set high enough that a busy machine never falls back by accident.
    /// </summary>
    public static ChatTemplateLimits Default { get; } = new();

    /// <summary>Most node evaluations (plus one per produced list element) a render may take. Default 250,000.</summary>
    public long MaxSteps { get; init; } = 250_000;

    /// <summary>Longest output or intermediate string, in UTF-16 chars. Default 1 Mi (1,048,576).</summary>
    public int MaxOutputChars { get; init; } = 1 << 20;

    /// <summary>Longest wall-clock time a render may take. Default 1 s.</summary>
    public TimeSpan MaxDuration { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Largest template source accepted by the parser, in UTF-8 bytes. Default 256 KiB.</summary>
    public int MaxTemplateBytes { get; init; } = 256 * 1024;

    /// <summary>Deepest nesting of blocks, expressions and macro calls. Default 500.</summary>
    public int MaxDepth { get; init; } = 500;
}
