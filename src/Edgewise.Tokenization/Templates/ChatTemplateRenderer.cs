namespace Edgewise.Tokenization.Templates;

/// <summary>The prompt text a render produced and how it was produced.</summary>
/// <param name="Text">The rendered prompt.</param>
/// <param name="Family">The model template's detected family (the one whose built-in template is the fallback).</param>
/// <param name="UsedFallback">True when the built-in template produced <paramref name="Text"/>.</param>
/// <param name="Warnings">Fixed-text warnings (no template or message content), empty when all went well.</param>
public sealed record ChatTemplateRenderResult(string Text, ChatTemplateFamily Family, bool UsedFallback, IReadOnlyList<string> Warnings);

/// <summary>
/// Renders with the model's own chat template and falls back to the family's built-in template when the
/// model's template is missing, cannot be parsed, exceeds a cap or fails at render time (docs/security.md M10).
/// A template's own <c>raise_exception</c> (for example "roles must alternate") and invalid contexts are not
/// hidden: they propagate as <see cref="TemplateException"/>. Safe to use from several threads at once.
/// </summary>
public sealed class ChatTemplateRenderer
{
    private readonly string? _parseWarning;

    /// <summary>Prepares a renderer for one model.</summary>
    /// <param name="modelTemplate">The model's <c>tokenizer.chat_template</c> text, or null when it has none.</param>
    /// <param name="fallbackFamily">The family to fall back to when the text has no recognisable markers.</param>
    /// <param name="limits">Caps for parsing and rendering; null means <see cref="ChatTemplateLimits.Default"/>.</param>
    public ChatTemplateRenderer(string? modelTemplate, ChatTemplateFamily fallbackFamily = ChatTemplateFamily.Unknown, ChatTemplateLimits? limits = null)
    {
        var detected = ChatTemplateFamilies.Detect(modelTemplate);
        Family = detected != ChatTemplateFamily.Unknown ? detected
            : fallbackFamily != ChatTemplateFamily.Unknown ? fallbackFamily
            : ChatTemplateFamily.ChatMl;
        if (modelTemplate is null)
        {
            _parseWarning = "The model has no chat template; the built-in " + Family + " template is used.";
            return;
        }

        try
        {
            ModelTemplate = ChatTemplate.Parse(modelTemplate, limits);
        }
        catch (TemplateException ex)
        {
            _parseWarning = "The model's chat template was rejected (" + ex.Code + "); the built-in " + Family + " template is used.";
        }
    }

    /// <summary>The family whose built-in template is the fallback.</summary>
    public ChatTemplateFamily Family { get; }

    /// <summary>The model's parsed template, or null when it is missing or was rejected.</summary>
    public ChatTemplate? ModelTemplate { get; }

    /// <summary>Renders a conversation.</summary>
    /// <param name="context">Messages, tools, flags and variables.</param>
    /// <returns>The text and any warnings.</returns>
    /// <exception cref="TemplateException">The template raised an error itself, the context is invalid, or the fallback failed too.</exception>
    public ChatTemplateRenderResult Render(ChatTemplateContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        string warning;
        if (ModelTemplate is null)
        {
            warning = _parseWarning!;
        }
        else
        {
            try
            {
                return new ChatTemplateRenderResult(ModelTemplate.Render(context), Family, false, []);
            }
            catch (TemplateException ex) when (ex.Code is not (TemplateErrorCodes.Raised or TemplateErrorCodes.Context))
            {
                warning = "The model's chat template failed (" + ex.Code + "); the built-in " + Family + " template is used.";
            }
        }

        var text = ChatTemplateFamilies.BuiltIn(Family).Render(context);
        return new ChatTemplateRenderResult(text, Family, true, [warning]);
    }
}
