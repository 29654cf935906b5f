using Microsoft.Extensions.AI;
using Sdk = OpenAI.Chat;

namespace Edgewise.Models.Remote;

/// <summary>Translates the OpenAI SDK's chat completions back into Microsoft.Extensions.AI types.</summary>
internal static class OpenAiResponseMapper
{
    public static ChatResponse ToResponse(Sdk.ChatCompletion completion)
    {
        var message = new ChatMessage(ChatRole.Assistant, (IList<AIContent>)[]) { MessageId = completion.Id };
        foreach (var part in completion.Content)
        {
            if (part.Kind == Sdk.ChatMessageContentPartKind.Text && !string.IsNullOrEmpty(part.Text))
            {
                message.Contents.Add(new TextContent(part.Text));
            }
        }

        foreach (var call in completion.ToolCalls)
        {
            message.Contents.Add(ToolCall(call.Id, call.FunctionName, call.FunctionArguments?.ToString() ?? string.Empty));
        }

        return new ChatResponse(message)
        {
            ResponseId = completion.Id,
            ModelId = completion.Model,
            CreatedAt = completion.CreatedAt == default ? null : completion.CreatedAt,
            FinishReason = FinishReason(completion.FinishReason),
            Usage = Usage(completion.Usage),
        };
    }

    public static ChatFinishReason? FinishReason(Sdk.ChatFinishReason? reason) => reason switch
    {
        Sdk.ChatFinishReason.Stop => ChatFinishReason.Stop,
        Sdk.ChatFinishReason.Length => ChatFinishReason.Length,
        Sdk.ChatFinishReason.ContentFilter => ChatFinishReason.ContentFilter,
        Sdk.ChatFinishReason.ToolCalls or Sdk.ChatFinishReason.FunctionCall => ChatFinishReason.ToolCalls,
        _ => null,
    };

    public static UsageDetails? Usage(Sdk.ChatTokenUsage? usage) => usage is null ? null : new UsageDetails
    {
        InputTokenCount = usage.InputTokenCount,
        OutputTokenCount = usage.OutputTokenCount,
        TotalTokenCount = usage.TotalTokenCount,
    };

    public static FunctionCallContent ToolCall(string id, string name, string arguments)
    {
        var parsed = RemoteJson.ParseArguments(arguments);
        var call = new FunctionCallContent(id, name, parsed);
        if (parsed is null)
        {
            call.Exception = new InvalidDataException("The remote backend sent tool-call arguments that are not a JSON object.");
        }

        return call;
    }
}
