using System.Text;
using Microsoft.Extensions.AI;

namespace Edgewise.Inference.Constraints;

/// <summary>
/// Separates streamed text from tool calls: with a required call nothing is streamed; with a lazy (auto) call the
/// text before the call's opening is streamed (text that might be the start of the opening is held back) and
/// the rest is kept for <see cref="Finish"/>, which parses the calls or, when there is no complete call, returns
/// the held text as ordinary text.
/// </summary>
internal sealed class ToolCallText
{
    private readonly ToolCallConstraint _constraint;
    private readonly StringBuilder _all = new();
    private readonly string _trigger;
    private int _emitted;
    private int _triggerAt = -1;

    public ToolCallText(ToolCallConstraint constraint)
    {
        _constraint = constraint;
        _trigger = constraint.Trigger ?? string.Empty;
    }

    /// <summary>Adds generated text; returns the text that may be streamed now.</summary>
    public string Push(string text)
    {
        _all.Append(text);
        if (!_constraint.IsLazy || _triggerAt >= 0)
        {
            return string.Empty;
        }

        var all = _all.ToString();
        var found = all.IndexOf(_trigger, Math.Max(0, _emitted - _trigger.Length), StringComparison.Ordinal);
        int end;
        if (found >= 0)
        {
            _triggerAt = found;
            end = found;
        }
        else
        {
            end = all.Length;
            for (var keep = Math.Min(_trigger.Length - 1, all.Length); keep > 0; keep--)
            {
                if (all.AsSpan(all.Length - keep).SequenceEqual(_trigger.AsSpan(0, keep)))
                {
                    end = all.Length - keep;
                    break;
                }
            }

            if (end > _emitted && char.IsHighSurrogate(all[end - 1]))
            {
                end--;
            }
        }

        var piece = end > _emitted ? all[_emitted..end] : string.Empty;
        _emitted = Math.Max(_emitted, end);
        return piece;
    }

    /// <summary>Ends the output: the text still to stream and the calls (none unless <paramref name="complete"/> and they parse).</summary>
    public (string Text, IReadOnlyList<FunctionCallContent> Calls) Finish(bool complete)
    {
        var all = _all.ToString();
        if (complete && _constraint.ParseCalls(all, out var before, out var calls))
        {
            return (before.Length > _emitted ? before[_emitted..] : string.Empty, calls);
        }

        return (all[_emitted..], []);
    }
}
