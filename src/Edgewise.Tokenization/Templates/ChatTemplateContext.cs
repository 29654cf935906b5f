using System.Text.Json.Nodes;

namespace Edgewise.Tokenization.Templates;

/// <summary>
/// What a chat template sees when it renders: the conversation in the OpenAI/Hugging Face message shape
/// (role, content as a string or a list of parts, tool_calls with function.name and function.arguments,
/// tool_call_id, name, reasoning_content), the tool definitions, the generation-prompt flag, the special
/// tokens and any extra variables (for example <c>date_string</c> or <c>enable_thinking</c>).
/// </summary>
public sealed class ChatTemplateContext
{
    /// <summary>The conversation, a JSON array of message objects.</summary>
    public required JsonArray Messages { get; init; }

    /// <summary>Tool definitions (<c>{"type":"function","function":{...}}</c>); null renders as <c>tools = none</c>.</summary>
    public JsonArray? Tools { get; init; }

    /// <summary>Whether to end with the header of an assistant turn. Default false.</summary>
    public bool AddGenerationPrompt { get; init; }

    /// <summary>The beginning-of-sequence token text; null leaves <c>bos_token</c> undefined (renders as nothing).</summary>
    public string? BosToken { get; init; }

    /// <summary>The end-of-sequence token text; null leaves <c>eos_token</c> undefined (renders as nothing).</summary>
    public string? EosToken { get; init; }

    /// <summary>Extra template variables by name. A name that repeats a built-in or a field above is rejected.</summary>
    public IReadOnlyDictionary<string, JsonNode?>? Variables { get; init; }

    /// <summary>The clock <c>strftime_now</c> reads (its local date and time are used); null means now.</summary>
    public DateTimeOffset? Now { get; init; }

    /// <summary>Caps for this render; null uses the template's limits.</summary>
    public ChatTemplateLimits? Limits { get; init; }
}
