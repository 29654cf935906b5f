using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Edgewise.Agents.Tests;

/// <summary>A hand-written IChatClient that answers from a script and records what it was sent.</summary>
internal sealed class ScriptedChatClient : IChatClient
{
    private readonly Queue<Func<IReadOnlyList<ChatMessage>, CancellationToken, Task<ChatResponse>>> _turns = new();
    private Func<IReadOnlyList<ChatMessage>, CancellationToken, Task<ChatResponse>>? _always;
    private int _callCounter;

    public List<(List<ChatMessage> Messages, ChatOptions? Options)> Calls { get; } = [];

    public int StreamingCalls { get; private set; }

    public int NonStreamingCalls { get; private set; }

    public ScriptedChatClient ThenText(string text, ChatFinishReason? finish = null) =>
        Then(new ChatResponse(new ChatMessage(ChatRole.Assistant, text)) { FinishReason = finish ?? ChatFinishReason.Stop, Usage = Usage(10, 5) });

    public ScriptedChatClient ThenCall(string name, object? arguments, string? callId = null) =>
        Then(CallResponse(new FunctionCallContent(callId ?? "call_" + Interlocked.Increment(ref _callCounter), name, ToDictionary(arguments))));

    public ScriptedChatClient ThenCalls(params FunctionCallContent[] calls) => Then(CallResponse(calls));

    public ScriptedChatClient Then(ChatResponse response)
    {
        _turns.Enqueue((_, _) => Task.FromResult(response));
        return this;
    }

    public ScriptedChatClient Then(Func<IReadOnlyList<ChatMessage>, CancellationToken, Task<ChatResponse>> turn)
    {
        _turns.Enqueue(turn);
        return this;
    }

    public ScriptedChatClient ThenAlways(Func<IReadOnlyList<ChatMessage>, ChatResponse> turn)
    {
        _always = (messages, _) => Task.FromResult(turn(messages));
        return this;
    }

    public static ChatResponse CallResponse(params FunctionCallContent[] calls) =>
        new(new ChatMessage(ChatRole.Assistant, [.. calls])) { FinishReason = ChatFinishReason.ToolCalls, Usage = Usage(10, 5) };

    public static UsageDetails Usage(long input, long output) => new() { InputTokenCount = input, OutputTokenCount = output, TotalTokenCount = input + output };

    public static Dictionary<string, object?> ToDictionary(object? arguments)
    {
        if (arguments is null)
        {
            return [];
        }

        var element = JsonSerializer.SerializeToElement(arguments);
        var result = new Dictionary<string, object?>();
        foreach (var property in element.EnumerateObject())
        {
            result[property.Name] = property.Value.Clone();
        }

        return result;
    }

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        NonStreamingCalls++;
        return await NextAsync(messages, options, cancellationToken);
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        StreamingCalls++;
        var response = await NextAsync(messages, options, cancellationToken);
        var messageIndex = 0;
        foreach (var message in response.Messages)
        {
            var messageId = "m" + messageIndex++;
            foreach (var content in message.Contents)
            {
                if (content is TextContent text)
                {
                    for (var i = 0; i < text.Text.Length; i += 3)
                    {
                        await Task.Yield();
                        yield return new ChatResponseUpdate(message.Role, text.Text.Substring(i, Math.Min(3, text.Text.Length - i))) { MessageId = messageId };
                    }
                }
                else
                {
                    yield return new ChatResponseUpdate(message.Role, [content]) { MessageId = messageId };
                }
            }
        }

        var last = new ChatResponseUpdate(ChatRole.Assistant, []) { FinishReason = response.FinishReason, MessageId = "m" + (messageIndex - 1) };
        if (response.Usage is not null)
        {
            last.Contents.Add(new UsageContent(response.Usage));
        }

        yield return last;
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }

    private Task<ChatResponse> NextAsync(IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        var list = messages.ToList();
        Calls.Add((list, options));
        if (_turns.TryDequeue(out var turn))
        {
            return turn(list, cancellationToken);
        }

        return _always is not null ? _always(list, cancellationToken) : throw new InvalidOperationException("The script is exhausted.");
    }
}
