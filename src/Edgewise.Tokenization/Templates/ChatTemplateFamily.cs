namespace Edgewise.Tokenization.Templates;

/// <summary>Prompt formats with a built-in fallback template.</summary>
public enum ChatTemplateFamily
{
    /// <summary>No known markers; the fallback is ChatML.</summary>
    Unknown = 0,

    /// <summary>ChatML (<c>&lt;|im_start|&gt;role ... &lt;|im_end|&gt;</c>): Qwen, SmolLM, Hermes.</summary>
    ChatMl,

    /// <summary>Llama 3 headers (<c>&lt;|start_header_id|&gt;role&lt;|end_header_id|&gt;</c> ... <c>&lt;|eot_id|&gt;</c>).</summary>
    Llama3,

    /// <summary>Phi-3 (<c>&lt;|user|&gt;</c> ... <c>&lt;|end|&gt;</c>).</summary>
    Phi3,

    /// <summary>Gemma (<c>&lt;start_of_turn&gt;user</c> ... <c>&lt;end_of_turn&gt;</c>).</summary>
    Gemma,
}

/// <summary>Detects a template's family from its text and supplies the built-in templates.</summary>
public static class ChatTemplateFamilies
{
    private const string PartsMacro =
        "{%- macro text(content) -%}{%- if content is string -%}{{- content -}}{%- elif content is iterable -%}"
        + "{%- for part in content if part is mapping and part.type == 'text' -%}{{- part.text -}}{%- endfor -%}{%- endif -%}{%- endmacro -%}";

    private const string ToolCallsMacro =
        "{%- macro calls(message) -%}{%- if message.tool_calls is iterable -%}{%- for call in message.tool_calls -%}"
        + "{%- set f = call.function if call.function is defined else call -%}"
        + "{{- '\\n<tool_call>\\n{\"name\": \"' + f.name + '\", \"arguments\": ' -}}"
        + "{{- f.arguments if f.arguments is string else (f.arguments | tojson) -}}{{- '}\\n</tool_call>' -}}"
        + "{%- endfor -%}{%- endif -%}{%- endmacro -%}";

    private const string ChatMlTemplate = PartsMacro + ToolCallsMacro
        + "{%- if tools -%}{{- '<|im_start|>system\\n' -}}"
        + "{%- if messages and messages[0].role == 'system' -%}{{- text(messages[0].content) + '\\n\\n' -}}{%- endif -%}"
        + "{{- '# Tools\\n\\n<tools>' -}}{%- for tool in tools -%}{{- '\\n' + (tool | tojson) -}}{%- endfor -%}"
        + "{{- '\\n</tools><|im_end|>\\n' -}}{%- endif -%}"
        + "{%- for message in messages -%}{%- if not (tools and loop.first and message.role == 'system') -%}"
        + "{{- '<|im_start|>' + message.role + '\\n' + text(message.content) + calls(message) + '<|im_end|>\\n' -}}"
        + "{%- endif -%}{%- endfor -%}"
        + "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}";

    private const string Llama3Template = PartsMacro
        + "{{- bos_token -}}{%- for message in messages -%}"
        + "{%- set role = 'ipython' if message.role == 'tool' else message.role -%}"
        + "{{- '<|start_header_id|>' + role + '<|end_header_id|>\\n\\n' -}}"
        + "{%- if message.tool_calls is iterable and message.tool_calls -%}{%- for call in message.tool_calls -%}"
        + "{%- set f = call.function if call.function is defined else call -%}"
        + "{{- '{\"name\": \"' + f.name + '\", \"parameters\": ' -}}"
        + "{{- f.arguments if f.arguments is string else (f.arguments | tojson) -}}{{- '}' -}}{%- endfor -%}"
        + "{%- else -%}{{- text(message.content) | trim -}}{%- endif -%}{{- '<|eot_id|>' -}}{%- endfor -%}"
        + "{%- if add_generation_prompt -%}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' -}}{%- endif -%}";

    private const string Phi3Template = PartsMacro
        + "{%- for message in messages -%}"
        + "{{- '<|' + message.role + '|>\\n' + text(message.content) + '<|end|>\\n' -}}{%- endfor -%}"
        + "{%- if add_generation_prompt -%}{{- '<|assistant|>\\n' -}}{%- else -%}{{- eos_token -}}{%- endif -%}";

    private const string GemmaTemplate = PartsMacro
        + "{{- bos_token -}}{%- for message in messages -%}"
        + "{%- set role = 'model' if message.role == 'assistant' else 'user' -%}"
        + "{{- '<start_of_turn>' + role + '\\n' + (text(message.content) | trim) + '<end_of_turn>\\n' -}}{%- endfor -%}"
        + "{%- if add_generation_prompt -%}{{- '<start_of_turn>model\\n' -}}{%- endif -%}";

    private static readonly Lazy<ChatTemplate> s_chatMl = new(() => ChatTemplate.Parse(ChatMlTemplate));
    private static readonly Lazy<ChatTemplate> s_llama3 = new(() => ChatTemplate.Parse(Llama3Template));
    private static readonly Lazy<ChatTemplate> s_phi3 = new(() => ChatTemplate.Parse(Phi3Template));
    private static readonly Lazy<ChatTemplate> s_gemma = new(() => ChatTemplate.Parse(GemmaTemplate));

    /// <summary>Detects the family from marker strings in the template text.</summary>
    /// <param name="templateText">A chat template; null or empty gives <see cref="ChatTemplateFamily.Unknown"/>.</param>
    /// <returns>The detected family.</returns>
    public static ChatTemplateFamily Detect(string? templateText)
    {
        if (string.IsNullOrEmpty(templateText))
        {
            return ChatTemplateFamily.Unknown;
        }

        if (templateText.Contains("<|im_start|>", StringComparison.Ordinal))
        {
            return ChatTemplateFamily.ChatMl;
        }

        if (templateText.Contains("<|start_header_id|>", StringComparison.Ordinal))
        {
            return ChatTemplateFamily.Llama3;
        }

        if (templateText.Contains("<|user|>", StringComparison.Ordinal))
        {
            return ChatTemplateFamily.Phi3;
        }

        return templateText.Contains("<start_of_turn>", StringComparison.Ordinal) ? ChatTemplateFamily.Gemma : ChatTemplateFamily.Unknown;
    }

    /// <summary>
    /// The family to fall back to for a model of a GGUF architecture the engine does not run (gemma) that has no
    /// recognisable template; else Unknown (ChatML). An architecture the engine runs declares its own fallback, in its
    /// folder (<c>ModelArchitecture.ChatTemplateFallback</c> in Edgewise.Inference), so it is not repeated here.
    /// </summary>
    /// <param name="architecture">The value of <c>general.architecture</c>, or null.</param>
    /// <returns>The family.</returns>
    public static ChatTemplateFamily ForOtherArchitecture(string? architecture) => architecture switch
    {
        "gemma" or "gemma2" or "gemma3" => ChatTemplateFamily.Gemma,
        _ => ChatTemplateFamily.Unknown,
    };

    /// <summary>The built-in template of a family (ChatML for <see cref="ChatTemplateFamily.Unknown"/>).</summary>
    /// <param name="family">The family.</param>
    /// <returns>A parsed built-in template.</returns>
    public static ChatTemplate BuiltIn(ChatTemplateFamily family) => family switch
    {
        ChatTemplateFamily.Llama3 => s_llama3.Value,
        ChatTemplateFamily.Phi3 => s_phi3.Value,
        ChatTemplateFamily.Gemma => s_gemma.Value,
        _ => s_chatMl.Value,
    };
}
