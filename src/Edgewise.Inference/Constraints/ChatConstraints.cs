using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Edgewise.Inference.Constraints;

/// <summary>
/// Picks the constraint a chat request asks for. Precedence: an explicit <see cref="Constraint"/> in
/// <see cref="ChatOptions.AdditionalProperties"/> (<see cref="ConstraintKey"/>), then choices
/// (<see cref="ChoicesKey"/>), then a required tool call (<see cref="ChatToolMode.RequireAny"/> or a named
/// function), then <see cref="ChatOptions.ResponseFormat"/> (JSON object or JSON schema), then tool mode auto with
/// tools offered (a lazy tool-call constraint). <see cref="NoneChatToolMode"/> offers no calls.
/// </summary>
public static class ChatConstraints
{
    /// <summary>Key of an <see cref="ChatOptions.AdditionalProperties"/> entry holding a <see cref="Constraint"/>.</summary>
    public const string ConstraintKey = "edgewise.constraint";

    /// <summary>Key of an <see cref="ChatOptions.AdditionalProperties"/> entry holding the strings (<c>IEnumerable&lt;string&gt;</c>) the output must be one of.</summary>
    public const string ChoicesKey = "edgewise.choices";

    /// <summary>The constraint for <paramref name="options"/>, or null for free text.</summary>
    /// <param name="options">The request options.</param>
    /// <param name="format">The model family's tool-call format.</param>
    /// <exception cref="UnsupportedSchemaFeatureException">A response or tool schema cannot be enforced.</exception>
    /// <exception cref="ArgumentException">A required function is not among the tools, or the choices are invalid.</exception>
    public static Constraint? FromOptions(ChatOptions? options, ToolCallFormat format)
    {
        if (options is null)
        {
            return null;
        }

        if (Requested(options) is { } requested)
        {
            return requested;
        }

        var tools = options.Tools?.OfType<AIFunctionDeclaration>().ToList() ?? [];
        var multiple = options.AllowMultipleToolCalls == true ? 8 : 1;
        if (tools.Count > 0 && options.ToolMode is RequiredChatToolMode required)
        {
            return new ToolCallConstraint(tools, format, required.RequiredFunctionName, lazy: false, maxCalls: multiple);
        }

        if (ForResponseFormat(options) is { } response)
        {
            return response;
        }

        return tools.Count > 0 && options.ToolMode is not NoneChatToolMode
            ? new ToolCallConstraint(tools, format, requiredTool: null, lazy: true, maxCalls: multiple)
            : null;
    }

    /// <summary>
    /// The constraint that the text of a finished answer to <paramref name="options"/> must keep when the answer calls no
    /// tool: the same precedence as <see cref="FromOptions"/>, but null where the answer is tool calls (a required tool)
    /// or free text (no response format, or tools in auto mode without one).
    /// </summary>
    /// <exception cref="UnsupportedSchemaFeatureException">The response schema cannot be checked.</exception>
    public static Constraint? ForAnswerText(ChatOptions? options)
    {
        if (options is null)
        {
            return null;
        }

        if (Requested(options) is { } requested)
        {
            return requested;
        }

        if (options.Tools?.OfType<AIFunctionDeclaration>().Any() == true && options.ToolMode is RequiredChatToolMode)
        {
            return null;
        }

        return ForResponseFormat(options);
    }

    /// <summary>The constraint of <see cref="ChatOptions.ResponseFormat"/>: a JSON schema or any JSON object; null for text.</summary>
    private static Constraint? ForResponseFormat(ChatOptions options) => options.ResponseFormat switch
    {
        ChatResponseFormatJson { Schema: { } schema } => Constraint.ForJsonSchema(schema),
        ChatResponseFormatJson => Constraint.ForJsonObject(),
        _ => null,
    };

    /// <summary>The constraint named in <see cref="ChatOptions.AdditionalProperties"/> (<see cref="ConstraintKey"/>, then <see cref="ChoicesKey"/>), if any.</summary>
    private static Constraint? Requested(ChatOptions options)
    {
        if (options.AdditionalProperties is not { } extra)
        {
            return null;
        }

        if (extra.TryGetValue(ConstraintKey, out var explicitConstraint) && explicitConstraint is Constraint constraint)
        {
            return constraint;
        }

        return extra.TryGetValue(ChoicesKey, out var choices) && choices is IEnumerable<string> list ? new ChoiceConstraint(list) : null;
    }

    /// <summary>The tools of <paramref name="options"/> as chat-template <c>tools</c> entries (OpenAI function shape).</summary>
    internal static List<JsonElement> ToolDefinitions(ChatOptions? options)
    {
        var list = new List<JsonElement>();
        if (options?.Tools is null || options.ToolMode is NoneChatToolMode)
        {
            return list;
        }

        foreach (var tool in options.Tools.OfType<AIFunctionDeclaration>())
        {
            using var stream = new MemoryStream();
            using (var writer = new Utf8JsonWriter(stream))
            {
                writer.WriteStartObject();
                writer.WriteString("type", "function");
                writer.WriteStartObject("function");
                writer.WriteString("name", tool.Name);
                writer.WriteString("description", tool.Description);
                writer.WritePropertyName("parameters");
                if (tool.JsonSchema.ValueKind == JsonValueKind.Undefined)
                {
                    writer.WriteStartObject();
                    writer.WriteEndObject();
                }
                else
                {
                    tool.JsonSchema.WriteTo(writer);
                }

                writer.WriteEndObject();
                writer.WriteEndObject();
            }

            using var document = JsonDocument.Parse(stream.ToArray());
            list.Add(document.RootElement.Clone());
        }

        return list;
    }
}
