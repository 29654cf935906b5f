namespace Edgewise.Inference.Constraints;

/// <summary>
/// A JSON object. With declared properties, keys come in schema order: any optional property may be skipped, a
/// required one may not, and no other key is generated. Without declared properties, keys are free strings whose
/// values follow <see cref="SchemaNode.AdditionalProperties"/> (none allowed when it is null). At most one
/// whitespace byte (space or newline) is allowed at each place JSON allows whitespace.
/// </summary>
internal sealed class ObjectFrame : Frame
{
    private const byte AfterOpen = 0;
    private const byte ExpectKey = 1;
    private const byte InKey = 2;
    private const byte AfterKey = 3;
    private const byte AfterColon = 4;
    private const byte AfterValue = 5;
    private const byte Done = 6;

    private readonly SchemaNode _node;
    private readonly int _depth;
    private readonly byte _phase;
    private readonly bool _space;
    private readonly int _next;
    private readonly int _property;
    private readonly int[]? _keys;
    private readonly int _keyPosition;

    public ObjectFrame(SchemaNode node, int depth)
        : this(node, depth, AfterOpen, false, 0, -1, null, 0)
    {
    }

    private ObjectFrame(SchemaNode node, int depth, byte phase, bool space, int next, int property, int[]? keys, int keyPosition)
    {
        _node = node;
        _depth = depth;
        _phase = phase;
        _space = space;
        _next = next;
        _property = property;
        _keys = keys;
        _keyPosition = keyPosition;
    }

    /// <inheritdoc/>
    public override bool IsComplete => _phase == Done;

    private bool IsFree => _node.Properties.Length == 0;

    /// <inheritdoc/>
    public override void Step(ParseStack self, byte b, List<ParseStack> output)
    {
        if (_phase is AfterOpen or ExpectKey or AfterKey or AfterColon or AfterValue && ParseStack.IsWhitespace(b))
        {
            if (!_space)
            {
                ParseStack.Emit(output, self.Replace(With(_phase, true)));
            }

            return;
        }

        switch (_phase)
        {
            case AfterOpen when b == '}':
            case AfterValue when b == '}':
                if (CanClose())
                {
                    ParseStack.Emit(output, self.Replace(With(Done, false)));
                }

                break;
            case AfterOpen when b == '"':
            case ExpectKey when b == '"':
                StartKey(self, output);
                break;
            case AfterValue when b == ',':
                if (IsFree ? _node.AdditionalProperties is not null : Candidates().Length > 0)
                {
                    ParseStack.Emit(output, self.Replace(With(ExpectKey, false)));
                }

                break;
            case InKey:
                MatchKey(self, b, output);
                break;
            case AfterKey when b == ':':
                ParseStack.Emit(output, self.Replace(With(AfterColon, false)));
                break;
            case AfterColon:
                var schema = IsFree ? _node.AdditionalProperties! : _node.Properties[_property].Schema;
                var after = new ObjectFrame(_node, _depth, AfterValue, false, _property + 1, -1, null, 0);
                ParseStack.StartValue(self.Replace(after), schema, _depth, b, output);
                break;
            default:
                break;
        }
    }

    private ObjectFrame With(byte phase, bool space) => new(_node, _depth, phase, space, _next, _property, _keys, _keyPosition);

    private bool CanClose()
    {
        for (var i = _next; i < _node.Properties.Length; i++)
        {
            if (_node.Properties[i].Required)
            {
                return false;
            }
        }

        return true;
    }

    private int[] Candidates()
    {
        // Properties from _next up to and including the first required one.
        var list = new List<int>();
        for (var i = _next; i < _node.Properties.Length; i++)
        {
            list.Add(i);
            if (_node.Properties[i].Required)
            {
                break;
            }
        }

        return [.. list];
    }

    private void StartKey(ParseStack self, List<ParseStack> output)
    {
        if (IsFree)
        {
            if (_node.AdditionalProperties is not null)
            {
                var afterKey = new ObjectFrame(_node, _depth, AfterKey, false, _next, 0, null, 0);
                ParseStack.Emit(output, self.Replace(afterKey).Push(StringFrame.Open(SchemaNodes.FreeString)));
            }

            return;
        }

        var candidates = Candidates();
        if (candidates.Length > 0)
        {
            ParseStack.Emit(output, self.Replace(new ObjectFrame(_node, _depth, InKey, false, _next, -1, candidates, 1)));
        }
    }

    private void MatchKey(ParseStack self, byte b, List<ParseStack> output)
    {
        List<int>? kept = null;
        foreach (var i in _keys!)
        {
            var key = _node.Properties[i].Key;
            if (key[_keyPosition] != b)
            {
                continue;
            }

            if (key.Length == _keyPosition + 1)
            {
                // The closing quote: the key is decided (a key's quote cannot be a prefix of another key).
                ParseStack.Emit(output, self.Replace(new ObjectFrame(_node, _depth, AfterKey, false, i + 1, i, null, 0)));
                return;
            }

            kept ??= [];
            kept.Add(i);
        }

        if (kept is not null)
        {
            ParseStack.Emit(output, self.Replace(new ObjectFrame(_node, _depth, InKey, false, _next, -1, [.. kept], _keyPosition + 1)));
        }
    }
}

/// <summary>A JSON array with item schema and item-count bounds; whitespace as in <see cref="ObjectFrame"/>.</summary>
internal sealed class ArrayFrame : Frame
{
    private const byte AfterOpen = 0;
    private const byte ExpectValue = 1;
    private const byte AfterValue = 2;
    private const byte Done = 3;

    private readonly SchemaNode _node;
    private readonly int _depth;
    private readonly byte _phase;
    private readonly bool _space;
    private readonly int _count;

    public ArrayFrame(SchemaNode node, int depth)
        : this(node, depth, AfterOpen, false, 0)
    {
    }

    private ArrayFrame(SchemaNode node, int depth, byte phase, bool space, int count)
    {
        _node = node;
        _depth = depth;
        _phase = phase;
        _space = space;
        _count = count;
    }

    /// <inheritdoc/>
    public override bool IsComplete => _phase == Done;

    /// <inheritdoc/>
    public override void Step(ParseStack self, byte b, List<ParseStack> output)
    {
        if (_phase != Done && ParseStack.IsWhitespace(b))
        {
            if (!_space)
            {
                ParseStack.Emit(output, self.Replace(new ArrayFrame(_node, _depth, _phase, true, _count)));
            }

            return;
        }

        switch (_phase)
        {
            case AfterOpen or AfterValue when b == ']':
                if (_count >= _node.MinItems)
                {
                    ParseStack.Emit(output, self.Replace(new ArrayFrame(_node, _depth, Done, false, _count)));
                }

                break;
            case AfterValue when b == ',':
                if (_count < _node.MaxItems)
                {
                    ParseStack.Emit(output, self.Replace(new ArrayFrame(_node, _depth, ExpectValue, false, _count)));
                }

                break;
            case AfterOpen or ExpectValue:
                if (_count < _node.MaxItems)
                {
                    var after = new ArrayFrame(_node, _depth, AfterValue, false, _count + 1);
                    ParseStack.StartValue(self.Replace(after), _node.Items!, _depth, b, output);
                }

                break;
            default:
                break;
        }
    }
}

/// <summary>The root of a JSON document: at most one leading whitespace byte, then one value, then nothing.</summary>
internal sealed class DocumentFrame : Frame
{
    private readonly SchemaNode _root;
    private readonly byte _phase;

    public DocumentFrame(SchemaNode root)
        : this(root, 0)
    {
    }

    private DocumentFrame(SchemaNode root, byte phase)
    {
        _root = root;
        _phase = phase;
    }

    /// <inheritdoc/>
    public override bool IsComplete => _phase == 2;

    /// <inheritdoc/>
    public override void Step(ParseStack self, byte b, List<ParseStack> output)
    {
        if (_phase == 2)
        {
            return;
        }

        if (_phase == 0 && ParseStack.IsWhitespace(b))
        {
            ParseStack.Emit(output, self.Replace(new DocumentFrame(_root, 1)));
            return;
        }

        ParseStack.StartValue(self.Replace(new DocumentFrame(_root, 2)), _root, ParseStack.AnyDepth, b, output);
    }
}

/// <summary>
/// One or more tool calls in a family's envelope: <c>prefix value suffix</c>, repeated with <c>separator</c> up to a
/// maximum (Hermes: <c>&lt;tool_call&gt;\n{...}\n&lt;/tool_call&gt;</c>; JSON formats: the bare object, once).
/// </summary>
internal sealed class EnvelopeFrame : Frame
{
    private const byte ExpectCall = 0;
    private const byte ExpectValue = 1;
    private const byte ExpectSuffix = 2;
    private const byte AfterCall = 3;

    private readonly EnvelopeShape _shape;
    private readonly byte _phase;
    private readonly int _calls;

    public EnvelopeFrame(EnvelopeShape shape)
        : this(shape, ExpectCall, 0)
    {
    }

    private EnvelopeFrame(EnvelopeShape shape, byte phase, int calls)
    {
        _shape = shape;
        _phase = phase;
        _calls = calls;
    }

    /// <inheritdoc/>
    public override bool IsComplete => _phase == AfterCall;

    /// <inheritdoc/>
    public override void Step(ParseStack self, byte b, List<ParseStack> output)
    {
        switch (_phase)
        {
            case ExpectCall:
                Open(self, _shape.Prefix, b, output);
                break;
            case ExpectValue:
                var after = _shape.Suffix.Length == 0 ? new EnvelopeFrame(_shape, AfterCall, _calls + 1) : new EnvelopeFrame(_shape, ExpectSuffix, _calls);
                ParseStack.StartValue(self.Replace(after), _shape.Call, ParseStack.AnyDepth, b, output);
                break;
            case ExpectSuffix:
                LiteralFrame.Start(self.Replace(new EnvelopeFrame(_shape, AfterCall, _calls + 1)), [_shape.Suffix], b, output);
                break;
            default:
                if (_calls < _shape.MaxCalls)
                {
                    Open(self, _shape.SeparatorAndPrefix, b, output);
                }

                break;
        }
    }

    private void Open(ParseStack self, byte[] prefix, byte b, List<ParseStack> output)
    {
        var value = self.Replace(new EnvelopeFrame(_shape, ExpectValue, _calls));
        if (prefix.Length == 0)
        {
            value.Top.Step(value, b, output);
        }
        else
        {
            LiteralFrame.Start(value, [prefix], b, output);
        }
    }
}

/// <summary>The fixed text around tool calls and the call schema.</summary>
/// <param name="Prefix">Text before each call.</param>
/// <param name="Call">Schema of one call object.</param>
/// <param name="Suffix">Text after each call.</param>
/// <param name="SeparatorAndPrefix">Text between calls, prefix included.</param>
/// <param name="MaxCalls">Most calls.</param>
internal sealed record EnvelopeShape(byte[] Prefix, SchemaNode Call, byte[] Suffix, byte[] SeparatorAndPrefix, int MaxCalls);
