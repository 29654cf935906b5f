namespace Edgewise.Tokenization.Templates;

/// <summary>
/// The one error a chat template can raise while it is parsed or rendered. <see cref="Code"/> is a stable
/// identifier from <see cref="TemplateErrorCodes"/>; the message is a fixed description plus, for
/// <see cref="TemplateErrorCodes.Raised"/>, the text the template passed to <c>raise_exception</c>.
/// </summary>
public sealed class TemplateException : Exception
{
    /// <summary>Creates an exception with no code (prefer the coded constructor).</summary>
    public TemplateException()
        : this(TemplateErrorCodes.Runtime, "Chat template error.")
    {
    }

    /// <summary>Creates an exception with the runtime code and a message.</summary>
    /// <param name="message">What went wrong.</param>
    public TemplateException(string message)
        : this(TemplateErrorCodes.Runtime, message)
    {
    }

    /// <summary>Creates an exception with the runtime code, a message and an inner exception.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public TemplateException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = TemplateErrorCodes.Runtime;
    }

    /// <summary>Creates an exception with a stable code and a message.</summary>
    /// <param name="code">One of <see cref="TemplateErrorCodes"/>.</param>
    /// <param name="message">What went wrong.</param>
    public TemplateException(string code, string message)
        : base(message)
    {
        ArgumentException.ThrowIfNullOrEmpty(code);
        Code = code;
    }

    /// <summary>The stable error code, one of <see cref="TemplateErrorCodes"/>.</summary>
    public string Code { get; }

    /// <summary>True when a resource cap (steps, output, time, depth, template size) was exceeded.</summary>
    public bool IsCapExceeded => TemplateErrorCodes.IsCap(Code);
}

/// <summary>Stable error codes carried by <see cref="TemplateException.Code"/>.</summary>
public static class TemplateErrorCodes
{
    /// <summary>The template text is longer than <see cref="ChatTemplateLimits.MaxTemplateBytes"/>.</summary>
    public const string TooLarge = "template.cap.size";

    /// <summary>Rendering took more node evaluations than <see cref="ChatTemplateLimits.MaxSteps"/>.</summary>
    public const string StepCap = "template.cap.steps";

    /// <summary>The output or an intermediate string grew past <see cref="ChatTemplateLimits.MaxOutputChars"/>.</summary>
    public const string OutputCap = "template.cap.output";

    /// <summary>Rendering ran longer than <see cref="ChatTemplateLimits.MaxDuration"/>.</summary>
    public const string TimeCap = "template.cap.time";

    /// <summary>Nesting (blocks, expressions, macro calls) went deeper than the interpreter allows.</summary>
    public const string DepthCap = "template.cap.depth";

    /// <summary>The template text is not valid template syntax.</summary>
    public const string Syntax = "template.syntax";

    /// <summary>The template uses a statement, filter, test or method this interpreter does not provide.</summary>
    public const string Unsupported = "template.unsupported";

    /// <summary>The template called <c>raise_exception</c>; the message is the template's own text.</summary>
    public const string Raised = "template.raised";

    /// <summary>An operation failed at render time (wrong types, bad arguments, unpacking).</summary>
    public const string Runtime = "template.runtime";

    /// <summary>The render context is invalid (for example a variable name that shadows a built-in).</summary>
    public const string Context = "template.context";

    /// <summary>True when <paramref name="code"/> names a resource cap.</summary>
    /// <param name="code">A code from this class.</param>
    /// <returns>Whether the code is one of the cap codes.</returns>
    public static bool IsCap(string code) =>
        code is TooLarge or StepCap or OutputCap or TimeCap or DepthCap;
}
