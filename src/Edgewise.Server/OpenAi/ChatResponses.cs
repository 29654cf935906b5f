using System.Text.Json;
using Edgewise.Server.Http;
using Microsoft.Extensions.AI;

namespace Edgewise.Server.OpenAi;

/// <summary>Converts Microsoft.Extensions.AI responses and updates to OpenAI wire objects.</summary>
internal static class ChatResponses
{
    public static ChatCompletionDto ToCompletion(ChatResponse response, string model, string id, long created)
    {
        var calls = new List<ToolCallDto>();
        foreach (var message in response.Messages)
        {
            foreach (var content in message.Contents)
            {
                if (content is FunctionCallContent call)
                {
                    calls.Add(ToolCall(call, null));
                }
            }
        }

        var text = response.Text;
        var message1 = new ResponseMessageDto(text.Length == 0 && calls.Count > 0 ? null : text, calls.Count > 0 ? calls : null);
        var finish = calls.Count > 0 ? "tool_calls" : FinishReason(response.FinishReason);
        var logprobs = Edgewise.Inference.ChatCapabilityOptions.HasLogprobs(response.AdditionalProperties)
            ? Logprobs.ToChat(Logprobs.Of(response.AdditionalProperties))
            : null;
        return new ChatCompletionDto(id, created, model, [new ChoiceDto(0, message1, finish) { Logprobs = logprobs }], Usage(response.Usage));
    }

    public static UsageDto? Usage(UsageDetails? usage)
    {
        if (usage is null)
        {
            return null;
        }

        var prompt = usage.InputTokenCount ?? 0;
        var completion = usage.OutputTokenCount ?? 0;
        return new UsageDto(prompt, completion, usage.TotalTokenCount ?? prompt + completion);
    }

    public static ToolCallDto ToolCall(FunctionCallContent call, int? index) => new()
    {
        Index = index,
        Id = string.IsNullOrEmpty(call.CallId) ? "call_" + Guid.NewGuid().ToString("N")[..24] : call.CallId,
        Type = "function",
        Function = new FunctionCallDto
        {
            Name = call.Name,
            Arguments = JsonSerializer.Serialize(call.Arguments ?? new Dictionary<string, object?>(), ServerJsonContext.Info<IDictionary<string, object?>>(ServerJsonContext.BodyOptions)),
        },
    };

    public static string FinishReason(ChatFinishReason? reason)
    {
        if (reason == ChatFinishReason.Length)
        {
            return "length";
        }

        if (reason == ChatFinishReason.ToolCalls)
        {
            return "tool_calls";
        }

        return reason == ChatFinishReason.ContentFilter ? "content_filter" : "stop";
    }

    public static string NewId() => "chatcmpl-" + Guid.NewGuid().ToString("N");
}
