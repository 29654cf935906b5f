using System.Text.Json.Serialization;

namespace Edgewise.Server.Http;

/// <summary><c>{"object": "list", "data": [...]}</c>: a list as the OpenAI-style routes return it.</summary>
/// <typeparam name="T">The element type.</typeparam>
/// <param name="Data">The elements.</param>
internal sealed record ListDto<T>(IReadOnlyList<T> Data)
{
    [JsonPropertyOrder(-1)]
    public string Object => "list";
}

/// <summary><c>{"error": "..."}</c>: an Ollama-style error line in an NDJSON stream.</summary>
internal sealed record OllamaErrorDto(string Error);

/// <summary><c>{"version": "..."}</c> of <c>GET /api/version</c>.</summary>
internal sealed record OllamaVersionDto(string Version);

/// <summary><c>{"models": [...]}</c> of <c>GET /api/tags</c> and <c>GET /api/ps</c>.</summary>
internal sealed record OllamaModelListDto(IReadOnlyList<Ollama.OllamaModelDto> Models);

/// <summary>The <c>session</c> event that opens an agent run's stream.</summary>
internal sealed record AgentSessionEventDto(string SessionId, string Agent);

/// <summary>A <c>text</c> event of an agent run's stream.</summary>
internal sealed record AgentTextEventDto(string Text);
