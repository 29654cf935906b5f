using System.Text.Json;

namespace Edgewise.Server.Ollama;

/// <summary>The body of Ollama's <c>POST /api/chat</c>.</summary>
internal sealed class OllamaChatRequest
{
    public string? Model { get; set; }

    public List<OllamaMessageDto?>? Messages { get; set; }

    public bool? Stream { get; set; }

    public JsonElement? Format { get; set; }

    public OllamaOptionsDto? Options { get; set; }

    public JsonElement? KeepAlive { get; set; }
}

/// <summary>The body of Ollama's <c>POST /api/generate</c>.</summary>
internal sealed class OllamaGenerateRequest
{
    public string? Model { get; set; }

    public string? Prompt { get; set; }

    public string? System { get; set; }

    public List<string?>? Images { get; set; }

    public bool? Stream { get; set; }

    public JsonElement? Format { get; set; }

    public OllamaOptionsDto? Options { get; set; }

    public JsonElement? KeepAlive { get; set; }
}

/// <summary>An Ollama chat message.</summary>
internal sealed class OllamaMessageDto
{
    public string? Role { get; set; }

    public string? Content { get; set; }

    public List<string?>? Images { get; set; }
}

/// <summary>Ollama's sampling options (the subset the engine honours).</summary>
internal sealed class OllamaOptionsDto
{
    public double? Temperature { get; set; }

    public double? TopP { get; set; }

    public int? TopK { get; set; }

    public long? Seed { get; set; }

    public int? NumPredict { get; set; }

    public List<string>? Stop { get; set; }
}

/// <summary>One line of an Ollama chat or generate response (NDJSON when streaming).</summary>
internal sealed record OllamaChunkDto(string Model, string CreatedAt, OllamaMessageDto? Message, string? Response, bool Done)
{
    public string? DoneReason { get; init; }

    public long? TotalDuration { get; init; }

    public long? PromptEvalCount { get; init; }

    public long? EvalCount { get; init; }

    public long? EvalDuration { get; init; }
}

/// <summary>A model in <c>/api/tags</c> and <c>/api/ps</c>.</summary>
internal sealed record OllamaModelDto(string Name, string Model, long Size)
{
    public string? ModifiedAt { get; init; }

    public string? ExpiresAt { get; init; }

    public long? SizeVram { get; init; }

    /// <summary>The file's sha256 as hex, when known without reading the file.</summary>
    public string? Digest { get; init; }

    /// <summary>Format, family, parameter size and quantization from the GGUF header; null for remote models.</summary>
    public OllamaDetailsDto? Details { get; init; }
}
