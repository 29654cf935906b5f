namespace Edgewise.Inference.Constraints;

/// <summary>Matches one of several byte strings (enum/const values, true/false/null, choices, fixed envelope text).</summary>
internal sealed class LiteralFrame : Frame
{
    private readonly byte[][] _candidates;
    private readonly int _position;

    public LiteralFrame(byte[][] candidates, int position)
    {
        _candidates = candidates;
        _position = position;
    }

    /// <inheritdoc/>
    public override bool IsComplete
    {
        get
        {
            foreach (var c in _candidates)
            {
                if (c.Length == _position)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>Starts matching <paramref name="candidates"/> with byte <paramref name="b"/>.</summary>
    public static void Start(ParseStack continuation, byte[][] candidates, byte b, List<ParseStack> output)
    {
        var frame = new LiteralFrame(candidates, 0);
        frame.Step(continuation.Push(frame), b, output);
    }

    /// <inheritdoc/>
    public override void Step(ParseStack self, byte b, List<ParseStack> output)
    {
        var matches = 0;
        foreach (var c in _candidates)
        {
            if (c.Length > _position && c[_position] == b)
            {
                matches++;
            }
        }

        if (matches == 0)
        {
            return;
        }

        var kept = _candidates;
        if (matches != _candidates.Length)
        {
            kept = new byte[matches][];
            var i = 0;
            foreach (var c in _candidates)
            {
                if (c.Length > _position && c[_position] == b)
                {
                    kept[i++] = c;
                }
            }
        }

        ParseStack.Emit(output, self.Replace(new LiteralFrame(kept, _position + 1)));
    }
}

/// <summary>
/// A JSON string after its opening quote: the <see cref="StringLexer"/> state, code points so far, and the pattern
/// state. Length counts code points; a pending multi-byte character or escape already counts toward the maximum.
/// </summary>
internal sealed class StringFrame : Frame
{
    private static readonly StringFrame s_closed = new(null, StringLexer.Close, 0, null, 0);

    private StringFrame(SchemaNode? node, byte lexer, int count, int[]? pattern, int accumulator)
    {
        Node = node;
        Lexer = lexer;
        Count = count;
        PatternSet = pattern;
        Accumulator = accumulator;
    }

    /// <summary>The frame of a string that has been closed.</summary>
    public static StringFrame Closed => s_closed;

    /// <summary>The schema (null once closed).</summary>
    public SchemaNode? Node { get; }

    /// <summary>The lexer state (<see cref="StringLexer.Close"/> once closed).</summary>
    public byte Lexer { get; }

    /// <summary>Code points completed so far.</summary>
    public int Count { get; }

    /// <summary>The pattern's NFA state set, or null without a pattern.</summary>
    public int[]? PatternSet { get; }

    /// <summary>Value of the pending code point.</summary>
    public int Accumulator { get; }

    /// <inheritdoc/>
    public override bool IsComplete => Lexer == StringLexer.Close;

    /// <summary>The frame right after the opening quote.</summary>
    public static StringFrame Open(SchemaNode node) => new(node, StringLexer.Body, 0, node.Pattern?.Start, 0);

    /// <inheritdoc/>
    public override void Step(ParseStack self, byte b, List<ParseStack> output)
    {
        if (Node is null)
        {
            return;
        }

        var next = StringLexer.Next(Lexer, b);
        if (next == StringLexer.Invalid)
        {
            return;
        }

        if (next == StringLexer.Close)
        {
            if (Count >= Node.MinLength && (PatternSet is null || Node.Pattern!.IsAccepting(PatternSet)))
            {
                ParseStack.Emit(output, self.Replace(s_closed));
            }

            return;
        }

        var pattern = PatternSet;
        var count = Count;
        var accumulator = StringLexer.Accumulate(Lexer, b, Accumulator);
        if (StringLexer.Emits(Lexer, b))
        {
            count++;
            if (pattern is not null)
            {
                pattern = Node.Pattern!.Step(pattern, accumulator);
                if (pattern is null || (Node.MaxLength != int.MaxValue && count + Node.Pattern.Remaining(pattern) > Node.MaxLength))
                {
                    return;
                }
            }
        }

        if (count + (StringLexer.IsPending(next) ? 1 : 0) > Node.MaxLength)
        {
            return;
        }

        if (pattern is not null && StringLexer.IsPending(next))
        {
            // Inside a character or escape: some code point it can still become must continue the pattern.
            var (low, high) = StringLexer.PendingRange(next, accumulator);
            var through = Node.Pattern!.RemainingThrough(pattern, low, high);
            if (through == int.MaxValue || (Node.MaxLength != int.MaxValue && count + through > Node.MaxLength))
            {
                return;
            }
        }

        ParseStack.Emit(output, self.Replace(new StringFrame(Node, next, count, pattern, accumulator)));
    }
}

/// <summary>
/// A JSON number being written (no exponent; at most <see cref="SchemaCompiler.MaxIntegerDigits"/> integer and
/// <see cref="SchemaCompiler.MaxFractionDigits"/> fraction digits). Every step keeps the prefix extensible to a value
/// inside the schema's range, so the range is exact and the writer never reaches a dead end.
/// </summary>
internal sealed class NumberFrame : Frame
{
    private const byte Begin = 0;
    private const byte Minus = 1;
    private const byte Zero = 2;
    private const byte Integer = 3;
    private const byte Dot = 4;
    private const byte Fraction = 5;

    private readonly SchemaNode _node;
    private readonly byte _phase;
    private readonly bool _negative;
    private readonly long _integer;
    private readonly int _integerDigits;
    private readonly long _fraction;
    private readonly int _fractionDigits;

    private NumberFrame(SchemaNode node, byte phase, bool negative, long integer, int integerDigits, long fraction, int fractionDigits)
    {
        _node = node;
        _phase = phase;
        _negative = negative;
        _integer = integer;
        _integerDigits = integerDigits;
        _fraction = fraction;
        _fractionDigits = fractionDigits;
    }

    /// <inheritdoc/>
    public override bool IsComplete => _phase is Zero or Integer or Fraction && InRange(Value);

    private bool IsInteger => _node.Kind == SchemaKind.Integer;

    private decimal Value
    {
        get
        {
            var magnitude = _integer + (_fractionDigits == 0 ? 0m : _fraction / Pow10(_fractionDigits));
            return _negative ? -magnitude : magnitude;
        }
    }

    /// <summary>The frame before the first character.</summary>
    public static NumberFrame Start(SchemaNode node) => new(node, Begin, false, 0, 0, 0, 0);

    /// <inheritdoc/>
    public override void Step(ParseStack self, byte b, List<ParseStack> output)
    {
        var digit = b is >= (byte)'0' and <= (byte)'9' ? b - '0' : -1;
        NumberFrame? next = _phase switch
        {
            Begin when b == '-' => With(Minus, true, 0, 0, 0, 0),
            Begin or Minus when digit == 0 => With(Zero, _negative || _phase == Minus, 0, 1, 0, 0),
            Begin or Minus when digit > 0 => With(Integer, _negative || _phase == Minus, digit, 1, 0, 0),
            Integer when digit >= 0 && _integerDigits < SchemaCompiler.MaxIntegerDigits => With(Integer, _negative, (_integer * 10) + digit, _integerDigits + 1, 0, 0),
            Zero or Integer when b == '.' && !IsInteger => With(Dot, _negative, _integer, _integerDigits, 0, 0),
            Dot or Fraction when digit >= 0 && _fractionDigits < SchemaCompiler.MaxFractionDigits => With(Fraction, _negative, _integer, _integerDigits, (_fraction * 10) + digit, _fractionDigits + 1),
            _ => null,
        };
        if (next is not null && next.Feasible())
        {
            ParseStack.Emit(output, self.Replace(next));
        }
    }

    private static decimal Pow10(int n)
    {
        var p = 1m;
        for (var i = 0; i < n; i++)
        {
            p *= 10;
        }

        return p;
    }

    private NumberFrame With(byte phase, bool negative, long integer, int integerDigits, long fraction, int fractionDigits) =>
        new(_node, phase, negative, integer, integerDigits, fraction, fractionDigits);

    private bool InRange(decimal value) => (_node.Minimum is not { } min || value >= min) && (_node.Maximum is not { } max || value <= max);

    private bool Feasible()
    {
        if (_node.Minimum is null && _node.Maximum is null)
        {
            return true;
        }

        var epsilon = IsInteger ? 1m : 1m / Pow10(SchemaCompiler.MaxFractionDigits);
        switch (_phase)
        {
            case Minus:
                return Overlaps(0, Pow10(SchemaCompiler.MaxIntegerDigits) - epsilon);
            case Zero:
                return Overlaps(0, IsInteger ? 0 : 1 - epsilon);
            case Dot:
                return Overlaps(_integer, _integer + 1 - epsilon);
            case Fraction:
                var low = _integer + (_fraction / Pow10(_fractionDigits));
                var width = _fractionDigits == SchemaCompiler.MaxFractionDigits ? 0 : (1m / Pow10(_fractionDigits)) - epsilon;
                return Overlaps(low, low + width);
            default:
                // More integer digits, or a fraction, can follow: [p·10^k, (p+1)·10^k − ε] for each k.
                var scale = 1m;
                for (var k = 0; _integerDigits + k <= SchemaCompiler.MaxIntegerDigits; k++)
                {
                    if (Overlaps(_integer * scale, ((_integer + 1) * scale) - epsilon))
                    {
                        return true;
                    }

                    scale *= 10;
                }

                return false;
        }
    }

    private bool Overlaps(decimal lowMagnitude, decimal highMagnitude)
    {
        var low = _negative ? -highMagnitude : lowMagnitude;
        var high = _negative ? -lowMagnitude : highMagnitude;
        return (_node.Maximum is not { } max || low <= max) && (_node.Minimum is not { } min || high >= min);
    }
}
