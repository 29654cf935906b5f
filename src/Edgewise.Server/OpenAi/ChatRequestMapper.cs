using System.Globalization;
using System.Text.Json;
using Edgewise.Server.Errors;
using Edgewise.Server.Http;
using Microsoft.Extensions.AI;

namespace Edgewise.Server.OpenAi;

/// <summary>A validated chat request in Microsoft.Extensions.AI terms.</summary>
internal sealed record ChatCall(string Model, IReadOnlyList<ChatMessage> Messages, ChatOptions Options, bool Stream, bool IncludeUsage);

/// <summary>
/// Validates an OpenAI chat request and converts it to <see cref="ChatMessage"/>s and <see cref="ChatOptions"/>. Every
/// range and type check names its <c>param</c> (H07) and the generation caps of docs/security.md §3 apply: max_tokens ≤ 4096,
/// n = 1, ≤ 4 stop strings, top_logprobs ≤ 20. Nothing invalid reaches the engine.
/// </summary>
internal static class ChatRequestMapper
{
    public const int MaxOutputTokens = 4096;
    public const int MaxStopSequences = 4;
    public const int MaxTopLogprobs = 20;
    public const int MaxMessages = 4096;
    public const int MaxTools = 128;

    public static ChatCall Map(ChatCompletionRequest request)
    {
        var model = ModelName(request.Model);
        var messages = Messages(request.Messages);
        var options = new ChatOptions
        {
            ModelId = model,
            Temperature = (float?)Range(request.Temperature, 0, 2, "temperature"),
            TopP = (float?)Range(request.TopP, 0, 1, "top_p"),
            FrequencyPenalty = (float?)Range(request.FrequencyPenalty, -2, 2, "frequency_penalty"),
            PresencePenalty = (float?)Range(request.PresencePenalty, -2, 2, "presence_penalty"),
            TopK = IntRange(request.TopK, 0, 1000, "top_k"),
            MaxOutputTokens = MaxTokens(request) ?? MaxOutputTokens,
            Seed = request.Seed,
            StopSequences = Stop(request.Stop),
        };
        if (request.N is { } n && n != 1)
        {
            throw ApiException.Invalid("Only n = 1 is supported.", "n");
        }

        var topLogprobs = IntRange(request.TopLogprobs, 0, MaxTopLogprobs, "top_logprobs");
        if (topLogprobs is not null && request.Logprobs != true)
        {
            throw ApiException.Invalid("top_logprobs requires logprobs to be true.", "top_logprobs");
        }

        if (request.Logprobs == true)
        {
            Logprobs.Request(options, topLogprobs ?? 0);
        }

        if (request.LogitBias is { Count: > 0 })
        {
            throw ApiException.Invalid("logit_bias is not supported by this server.", "logit_bias");
        }

        Tools(request, options);
        options.ResponseFormat = ResponseFormat(request.ResponseFormat);
        var stream = request.Stream ?? false;
        if (!stream && request.StreamOptions is not null)
        {
            throw ApiException.Invalid("stream_options is only allowed when stream is true.", "stream_options");
        }

        return new ChatCall(model, messages, options, stream, request.StreamOptions?.IncludeUsage ?? false);
    }

    public static string ModelName(string? model)
    {
        if (string.IsNullOrWhiteSpace(model))
        {
            throw ApiException.Invalid("The model parameter is required.", "model", ErrorCodes.MissingField);
        }

        if (model.Length > 256 || model.Any(char.IsControl))
        {
            throw ApiException.Invalid("The model name is not valid.", "model", ErrorCodes.InvalidModelName);
        }

        return model;
    }

    private static List<ChatMessage> Messages(List<ChatMessageDto?>? dtos)
    {
        if (dtos is null || dtos.Count == 0)
        {
            throw ApiException.Invalid("messages must be a non-empty array.", "messages", dtos is null ? ErrorCodes.MissingField : ErrorCodes.InvalidValue);
        }

        if (dtos.Count > MaxMessages)
        {
            throw ApiException.Invalid("Too many messages.", "messages");
        }

        var messages = new List<ChatMessage>(dtos.Count);
        for (var i = 0; i < dtos.Count; i++)
        {
            var dto = dtos[i] ?? throw ApiException.Invalid("A message must be an object.", Param(i, null));
            messages.Add(Message(dto, i));
        }

        return messages;
    }

    private static ChatMessage Message(ChatMessageDto dto, int i)
    {
        var role = dto.Role switch
        {
            "system" or "developer" => ChatRole.System,
            "user" => ChatRole.User,
            "assistant" => ChatRole.Assistant,
            "tool" => ChatRole.Tool,
            null => throw ApiException.Invalid("Each message needs a role.", Param(i, "role"), ErrorCodes.MissingField),
            _ => throw ApiException.Invalid("The role must be system, developer, user, assistant or tool.", Param(i, "role")),
        };
        var text = Text(dto.Content, i);
        var message = new ChatMessage(role, []) { AuthorName = string.IsNullOrEmpty(dto.Name) ? null : dto.Name };
        if (role == ChatRole.Tool)
        {
            if (string.IsNullOrEmpty(dto.ToolCallId))
            {
                throw ApiException.Invalid("A tool message needs tool_call_id.", Param(i, "tool_call_id"), ErrorCodes.MissingField);
            }

            message.Contents.Add(new FunctionResultContent(dto.ToolCallId, text ?? string.Empty));
            return message;
        }

        if (text is not null)
        {
            message.Contents.Add(new TextContent(text));
        }

        if (dto.ToolCalls is { Count: > 0 } calls)
        {
            if (role != ChatRole.Assistant)
            {
                throw ApiException.Invalid("Only assistant messages may carry tool_calls.", Param(i, "tool_calls"));
            }

            for (var j = 0; j < calls.Count; j++)
            {
                message.Contents.Add(ToolCall(calls[j], i, j));
            }
        }
        else if (text is null && role != ChatRole.Assistant)
        {
            throw ApiException.Invalid("The message content is required.", Param(i, "content"), ErrorCodes.MissingField);
        }

        return message;
    }

    private static FunctionCallContent ToolCall(ToolCallDto? call, int i, int j)
    {
        var param = $"messages[{i}].tool_calls[{j}]";
        if (call?.Function?.Name is not { Length: > 0 } name || string.IsNullOrEmpty(call.Id))
        {
            throw ApiException.Invalid("A tool call needs an id and a function name.", param, ErrorCodes.MissingField);
        }

        Dictionary<string, object?>? arguments;
        try
        {
            arguments = string.IsNullOrWhiteSpace(call.Function.Arguments)
                ? []
                : JsonSerializer.Deserialize(call.Function.Arguments, ServerJsonContext.Info<Dictionary<string, object?>>(ServerJsonContext.BodyOptions));
        }
        catch (JsonException)
        {
            throw ApiException.Invalid("Tool call arguments must be a JSON object.", param + ".function.arguments");
        }

        return new FunctionCallContent(call.Id, name, arguments ?? []);
    }

    private static string? Text(JsonElement? content, int i)
    {
        if (content is not { } c || c.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (c.ValueKind == JsonValueKind.String)
        {
            return c.GetString();
        }

        if (c.ValueKind != JsonValueKind.Array)
        {
            throw ApiException.Invalid("The content must be a string or an array of text parts.", Param(i, "content"));
        }

        var text = new System.Text.StringBuilder();
        foreach (var part in c.EnumerateArray())
        {
            if (part.ValueKind != JsonValueKind.Object
                || !part.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || type.GetString() != "text"
                || !part.TryGetProperty("text", out var value) || value.ValueKind != JsonValueKind.String)
            {
                throw ApiException.Invalid("Only text content parts are supported.", Param(i, "content"));
            }

            text.Append(value.GetString());
        }

        return text.ToString();
    }

    private static int? MaxTokens(ChatCompletionRequest request)
    {
        var param = request.MaxCompletionTokens is not null ? "max_completion_tokens" : "max_tokens";
        return IntRange(request.MaxCompletionTokens ?? request.MaxTokens, 1, MaxOutputTokens, param);
    }

    internal static List<string>? Stop(JsonElement? stop)
    {
        if (stop is not { } s || s.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var list = new List<string>();
        if (s.ValueKind == JsonValueKind.String)
        {
            list.Add(s.GetString()!);
        }
        else if (s.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in s.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.String || list.Count == MaxStopSequences)
                {
                    throw ApiException.Invalid("stop must be a string or up to 4 strings.", "stop");
                }

                list.Add(item.GetString()!);
            }
        }
        else
        {
            throw ApiException.Invalid("stop must be a string or up to 4 strings.", "stop");
        }

        if (list.Exists(x => x.Length is 0 or > 256))
        {
            throw ApiException.Invalid("Each stop string must hold 1 to 256 characters.", "stop");
        }

        return list.Count == 0 ? null : list;
    }

    private static void Tools(ChatCompletionRequest request, ChatOptions options)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        if (request.Tools is { Count: > 0 } tools)
        {
            if (tools.Count > MaxTools)
            {
                throw ApiException.Invalid("Too many tools.", "tools");
            }

            options.Tools = [];
            for (var i = 0; i < tools.Count; i++)
            {
                var param = $"tools[{i}]";
                var tool = tools[i];
                if (tool?.Type != "function" || tool.Function is null)
                {
                    throw ApiException.Invalid("Each tool must be of type function.", param + ".type");
                }

                var name = tool.Function.Name;
                if (name is null || !IsToolName(name) || !names.Add(name))
                {
                    throw ApiException.Invalid("Tool names must be unique and match ^[A-Za-z0-9_-]{1,64}$.", param + ".function.name");
                }

                var schema = tool.Function.Parameters is { ValueKind: JsonValueKind.Object } p ? p : EmptySchema();
                if (tool.Function.Parameters is { ValueKind: not (JsonValueKind.Object or JsonValueKind.Null) })
                {
                    throw ApiException.Invalid("Tool parameters must be a JSON schema object.", param + ".function.parameters");
                }

                options.Tools.Add(AIFunctionFactory.CreateDeclaration(name, tool.Function.Description, schema));
            }
        }

        options.ToolMode = ToolMode(request.ToolChoice, names);
    }

    private static ChatToolMode? ToolMode(JsonElement? choice, HashSet<string> names)
    {
        if (choice is not { } c || c.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        const string Param = "tool_choice";
        if (c.ValueKind == JsonValueKind.String)
        {
            return c.GetString() switch
            {
                "none" => ChatToolMode.None,
                "auto" => names.Count == 0 ? null : ChatToolMode.Auto,
                "required" when names.Count > 0 => ChatToolMode.RequireAny,
                _ => throw ApiException.Invalid("tool_choice must be none, auto, required (with tools) or a named function.", Param),
            };
        }

        if (c.ValueKind == JsonValueKind.Object
            && c.TryGetProperty("function", out var function) && function.ValueKind == JsonValueKind.Object
            && function.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String
            && names.Contains(name.GetString()!))
        {
            return ChatToolMode.RequireSpecific(name.GetString()!);
        }

        throw ApiException.Invalid("tool_choice must name one of the tools.", Param);
    }

    private static ChatResponseFormat? ResponseFormat(ResponseFormatDto? format)
    {
        if (format is null)
        {
            return null;
        }

        switch (format.Type)
        {
            case "text":
                return ChatResponseFormat.Text;
            case "json_object":
                return ChatResponseFormat.Json;
            case "json_schema" when format.JsonSchema?.Schema is { ValueKind: JsonValueKind.Object } schema:
                if (format.JsonSchema.Name is { } name && !IsToolName(name))
                {
                    throw ApiException.Invalid("The schema name must match ^[A-Za-z0-9_-]{1,64}$.", "response_format.json_schema.name");
                }

                return ChatResponseFormat.ForJsonSchema(schema, format.JsonSchema.Name, format.JsonSchema.Description);
            case "json_schema":
                throw ApiException.Invalid("json_schema needs a schema object.", "response_format.json_schema.schema");
            default:
                throw ApiException.Invalid("response_format.type must be text, json_object or json_schema.", "response_format.type");
        }
    }

    internal static double? Range(double? value, double min, double max, string param)
    {
        if (value is { } v && (!double.IsFinite(v) || v < min || v > max))
        {
            throw ApiException.Invalid(string.Create(CultureInfo.InvariantCulture, $"{param} must be between {min} and {max}."), param);
        }

        return value;
    }

    internal static int? IntRange(int? value, int min, int max, string param)
    {
        if (value is { } v && (v < min || v > max))
        {
            throw ApiException.Invalid(string.Create(CultureInfo.InvariantCulture, $"{param} must be between {min} and {max}."), param);
        }

        return value;
    }

    private static bool IsToolName(string name) =>
        name.Length is > 0 and <= 64 && name.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '_' or '-');

    private static JsonElement EmptySchema() => JsonDocument.Parse("""{"type":"object","properties":{}}""").RootElement;

    private static string Param(int i, string? field) => field is null ? $"messages[{i}]" : $"messages[{i}].{field}";
}
