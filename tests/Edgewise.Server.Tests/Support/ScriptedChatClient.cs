using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace Edgewise.Server.Tests.Support;

/// <summary>A hand-written IChatClient whose answers come from a script; records calls and cancellation.</summary>
internal sealed class ScriptedChatClient : IChatClient
{
    private readonly Func<IReadOnlyList<ChatMessage>, ChatOptions?, CancellationToken, IAsyncEnumerable<ChatResponseUpdate>> _script;
    private int _calls;

    public ScriptedChatClient(Func<IReadOnlyList<ChatMessage>, ChatOptions?, CancellationToken, IAsyncEnumerable<ChatResponseUpdate>> script) => _script = script;

    public int Calls => Volatile.Read(ref _calls);

    public List<(IReadOnlyList<ChatMessage> Messages, ChatOptions? Options)> Received { get; } = [];

    public TaskCompletionSource Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Answers with fixed text pieces, then usage.</summary>
    public static ScriptedChatClient Text(params string[] pieces) => new((_, _, ct) => Pieces(pieces, ct));

    /// <summary>Waits for <paramref name="gate"/> (or cancellation), then answers "done".</summary>
    public static ScriptedChatClient Gated(Task gate) => new((_, _, ct) => GatedAnswer(gate, ct));

    /// <summary>Yields a piece every few milliseconds until cancelled.</summary>
    public static ScriptedChatClient Endless() => new((_, _, ct) => EndlessAnswer(ct));

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        await GetStreamingResponseAsync(messages, options, cancellationToken).ToChatResponseAsync(cancellationToken);

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var list = messages.ToList();
        lock (Received)
        {
            Received.Add((list, options));
        }

        Interlocked.Increment(ref _calls);
        try
        {
            await foreach (var update in _script(list, options, cancellationToken).WithCancellation(cancellationToken))
            {
                yield return update;
            }
        }
        finally
        {
            if (cancellationToken.IsCancellationRequested)
            {
                Cancelled.TrySetResult();
            }
        }
    }

    /// <summary>Stands in for the embedded engine: declares its capabilities (raw prompts, logprobs), and nothing else.</summary>
    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceType == typeof(Edgewise.Inference.ChatCapabilities) && serviceKey is null ? Edgewise.Inference.ChatCapabilities.RawPrompt | Edgewise.Inference.ChatCapabilities.Logprobs : null;

    public void Dispose()
    {
    }

    public static ChatResponseUpdate Final(ChatFinishReason reason, int prompt = 5, int completion = 3) => new(ChatRole.Assistant, [new UsageContent(new UsageDetails { InputTokenCount = prompt, OutputTokenCount = completion, TotalTokenCount = prompt + completion })])
    {
        FinishReason = reason,
    };

    private static async IAsyncEnumerable<ChatResponseUpdate> Pieces(string[] pieces, [EnumeratorCancellation] CancellationToken ct)
    {
        foreach (var piece in pieces)
        {
            ct.ThrowIfCancellationRequested();
            await Task.Yield();
            yield return new ChatResponseUpdate(ChatRole.Assistant, piece);
        }

        yield return Final(ChatFinishReason.Stop, completion: pieces.Length);
    }

    private static async IAsyncEnumerable<ChatResponseUpdate> GatedAnswer(Task gate, [EnumeratorCancellation] CancellationToken ct)
    {
        await gate.WaitAsync(ct);
        yield return new ChatResponseUpdate(ChatRole.Assistant, "done");
        yield return Final(ChatFinishReason.Stop);
    }

    private static async IAsyncEnumerable<ChatResponseUpdate> EndlessAnswer([EnumeratorCancellation] CancellationToken ct)
    {
        while (true)
        {
            await Task.Delay(5, ct);
            yield return new ChatResponseUpdate(ChatRole.Assistant, "x");
        }
    }
}
