using System.Text.Json;
using Microsoft.Extensions.AI;
using Sdk = OpenAI.Chat;

namespace Edgewise.Models.Remote;

/// <summary>Translates Microsoft.Extensions.AI messages and options into the OpenAI SDK's chat request types.</summary>
internal static class OpenAiRequestMapper
{
    public static List<Sdk.ChatMessage> ToMessages(IEnumerable<ChatMessage> messages)
    {
        var result = new List<Sdk.ChatMessage>();
        foreach (var message in messages)
        {
            if (message.Role == ChatRole.System)
            {
                result.Add(new Sdk.SystemChatMessage(message.Text));
            }
            else if (message.Role == ChatRole.User)
            {
                result.Add(new Sdk.UserChatMessage(message.Text));
            }
            else if (message.Role == ChatRole.Assistant)
            {
                result.Add(ToAssistant(message));
            }
            else if (message.Role == ChatRole.Tool)
            {
                foreach (var content in message.Contents)
                {
                    if (content is FunctionResultContent toolResult)
                    {
                        result.Add(new Sdk.ToolChatMessage(toolResult.CallId, ResultText(toolResult.Result)));
                    }
                }
            }
            else
            {
                throw new ArgumentException("A message has a role the OpenAI chat format does not know.", nameof(messages));
            }
        }

        return result;
    }

    public static Sdk.ChatCompletionOptions ToOptions(ChatOptions? options)
    {
        var result = new Sdk.ChatCompletionOptions();
        if (options is null)
        {
            return result;
        }

        result.Temperature = options.Temperature;
        result.TopP = options.TopP;
        result.MaxOutputTokenCount = options.MaxOutputTokens;
        result.FrequencyPenalty = options.FrequencyPenalty;
        result.PresencePenalty = options.PresencePenalty;
#pragma warning disable OPENAI001 // Seed is marked experimental in the SDK; OpenAI-compatible servers honour it.
        result.Seed = options.Seed;
#pragma warning restore OPENAI001
        if (options.StopSequences is { } stops)
        {
            foreach (var stop in stops)
            {
                result.StopSequences.Add(stop);
            }
        }

        if (options.Tools is { Count: > 0 } tools)
        {
            foreach (var tool in tools)
            {
                if (tool is AIFunctionDeclaration function)
                {
                    result.Tools.Add(Sdk.ChatTool.CreateFunctionTool(function.Name, function.Description, BinaryData.FromString(function.JsonSchema.GetRawText())));
                }
            }

            if (options.AllowMultipleToolCalls is { } parallel)
            {
                result.AllowParallelToolCalls = parallel;
            }
        }

        result.ToolChoice = options.ToolMode switch
        {
            NoneChatToolMode => Sdk.ChatToolChoice.CreateNoneChoice(),
            AutoChatToolMode when result.Tools.Count > 0 => Sdk.ChatToolChoice.CreateAutoChoice(),
            RequiredChatToolMode { RequiredFunctionName: { } name } => Sdk.ChatToolChoice.CreateFunctionChoice(name),
            RequiredChatToolMode => Sdk.ChatToolChoice.CreateRequiredChoice(),
            _ => null,
        };

        result.ResponseFormat = options.ResponseFormat switch
        {
            ChatResponseFormatJson { Schema: { } schema } json => Sdk.ChatResponseFormat.CreateJsonSchemaFormat(
                json.SchemaName ?? "response", BinaryData.FromString(schema.GetRawText()), json.SchemaDescription),
            ChatResponseFormatJson => Sdk.ChatResponseFormat.CreateJsonObjectFormat(),
            ChatResponseFormatText => Sdk.ChatResponseFormat.CreateTextFormat(),
            _ => null,
        };
        return result;
    }

    private static Sdk.AssistantChatMessage ToAssistant(ChatMessage message)
    {
        var calls = new List<Sdk.ChatToolCall>();
        foreach (var content in message.Contents)
        {
            if (content is FunctionCallContent call)
            {
                var arguments = JsonSerializer.SerializeToUtf8Bytes(call.Arguments ?? new Dictionary<string, object?>(), ModelsJsonContext.Info<IDictionary<string, object?>>(RemoteJson.Options));
                calls.Add(Sdk.ChatToolCall.CreateFunctionToolCall(call.CallId, call.Name, BinaryData.FromBytes(arguments)));
            }
        }

        if (calls.Count == 0)
        {
            return new Sdk.AssistantChatMessage(message.Text);
        }

        var assistant = new Sdk.AssistantChatMessage(calls);
        if (message.Text.Length > 0)
        {
            assistant.Content.Add(Sdk.ChatMessageContentPart.CreateTextPart(message.Text));
        }

        return assistant;
    }

    private static string ResultText(object? result) => result switch
    {
        null => string.Empty,
        string text => text,
        JsonElement element => element.GetRawText(),
        _ => JsonSerializer.Serialize(result, ModelsJsonContext.Info<object>(RemoteJson.Options)),
    };
}
