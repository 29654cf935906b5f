namespace Edgewise.Inference.Constraints;

/// <summary>
/// A regular-expression subset compiled to a Thompson NFA over code points, matched in full. Supported: literals,
/// <c>.</c>, classes <c>[a-z]</c> / <c>[^...]</c>, escapes <c>\d \w \s \D \W \S \n \t \r \f \v \uXXXX \xHH</c> and
/// escaped punctuation, groups <c>( )</c> and <c>(?: )</c>, alternation <c>|</c>, quantifiers <c>* + ? {n} {n,}
/// {n,m}</c> (lazy forms accepted), and <c>^</c>/<c>$</c> only at the ends. A JSON Schema pattern is a search, so
/// generating a full match is always valid. <c>.</c>, negated classes and <c>\D \W \S</c> produce printable ASCII only
/// (regex engines disagree on which other characters <c>\d \w \s</c> cover). Refused: look-around, back-references, <c>\b</c>, inner anchors,
/// possessive quantifiers and repetitions that would need more than <see cref="MaxStates"/> states.
/// </summary>
internal sealed class Pattern
{
    /// <summary>Most NFA states a pattern may compile to.</summary>
    public const int MaxStates = 4096;

    private readonly List<PatternState> _states;
    private readonly int[] _distance;

    private Pattern(List<PatternState> states, int start)
    {
        _states = states;
        _distance = Distances(states);
        Start = Closure([start]);
        ShortestMatch = Remaining(Start);
    }

    /// <summary>The epsilon-closed start set.</summary>
    public int[] Start { get; }

    /// <summary>Fewest code points of a full match.</summary>
    public int ShortestMatch { get; }

    /// <summary>Parses <paramref name="source"/>.</summary>
    /// <exception cref="UnsupportedSchemaFeatureException">The pattern uses an unsupported construct.</exception>
    public static Pattern Parse(string source)
    {
        var parser = new PatternParser(source);
        var (states, start) = parser.Compile();
        return new Pattern(states, start);
    }

    /// <summary>The pattern standing for a supported <c>format</c> (date, time, date-time, uuid).</summary>
    /// <exception cref="UnsupportedSchemaFeatureException">Any other format.</exception>
    public static Pattern ForFormat(string format)
    {
        // Days 01-28 are valid in every month, so every generated date is a real date.
        const string Date = @"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|1\d|2[0-8])";
        const string Time = @"([01]\d|2[0-3]):[0-5]\d:[0-5]\dZ";
        return format switch
        {
            "date" => Parse(Date),
            "time" => Parse(Time),
            "date-time" => Parse(Date + "T" + Time),
            "uuid" => Parse("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
            _ => throw new UnsupportedSchemaFeatureException("format '" + (format.Length <= 24 ? format : "?") + "'"),
        };
    }

    /// <summary>True when <paramref name="set"/> contains the match state.</summary>
    public bool IsAccepting(int[] set)
    {
        foreach (var s in set)
        {
            if (_states[s].Kind == PatternStateKind.Match)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Fewest code points still needed to reach a full match from <paramref name="set"/>.</summary>
    public int Remaining(int[] set)
    {
        var best = int.MaxValue;
        foreach (var s in set)
        {
            best = Math.Min(best, _distance[s]);
        }

        return best;
    }

    /// <summary>
    /// Fewest code points of a full match that continues with some code point in [<paramref name="low"/>,
    /// <paramref name="high"/>] (that code point included), or int.MaxValue when none can.
    /// </summary>
    public int RemainingThrough(int[] set, int low, int high)
    {
        var best = int.MaxValue;
        foreach (var s in set)
        {
            var state = _states[s];
            if (state.Kind == PatternStateKind.Char && _distance[state.Next] != int.MaxValue && state.Class!.Intersects(low, high))
            {
                best = Math.Min(best, 1 + _distance[state.Next]);
            }
        }

        return best;
    }

    /// <summary>The set after <paramref name="codePoint"/>, or null when no match can follow.</summary>
    public int[]? Step(int[] set, int codePoint)
    {
        List<int>? next = null;
        foreach (var s in set)
        {
            var state = _states[s];
            if (state.Kind == PatternStateKind.Char && state.Class!.Contains(codePoint))
            {
                next ??= [];
                next.Add(state.Next);
            }
        }

        if (next is null)
        {
            return null;
        }

        var closed = Closure(next);
        return Remaining(closed) == int.MaxValue ? null : closed;
    }

    /// <summary>True when all of <paramref name="text"/> matches.</summary>
    public bool Matches(string text)
    {
        int[]? set = Start;
        foreach (var rune in text.EnumerateRunes())
        {
            set = Step(set, rune.Value);
            if (set is null)
            {
                return false;
            }
        }

        return IsAccepting(set);
    }

    private int[] Closure(List<int> seeds)
    {
        var seen = new HashSet<int>();
        var stack = new Stack<int>(seeds);
        while (stack.Count > 0)
        {
            var s = stack.Pop();
            if (!seen.Add(s))
            {
                continue;
            }

            var state = _states[s];
            if (state.Kind == PatternStateKind.Split)
            {
                stack.Push(state.Next);
                stack.Push(state.Alternative);
            }
        }

        var result = new List<int>(seen.Count);
        foreach (var s in seen)
        {
            if (_states[s].Kind != PatternStateKind.Split)
            {
                result.Add(s);
            }
        }

        result.Sort();
        return [.. result];
    }

    private static int[] Distances(List<PatternState> states)
    {
        // Shortest count of characters from each state to the match state (0-1 BFS, relaxed until stable).
        var distance = new int[states.Count];
        Array.Fill(distance, int.MaxValue);
        for (var i = 0; i < states.Count; i++)
        {
            if (states[i].Kind == PatternStateKind.Match)
            {
                distance[i] = 0;
            }
        }

        var changed = true;
        while (changed)
        {
            changed = false;
            for (var i = 0; i < states.Count; i++)
            {
                var state = states[i];
                var d = state.Kind switch
                {
                    PatternStateKind.Split => Math.Min(distance[state.Next], distance[state.Alternative]),
                    PatternStateKind.Char when !state.Class!.IsEmpty && distance[state.Next] != int.MaxValue => distance[state.Next] + 1,
                    _ => distance[i],
                };
                if (d < distance[i])
                {
                    distance[i] = d;
                    changed = true;
                }
            }
        }

        return distance;
    }
}

/// <summary>Kinds of NFA states.</summary>
internal enum PatternStateKind
{
    /// <summary>Consumes one code point of <see cref="PatternState.Class"/>.</summary>
    Char,

    /// <summary>Epsilon to both <see cref="PatternState.Next"/> and <see cref="PatternState.Alternative"/>.</summary>
    Split,

    /// <summary>Full match.</summary>
    Match,
}

/// <summary>One NFA state (mutable only while the parser patches its fragments).</summary>
internal sealed class PatternState
{
    public PatternStateKind Kind { get; init; }

    public CharClass? Class { get; init; }

    public int Next { get; set; } = -1;

    public int Alternative { get; set; } = -1;
}

/// <summary>A set of code points as sorted inclusive ranges.</summary>
internal sealed class CharClass
{
    private readonly (int Lo, int Hi)[] _ranges;

    public CharClass(IEnumerable<(int Lo, int Hi)> ranges, bool negated)
    {
        var sorted = ranges.OrderBy(r => r.Lo).ToList();
        var merged = new List<(int Lo, int Hi)>();
        foreach (var r in sorted)
        {
            if (merged.Count > 0 && r.Lo <= merged[^1].Hi + 1)
            {
                merged[^1] = (merged[^1].Lo, Math.Max(merged[^1].Hi, r.Hi));
            }
            else
            {
                merged.Add(r);
            }
        }

        if (negated)
        {
            // Complement within printable ASCII: engines disagree on which other characters \d, \w and \s cover.
            var complement = new List<(int Lo, int Hi)>();
            var next = 0x20;
            foreach (var r in merged)
            {
                if (r.Lo > next && next <= 0x7E)
                {
                    complement.Add((next, Math.Min(r.Lo - 1, 0x7E)));
                }

                next = Math.Max(next, r.Hi + 1);
            }

            if (next <= 0x7E)
            {
                complement.Add((next, 0x7E));
            }

            merged = complement;
        }

        _ranges = [.. merged];
    }

    public bool IsEmpty => _ranges.Length == 0;

    public bool Intersects(int low, int high)
    {
        foreach (var (lo, hi) in _ranges)
        {
            if (lo <= high && hi >= low)
            {
                return true;
            }
        }

        return false;
    }

    public bool Contains(int codePoint)
    {
        foreach (var (lo, hi) in _ranges)
        {
            if (codePoint < lo)
            {
                return false;
            }

            if (codePoint <= hi)
            {
                return true;
            }
        }

        return false;
    }
}
