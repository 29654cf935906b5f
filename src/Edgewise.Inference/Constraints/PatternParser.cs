using System.Globalization;
using System.Text;

namespace Edgewise.Inference.Constraints;

/// <summary>Recursive-descent parser of the <see cref="Pattern"/> subset, compiling straight to NFA states.</summary>
internal sealed class PatternParser
{
    private const int MaxRepeat = 256;

    private static readonly (int Lo, int Hi)[] s_digits = [('0', '9')];
    private static readonly (int Lo, int Hi)[] s_word = [('0', '9'), ('A', 'Z'), ('a', 'z'), ('_', '_')];
    private static readonly (int Lo, int Hi)[] s_space = [(' ', ' '), ('\t', '\r')];

    private readonly string _source;
    private readonly List<PatternState> _states = [];
    private int _position;

    public PatternParser(string source) => _source = source;

    private abstract record Ast;

    private sealed record CharAst(CharClass Class) : Ast;

    private sealed record SequenceAst(List<Ast> Items) : Ast;

    private sealed record AlternationAst(List<Ast> Options) : Ast;

    private sealed record RepeatAst(Ast Item, int Min, int Max) : Ast;

    /// <summary>Parses the whole pattern and returns the states and the start state.</summary>
    public (List<PatternState> States, int Start) Compile()
    {
        if (Peek() == '^')
        {
            _position++;
        }

        var ast = Alternation();
        if (_position < _source.Length)
        {
            throw Refuse(_source[_position] == ')' ? "unbalanced parenthesis" : "syntax");
        }

        _states.Add(new PatternState { Kind = PatternStateKind.Match });
        var start = Emit(ast, _states.Count - 1);
        return (_states, start);
    }

    private static UnsupportedSchemaFeatureException Refuse(string what) => new("pattern: " + what);

    private int Peek() => _position < _source.Length ? _source[_position] : -1;

    private Ast Alternation()
    {
        var options = new List<Ast> { Sequence() };
        while (Peek() == '|')
        {
            _position++;
            options.Add(Sequence());
        }

        return options.Count == 1 ? options[0] : new AlternationAst(options);
    }

    private Ast Sequence()
    {
        var items = new List<Ast>();
        while (_position < _source.Length && Peek() is not ('|' or ')'))
        {
            if (Peek() == '$')
            {
                _position++;
                if (_position != _source.Length)
                {
                    throw Refuse("inner anchor");
                }

                break;
            }

            items.Add(Quantified(Atom()));
        }

        return items.Count == 1 ? items[0] : new SequenceAst(items);
    }

    private Ast Quantified(Ast atom)
    {
        var (min, max) = Peek() switch
        {
            '*' => (0, int.MaxValue),
            '+' => (1, int.MaxValue),
            '?' => (0, 1),
            '{' => Braces(),
            _ => (-1, -1),
        };
        if (min < 0)
        {
            return atom;
        }

        if (Peek() is '*' or '+' or '?' or '}')
        {
            _position++;
        }

        if (Peek() == '?')
        {
            _position++;
        }
        else if (Peek() == '+')
        {
            throw Refuse("possessive quantifier");
        }

        if (Peek() is '*' or '+' or '{')
        {
            throw Refuse("nested quantifier");
        }

        return new RepeatAst(atom, min, max);
    }

    private (int Min, int Max) Braces()
    {
        var close = _source.IndexOf('}', _position);
        if (close < 0)
        {
            throw Refuse("unterminated repetition");
        }

        var body = _source[(_position + 1)..close];
        _position = close;
        var comma = body.IndexOf(',', StringComparison.Ordinal);
        var min = ParseCount(comma < 0 ? body : body[..comma]);
        var max = comma < 0 ? min : comma == body.Length - 1 ? int.MaxValue : ParseCount(body[(comma + 1)..]);
        if (min > max || min > MaxRepeat || (max != int.MaxValue && max > MaxRepeat))
        {
            throw Refuse("repetition bounds");
        }

        return (min, max);
    }

    private static int ParseCount(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : throw Refuse("repetition bounds");

    private Ast Atom()
    {
        var c = _source[_position];
        switch (c)
        {
            case '(':
                _position++;
                if (Peek() == '?')
                {
                    if (_position + 1 < _source.Length && _source[_position + 1] == ':')
                    {
                        _position += 2;
                    }
                    else
                    {
                        throw Refuse("look-around or group flags");
                    }
                }

                var inner = Alternation();
                if (Peek() != ')')
                {
                    throw Refuse("unbalanced parenthesis");
                }

                _position++;
                return inner;
            case '[':
                return new CharAst(Class());
            case '.':
                _position++;
                return new CharAst(new CharClass([('\n', '\n')], negated: true));
            case '\\':
                _position++;
                var (escapeRanges, escapeNegated) = Escape();
                return new CharAst(new CharClass(escapeRanges, escapeNegated));
            case '^':
                throw Refuse("inner anchor");
            case '*' or '+' or '?' or '{':
                throw Refuse("quantifier without operand");
            default:
                var rune = Rune.GetRuneAt(_source, _position);
                _position += rune.Utf16SequenceLength;
                return new CharAst(Single(rune.Value));
        }
    }

    private static CharClass Single(int codePoint) => new([(codePoint, codePoint)], negated: false);

    private CharClass Class()
    {
        _position++;
        var negated = Peek() == '^';
        if (negated)
        {
            _position++;
        }

        var ranges = new List<(int Lo, int Hi)>();
        var first = true;
        while (_position < _source.Length && (Peek() != ']' || first))
        {
            first = false;
            int lo;
            if (Peek() == '\\')
            {
                _position++;
                var (escaped, escapedNegated) = Escape();
                if (escapedNegated)
                {
                    throw Refuse("negated escape inside a class");
                }

                if (escaped.Length != 1 || escaped[0].Lo != escaped[0].Hi)
                {
                    ranges.AddRange(escaped);
                    continue;
                }

                lo = escaped[0].Lo;
            }
            else
            {
                var rune = Rune.GetRuneAt(_source, _position);
                _position += rune.Utf16SequenceLength;
                lo = rune.Value;
            }

            if (Peek() == '-' && _position + 1 < _source.Length && _source[_position + 1] != ']')
            {
                _position++;
                int hi;
                if (Peek() == '\\')
                {
                    _position++;
                    var (escapedHi, _) = Escape();
                    hi = escapedHi.Length == 1 && escapedHi[0].Lo == escapedHi[0].Hi ? escapedHi[0].Lo : throw Refuse("class range");
                }
                else
                {
                    var rune = Rune.GetRuneAt(_source, _position);
                    _position += rune.Utf16SequenceLength;
                    hi = rune.Value;
                }

                ranges.Add(lo <= hi ? (lo, hi) : throw Refuse("class range"));
            }
            else
            {
                ranges.Add((lo, lo));
            }
        }

        if (Peek() != ']')
        {
            throw Refuse("unterminated class");
        }

        _position++;
        return new CharClass(ranges, negated);
    }

    private ((int Lo, int Hi)[] Ranges, bool Negated) Escape()
    {
        if (_position >= _source.Length)
        {
            throw Refuse("trailing backslash");
        }

        var c = _source[_position++];
        return c switch
        {
            'd' => (s_digits, false),
            'w' => (s_word, false),
            's' => (s_space, false),
            'D' => (s_digits, true),
            'W' => (s_word, true),
            'S' => (s_space, true),
            'n' => One('\n'),
            't' => One('\t'),
            'r' => One('\r'),
            'f' => One('\f'),
            'v' => One('\v'),
            'u' => One(Hex(4)),
            'x' => One(Hex(2)),
            _ when char.IsAsciiLetterOrDigit(c) => throw Refuse("escape \\" + c),
            _ => One(c),
        };
    }

    private static ((int, int)[], bool) One(int codePoint) => ([(codePoint, codePoint)], false);

    private int Hex(int digits)
    {
        if (_position + digits > _source.Length
            || !int.TryParse(_source.AsSpan(_position, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value))
        {
            throw Refuse("hex escape");
        }

        _position += digits;
        return value;
    }

    private int Emit(Ast ast, int next)
    {
        if (_states.Count > Pattern.MaxStates)
        {
            throw Refuse("too many states");
        }

        switch (ast)
        {
            case CharAst c:
                return Add(new PatternState { Kind = PatternStateKind.Char, Class = c.Class, Next = next });
            case SequenceAst s:
                for (var i = s.Items.Count - 1; i >= 0; i--)
                {
                    next = Emit(s.Items[i], next);
                }

                return next;
            case AlternationAst a:
                var start = Emit(a.Options[^1], next);
                for (var i = a.Options.Count - 2; i >= 0; i--)
                {
                    start = Add(new PatternState { Kind = PatternStateKind.Split, Next = Emit(a.Options[i], next), Alternative = start });
                }

                return start;
            default:
                return EmitRepeat((RepeatAst)ast, next);
        }
    }

    private int EmitRepeat(RepeatAst r, int next)
    {
        int tail;
        if (r.Max == int.MaxValue)
        {
            var loop = Add(new PatternState { Kind = PatternStateKind.Split, Alternative = next });
            _states[loop].Next = Emit(r.Item, loop);
            tail = loop;
        }
        else
        {
            tail = next;
            for (var i = r.Min; i < r.Max; i++)
            {
                tail = Add(new PatternState { Kind = PatternStateKind.Split, Next = Emit(r.Item, tail), Alternative = next });
            }
        }

        for (var i = 0; i < r.Min; i++)
        {
            tail = Emit(r.Item, tail);
        }

        return tail;
    }

    private int Add(PatternState state)
    {
        _states.Add(state);
        return _states.Count - 1;
    }
}
