using System.Runtime.CompilerServices;
using Edgewise.Server.Tests.Support;
using Microsoft.Extensions.AI;

namespace Edgewise.Server.Tests.Agents;

/// <summary>Scripted models for agent flows.</summary>
internal static class AgentScripts
{
    /// <summary>Answers "echo: LAST USER TEXT (N messages)", streamed in two pieces.</summary>
    public static ScriptedChatClient Echo() => new((messages, _, ct) => EchoAsync(messages, ct));

    /// <summary>On a user turn calls <paramref name="tool"/> with <paramref name="arguments"/>; after a tool result answers "done: RESULT".</summary>
    public static ScriptedChatClient CallsTool(string tool, Dictionary<string, object?> arguments) =>
        new((messages, _, ct) => ToolAsync(messages, tool, arguments, ct));

    /// <summary>A router model that always picks <paramref name="agent"/>.</summary>
    public static ScriptedChatClient Picks(string agent) =>
        ScriptedChatClient.Text("{\"agent\": \"" + agent + "\", \"confidence\": 0.9}");

    private static async IAsyncEnumerable<ChatResponseUpdate> EchoAsync(IReadOnlyList<ChatMessage> messages, [EnumeratorCancellation] CancellationToken ct)
    {
        await Task.Yield();
        ct.ThrowIfCancellationRequested();
        var last = messages.Last(m => m.Role == ChatRole.User).Text;
        yield return new ChatResponseUpdate(ChatRole.Assistant, "echo: ");
        yield return new ChatResponseUpdate(ChatRole.Assistant, last + " (" + messages.Count + " messages)");
        yield return ScriptedChatClient.Final(ChatFinishReason.Stop);
    }

    private static async IAsyncEnumerable<ChatResponseUpdate> ToolAsync(IReadOnlyList<ChatMessage> messages, string tool, Dictionary<string, object?> arguments, [EnumeratorCancellation] CancellationToken ct)
    {
        await Task.Yield();
        ct.ThrowIfCancellationRequested();
        var last = messages[^1];
        if (last.Role == ChatRole.Tool)
        {
            var result = last.Contents.OfType<FunctionResultContent>().First().Result;
            yield return new ChatResponseUpdate(ChatRole.Assistant, "done: " + (result as string ?? result?.ToString()));
        }
        else
        {
            yield return new ChatResponseUpdate(ChatRole.Assistant, [new FunctionCallContent("call_" + Guid.NewGuid().ToString("N")[..8], tool, arguments)]);
        }

        yield return ScriptedChatClient.Final(ChatFinishReason.Stop);
    }
}
