using System.Text.Json;
using System.Text.Json.Serialization;

namespace Edgewise.Server.OpenAi;

/// <summary>The body of <c>POST /v1/chat/completions</c> as OpenAI defines it; unknown members are ignored.</summary>
internal sealed class ChatCompletionRequest
{
    public string? Model { get; set; }

    public List<ChatMessageDto?>? Messages { get; set; }

    public List<ToolDto?>? Tools { get; set; }

    public JsonElement? ToolChoice { get; set; }

    public ResponseFormatDto? ResponseFormat { get; set; }

    public double? Temperature { get; set; }

    public double? TopP { get; set; }

    public int? TopK { get; set; }

    public double? FrequencyPenalty { get; set; }

    public double? PresencePenalty { get; set; }

    public int? MaxTokens { get; set; }

    public int? MaxCompletionTokens { get; set; }

    public int? N { get; set; }

    public JsonElement? Stop { get; set; }

    public long? Seed { get; set; }

    public bool? Stream { get; set; }

    public StreamOptionsDto? StreamOptions { get; set; }

    public bool? Logprobs { get; set; }

    public int? TopLogprobs { get; set; }

    public Dictionary<string, JsonElement>? LogitBias { get; set; }
}

/// <summary>One message of the conversation.</summary>
internal sealed class ChatMessageDto
{
    public string? Role { get; set; }

    public JsonElement? Content { get; set; }

    public string? Name { get; set; }

    public List<ToolCallDto?>? ToolCalls { get; set; }

    public string? ToolCallId { get; set; }
}

/// <summary>A tool call in an assistant message or a response.</summary>
internal sealed class ToolCallDto
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Index { get; set; }

    public string? Id { get; set; }

    public string? Type { get; set; }

    public FunctionCallDto? Function { get; set; }
}

/// <summary>The function of a tool call; arguments are a JSON text.</summary>
internal sealed class FunctionCallDto
{
    public string? Name { get; set; }

    public string? Arguments { get; set; }
}

/// <summary>A tool the model may call.</summary>
internal sealed class ToolDto
{
    public string? Type { get; set; }

    public FunctionDefinitionDto? Function { get; set; }
}

/// <summary>A function definition with its JSON schema.</summary>
internal sealed class FunctionDefinitionDto
{
    public string? Name { get; set; }

    public string? Description { get; set; }

    public JsonElement? Parameters { get; set; }

    public bool? Strict { get; set; }
}

/// <summary><c>response_format</c>: text, json_object or json_schema.</summary>
internal sealed class ResponseFormatDto
{
    public string? Type { get; set; }

    public JsonSchemaDto? JsonSchema { get; set; }
}

/// <summary>A named JSON schema for structured output.</summary>
internal sealed class JsonSchemaDto
{
    public string? Name { get; set; }

    public string? Description { get; set; }

    public JsonElement? Schema { get; set; }

    public bool? Strict { get; set; }
}

/// <summary><c>stream_options</c>.</summary>
internal sealed class StreamOptionsDto
{
    public bool? IncludeUsage { get; set; }
}
