namespace Edgewise.Agents;

/// <summary>
/// One item of a streaming run: a piece of answer text, an event, or (last) the result. Exactly one of
/// <see cref="Text"/>, <see cref="Event"/> and <see cref="Result"/> is set.
/// </summary>
public sealed class AgentRunUpdate
{
    private AgentRunUpdate(string? text, AgentRunEvent? runEvent, AgentRunResult? result)
    {
        Text = text;
        Event = runEvent;
        Result = result;
    }

    /// <summary>A piece of the answer as the model produces it.</summary>
    public string? Text { get; }

    /// <summary>An event of the run.</summary>
    public AgentRunEvent? Event { get; }

    /// <summary>The result; only on the last update.</summary>
    public AgentRunResult? Result { get; }

    /// <summary>A text update.</summary>
    public static AgentRunUpdate FromText(string text) => new(text ?? throw new ArgumentNullException(nameof(text)), null, null);

    /// <summary>An event update.</summary>
    public static AgentRunUpdate FromEvent(AgentRunEvent runEvent) => new(null, runEvent ?? throw new ArgumentNullException(nameof(runEvent)), null);

    /// <summary>The final update.</summary>
    public static AgentRunUpdate FromResult(AgentRunResult result) => new(null, null, result ?? throw new ArgumentNullException(nameof(result)));
}
