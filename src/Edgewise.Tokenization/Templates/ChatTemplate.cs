using System.Text;

namespace Edgewise.Tokenization.Templates;

/// <summary>
/// A parsed chat template (the <c>tokenizer.chat_template</c> Jinja text of a model), rendered by a sandboxed
/// interpreter of the Jinja subset Hugging Face's renderer supports, with the same output character for
/// character. Templates only see JSON-like values; steps, output size, time and nesting are capped.
/// Instances are immutable and safe to render from several threads at once.
/// </summary>
public sealed class ChatTemplate
{
    private readonly TemplateBody _body;

    private ChatTemplate(string source, TemplateBody body, ChatTemplateLimits limits)
    {
        Source = source;
        _body = body;
        Limits = limits;
    }

    /// <summary>The template text as given.</summary>
    public string Source { get; }

    /// <summary>The caps renders use unless the context names its own.</summary>
    public ChatTemplateLimits Limits { get; }

    /// <summary>Parses template text.</summary>
    /// <param name="source">The Jinja template text.</param>
    /// <param name="limits">Caps; null means <see cref="ChatTemplateLimits.Default"/>.</param>
    /// <returns>The parsed template.</returns>
    /// <exception cref="TemplateException">The text is too large, malformed, or uses an unsupported statement.</exception>
    public static ChatTemplate Parse(string source, ChatTemplateLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        limits ??= ChatTemplateLimits.Default;
        if (source.Length > limits.MaxTemplateBytes || Encoding.UTF8.GetByteCount(source) > limits.MaxTemplateBytes)
        {
            throw new TemplateException(TemplateErrorCodes.TooLarge, "The template is larger than the template size cap.");
        }

        var tokens = Lexer.Tokenize(source);
        return new ChatTemplate(source, Parser.Parse(tokens, limits.MaxDepth), limits);
    }

    /// <summary>Renders the template for a conversation.</summary>
    /// <param name="context">Messages, tools, flags and variables.</param>
    /// <returns>The prompt text.</returns>
    /// <exception cref="TemplateException">A cap was exceeded, the template raised an error, or an operation failed.</exception>
    public string Render(ChatTemplateContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var budget = new Budget(context.Limits ?? Limits);
        var globals = Globals.Create(context, budget);
        return new Evaluator(budget).Render(_body, globals);
    }
}
