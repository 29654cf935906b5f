using System.Text;

namespace Edgewise.Inference.Runtime;

/// <summary>
/// Streams generated text while watching for stop sequences: text that could still be the start of a stop
/// sequence is held back, so nothing past a stop sequence (nor the sequence itself) is ever emitted.
/// </summary>
internal sealed class StopSequenceMatcher
{
    private readonly string[] _stops;
    private readonly StringBuilder _pending = new();

    public StopSequenceMatcher(IEnumerable<string>? stops)
    {
        _stops = stops is null ? [] : [.. stops.Where(s => !string.IsNullOrEmpty(s))];
    }

    /// <summary>True once a stop sequence was found.</summary>
    public bool Stopped { get; private set; }

    /// <summary>Adds <paramref name="text"/>; returns the text that is safe to emit now.</summary>
    public string Push(string text)
    {
        if (Stopped)
        {
            return string.Empty;
        }

        _pending.Append(text);
        if (_stops.Length == 0)
        {
            return Take(_pending.Length);
        }

        var pending = _pending.ToString();
        var first = -1;
        foreach (var stop in _stops)
        {
            var at = pending.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (first < 0 || at < first))
            {
                first = at;
            }
        }

        if (first >= 0)
        {
            Stopped = true;
            _pending.Clear();
            return pending[..first];
        }

        return Take(pending.Length - HeldBack(pending));
    }

    /// <summary>Returns whatever is still held back (generation ended without a stop sequence).</summary>
    public string Flush() => Stopped ? string.Empty : Take(_pending.Length);

    private int HeldBack(string pending)
    {
        var hold = 0;
        foreach (var stop in _stops)
        {
            for (var k = Math.Min(stop.Length - 1, pending.Length); k > hold; k--)
            {
                if (pending.AsSpan(pending.Length - k).SequenceEqual(stop.AsSpan(0, k)))
                {
                    hold = k;
                    break;
                }
            }
        }

        return hold;
    }

    private string Take(int count)
    {
        var text = _pending.ToString(0, count);
        _pending.Remove(0, count);
        return text;
    }
}
