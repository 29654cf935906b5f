using System.Text.Json;
using System.Text.Json.Serialization;
using Edgewise.Inference;
using Edgewise.Server.Errors;
using Microsoft.Extensions.AI;

namespace Edgewise.Server.OpenAi;

/// <summary>The body of <c>POST /v1/completions</c> (OpenAI's legacy completions); unknown members are ignored.</summary>
internal sealed class CompletionRequest
{
    public string? Model { get; set; }

    public JsonElement? Prompt { get; set; }

    public int? MaxTokens { get; set; }

    public double? Temperature { get; set; }

    public double? TopP { get; set; }

    public JsonElement? Stop { get; set; }

    public long? Seed { get; set; }

    public bool? Stream { get; set; }

    public StreamOptionsDto? StreamOptions { get; set; }

    public int? Logprobs { get; set; }

    public int? N { get; set; }

    public int? BestOf { get; set; }

    public bool? Echo { get; set; }

    public string? Suffix { get; set; }

    public double? FrequencyPenalty { get; set; }

    public double? PresencePenalty { get; set; }
}

/// <summary>A validated completions request: one generation per prompt, in order.</summary>
internal sealed record CompletionCall(string Model, IReadOnlyList<string> Prompts, ChatOptions Options, int? Logprobs, bool Stream, bool IncludeUsage);

/// <summary>
/// Validates a completions request with the chat caps (max_tokens ≤ 4096, ≤ 4 stop strings, logprobs ≤ 20, at most
/// <see cref="MaxPrompts"/> prompts, n = best_of = 1, no echo or suffix). Each prompt is given to the model raw
/// (<see cref="ChatCapabilities.RawPrompt"/>): tokenized as is with the model's BOS, no chat template.
/// </summary>
internal static class CompletionRequestMapper
{
    public const int MaxPrompts = 16;

    /// <summary>OpenAI's default max_tokens for completions.</summary>
    public const int DefaultMaxTokens = 16;

    public static CompletionCall Map(CompletionRequest request)
    {
        var model = ChatRequestMapper.ModelName(request.Model);
        var prompts = Prompts(request.Prompt);
        if (request.N is { } n && n != 1)
        {
            throw ApiException.Invalid("Only n = 1 is supported.", "n");
        }

        if (request.BestOf is { } best && best != 1)
        {
            throw ApiException.Invalid("Only best_of = 1 is supported.", "best_of");
        }

        if (request.Echo == true)
        {
            throw ApiException.Invalid("echo is not supported by this server.", "echo");
        }

        if (!string.IsNullOrEmpty(request.Suffix))
        {
            throw ApiException.Invalid("suffix is not supported by this server.", "suffix");
        }

        var options = new ChatOptions
        {
            ModelId = model,
            Temperature = (float?)ChatRequestMapper.Range(request.Temperature, 0, 2, "temperature"),
            TopP = (float?)ChatRequestMapper.Range(request.TopP, 0, 1, "top_p"),
            FrequencyPenalty = (float?)ChatRequestMapper.Range(request.FrequencyPenalty, -2, 2, "frequency_penalty"),
            PresencePenalty = (float?)ChatRequestMapper.Range(request.PresencePenalty, -2, 2, "presence_penalty"),
            MaxOutputTokens = ChatRequestMapper.IntRange(request.MaxTokens, 1, ChatRequestMapper.MaxOutputTokens, "max_tokens") ?? DefaultMaxTokens,
            Seed = request.Seed,
            StopSequences = ChatRequestMapper.Stop(request.Stop),
        }.WithRawPrompt();
        var logprobs = ChatRequestMapper.IntRange(request.Logprobs, 0, ChatRequestMapper.MaxTopLogprobs, "logprobs");
        if (logprobs is { } top)
        {
            Logprobs.Request(options, top);
        }

        var stream = request.Stream ?? false;
        if (!stream && request.StreamOptions is not null)
        {
            throw ApiException.Invalid("stream_options is only allowed when stream is true.", "stream_options");
        }

        return new CompletionCall(model, prompts, options, logprobs, stream, request.StreamOptions?.IncludeUsage ?? false);
    }

    private static List<string> Prompts(JsonElement? prompt)
    {
        switch (prompt)
        {
            case null:
                throw ApiException.Invalid("The prompt parameter is required.", "prompt", ErrorCodes.MissingField);
            case { ValueKind: JsonValueKind.String } text:
                return [text.GetString()!];
            case { ValueKind: JsonValueKind.Array } array:
                var list = new List<string>();
                foreach (var item in array.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.String)
                    {
                        throw ApiException.Invalid("prompt must be a string or an array of strings (token arrays are not supported).", "prompt");
                    }

                    if (list.Count == MaxPrompts)
                    {
                        throw ApiException.Invalid($"prompt may hold at most {MaxPrompts} strings.", "prompt");
                    }

                    list.Add(item.GetString()!);
                }

                return list.Count > 0 ? list : throw ApiException.Invalid("prompt must not be an empty array.", "prompt");
            default:
                throw ApiException.Invalid("prompt must be a string or an array of strings.", "prompt");
        }
    }
}

/// <summary>A non-streaming completion.</summary>
internal sealed record CompletionDto(string Id, long Created, string Model, IReadOnlyList<CompletionChoiceDto> Choices, UsageDto? Usage)
{
    public string Object => "text_completion";

    public string SystemFingerprint => "edgewise";
}

/// <summary>One choice: the text generated for one prompt.</summary>
internal sealed record CompletionChoiceDto(
    string Text,
    int Index,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] CompletionLogprobsDto? Logprobs,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? FinishReason);
