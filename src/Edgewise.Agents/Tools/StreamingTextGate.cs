namespace Edgewise.Agents.Tools;

/// <summary>
/// Decides which streamed text may be shown while a model writes: text that is, or may become, a tool call
/// written as text (a leading JSON object, <c>&lt;tool_call&gt;</c>, <c>functools[</c>, …) is held back so raw
/// call markup never reaches the user.
/// </summary>
internal sealed class StreamingTextGate
{
    private static readonly string[] s_markers = ["<tool_call>", "functools[", "<|tool_call|>", "<|python_tag|>"];
    private readonly System.Text.StringBuilder _text = new();
    private readonly bool _enabled;
    private int _released;
    private bool _stopped;

    public StreamingTextGate(bool enabled) => _enabled = enabled;

    /// <summary>Adds <paramref name="delta"/>; returns the text that may be shown now.</summary>
    public string Push(string delta)
    {
        _text.Append(delta);
        if (!_enabled)
        {
            return Release(_text.Length);
        }

        if (_stopped)
        {
            return string.Empty;
        }

        var text = _text.ToString();
        var leading = text.AsSpan().TrimStart();
        if (leading.IsEmpty || leading[0] is '{' or '[' || leading.StartsWith("```", StringComparison.Ordinal) || (leading.Length < 3 && "```".StartsWith(leading.ToString(), StringComparison.Ordinal)))
        {
            return string.Empty;
        }

        var safe = text.Length;
        foreach (var marker in s_markers)
        {
            var at = text.IndexOf(marker, StringComparison.Ordinal);
            if (at >= 0)
            {
                _stopped = true;
                safe = Math.Min(safe, at);
            }
        }

        if (!_stopped)
        {
            safe = Math.Min(safe, text.Length - PartialMarkerSuffix(text));
        }

        return Release(safe);
    }

    /// <summary>True when some text has not been released.</summary>
    public bool HasHeldText => _released < _text.Length;

    /// <summary>The held-back text to show at the end, when no tool call was found in it.</summary>
    public string Flush(bool foundCalls) => foundCalls ? string.Empty : Release(_text.Length);

    private string Release(int upTo)
    {
        if (upTo <= _released)
        {
            return string.Empty;
        }

        var piece = _text.ToString(_released, upTo - _released);
        _released = upTo;
        return piece;
    }

    private static int PartialMarkerSuffix(string text)
    {
        var longest = 0;
        foreach (var marker in s_markers)
        {
            for (var length = Math.Min(marker.Length - 1, text.Length); length > longest; length--)
            {
                if (text.AsSpan(text.Length - length).SequenceEqual(marker.AsSpan(0, length)))
                {
                    longest = length;
                    break;
                }
            }
        }

        return longest;
    }
}
