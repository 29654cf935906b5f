using System.Text;
using Microsoft.Extensions.AI;
using Sdk = OpenAI.Chat;

namespace Edgewise.Models.Remote;

/// <summary>
/// Turns the SDK's streamed chunks into <see cref="ChatResponseUpdate"/>s: text is passed on as it comes, tool-call
/// fragments are joined by index and emitted whole (as <see cref="FunctionCallContent"/>) when the stream ends, and the
/// usage chunk becomes a <see cref="UsageContent"/>.
/// </summary>
internal sealed class OpenAiStreamState
{
    private readonly SortedDictionary<int, ToolCallBuilder> _calls = [];
    private string? _responseId;
    private string? _model;
    private DateTimeOffset? _created;
    private ChatFinishReason? _finish;

    /// <summary>Whether a chunk has carried a finish reason.</summary>
    public bool Finished { get; private set; }

    public IEnumerable<ChatResponseUpdate> Convert(Sdk.StreamingChatCompletionUpdate update)
    {
        _responseId ??= update.CompletionId;
        _model ??= update.Model;
        _created ??= update.CreatedAt == default ? null : update.CreatedAt;
        Finished |= update.FinishReason is not null;
        if (OpenAiResponseMapper.FinishReason(update.FinishReason) is { } finish)
        {
            _finish = finish;
        }

        foreach (var fragment in update.ToolCallUpdates)
        {
            if (!_calls.TryGetValue(fragment.Index, out var builder))
            {
                builder = new ToolCallBuilder();
                _calls[fragment.Index] = builder;
            }

            builder.Id ??= fragment.ToolCallId;
            builder.Name ??= fragment.FunctionName;
            if (fragment.FunctionArgumentsUpdate is { } arguments && !arguments.IsEmpty)
            {
                builder.Arguments.Append(arguments.ToString());
            }
        }

        var contents = new List<AIContent>();
        foreach (var part in update.ContentUpdate)
        {
            if (part.Kind == Sdk.ChatMessageContentPartKind.Text && !string.IsNullOrEmpty(part.Text))
            {
                contents.Add(new TextContent(part.Text));
            }
        }

        if (OpenAiResponseMapper.Usage(update.Usage) is { } usage)
        {
            contents.Add(new UsageContent(usage));
        }

        if (contents.Count > 0 || (update.FinishReason is not null && _calls.Count == 0))
        {
            yield return Update(contents, _calls.Count == 0 ? OpenAiResponseMapper.FinishReason(update.FinishReason) : null);
        }
    }

    /// <summary>The update carrying the joined tool calls and the finish reason, or null when there were no tool calls.</summary>
    public ChatResponseUpdate? Finish()
    {
        if (_calls.Count == 0)
        {
            return null;
        }

        var contents = new List<AIContent>();
        foreach (var (index, call) in _calls)
        {
            contents.Add(OpenAiResponseMapper.ToolCall(call.Id ?? "call_" + index.ToString(System.Globalization.CultureInfo.InvariantCulture), call.Name ?? string.Empty, call.Arguments.ToString()));
        }

        return Update(contents, _finish ?? ChatFinishReason.ToolCalls);
    }

    private ChatResponseUpdate Update(List<AIContent> contents, ChatFinishReason? finish) => new(ChatRole.Assistant, contents)
    {
        ResponseId = _responseId,
        MessageId = _responseId,
        ModelId = _model,
        CreatedAt = _created,
        FinishReason = finish,
    };

    private sealed class ToolCallBuilder
    {
        public string? Id { get; set; }

        public string? Name { get; set; }

        public StringBuilder Arguments { get; } = new();
    }
}
