using System.Text.Json.Serialization;

namespace Edgewise.Server.OpenAi;

/// <summary>A non-streaming chat completion.</summary>
internal sealed record ChatCompletionDto(string Id, long Created, string Model, IReadOnlyList<ChoiceDto> Choices, UsageDto? Usage)
{
    public string Object => "chat.completion";

    public string SystemFingerprint => "edgewise";
}

/// <summary>One choice of a completion.</summary>
internal sealed record ChoiceDto(int Index, ResponseMessageDto Message, [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? FinishReason)
{
    /// <summary>Per-token log probabilities when the request asked for them; null otherwise.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public ChatLogprobsDto? Logprobs { get; init; }
}

/// <summary>The assistant message of a choice.</summary>
internal sealed record ResponseMessageDto([property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Content, IReadOnlyList<ToolCallDto>? ToolCalls)
{
    public string Role => "assistant";
}

/// <summary>Token counts.</summary>
internal sealed record UsageDto(long PromptTokens, long CompletionTokens, long TotalTokens);

/// <summary>One server-sent event of a streaming completion.</summary>
internal sealed record ChatCompletionChunkDto(string Id, long Created, string Model, IReadOnlyList<ChunkChoiceDto> Choices, UsageDto? Usage)
{
    public string Object => "chat.completion.chunk";

    public string SystemFingerprint => "edgewise";
}

/// <summary>The choice of a chunk.</summary>
internal sealed record ChunkChoiceDto(int Index, DeltaDto Delta, [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? FinishReason)
{
    /// <summary>Log probabilities of the tokens this chunk adds, when the request asked for them.</summary>
    public ChatLogprobsDto? Logprobs { get; init; }
}

/// <summary>What a chunk adds to the message.</summary>
internal sealed record DeltaDto(string? Role, string? Content, IReadOnlyList<ToolCallDto>? ToolCalls);

/// <summary><c>GET /v1/models</c>.</summary>
internal sealed record ModelListDto(IReadOnlyList<ModelDto> Data)
{
    public string Object => "list";
}

/// <summary>One model.</summary>
internal sealed record ModelDto(string Id, long Created)
{
    public string Object => "model";

    public string OwnedBy => "edgewise";
}
