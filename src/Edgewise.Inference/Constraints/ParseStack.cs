namespace Edgewise.Inference.Constraints;

/// <summary>
/// One immutable parse stack (a persistent linked list of frames, top first). Stepping never mutates a stack, so
/// the token-trie walk can branch and backtrack for free; a set of stacks is the parser's nondeterministic state
/// (several <c>anyOf</c> branches alive at once).
/// </summary>
internal sealed class ParseStack
{
    /// <summary>Most stacks kept alive at once; extra alternatives are dropped (each kept one is still valid).</summary>
    public const int MaxStacks = 32;

    /// <summary>How deep free JSON values may nest.</summary>
    public const int AnyDepth = 12;

    private const int MaxHops = 24;

    public ParseStack(Frame top, ParseStack? parent)
    {
        Top = top;
        Parent = parent;
    }

    /// <summary>The frame on top.</summary>
    public Frame Top { get; }

    /// <summary>The rest of the stack.</summary>
    public ParseStack? Parent { get; }

    /// <summary>True when every frame can end here, so the whole output is complete.</summary>
    public bool CanFinish
    {
        get
        {
            for (var s = this; s is not null; s = s.Parent)
            {
                if (!s.Top.IsComplete)
                {
                    return false;
                }
            }

            return true;
        }
    }

    /// <summary>This stack with its top replaced by <paramref name="frame"/>.</summary>
    public ParseStack Replace(Frame frame) => new(frame, Parent);

    /// <summary>This stack with <paramref name="frame"/> pushed.</summary>
    public ParseStack Push(Frame frame) => new(frame, this);

    /// <summary>
    /// Feeds <paramref name="b"/> to <paramref name="stack"/>: the top frame consumes it, or, when the top is
    /// complete, it is popped and the byte goes to the frame below (both can happen: "1" then "2" or ",").
    /// </summary>
    public static void Feed(ParseStack stack, byte b, List<ParseStack> output)
    {
        for (var s = stack; s is not null; s = s.Parent)
        {
            s.Top.Step(s, b, output);
            if (!s.Top.IsComplete)
            {
                return;
            }
        }
    }

    /// <summary>Feeds <paramref name="b"/> to every stack of <paramref name="states"/>.</summary>
    public static void Feed(List<ParseStack> states, byte b, List<ParseStack> output)
    {
        output.Clear();
        foreach (var s in states)
        {
            Feed(s, b, output);
        }
    }

    /// <summary>Adds <paramref name="stack"/> to <paramref name="output"/> unless the cap is reached.</summary>
    public static void Emit(List<ParseStack> output, ParseStack stack)
    {
        if (output.Count < MaxStacks)
        {
            output.Add(stack);
        }
    }

    /// <summary>
    /// Starts a value of <paramref name="node"/> with its first byte <paramref name="b"/>; <paramref name="continuation"/>
    /// is the stack (its top already advanced) that resumes once the value is complete.
    /// </summary>
    public static void StartValue(ParseStack continuation, SchemaNode node, int depth, byte b, List<ParseStack> output, int hops = 0)
    {
        switch (node.Kind)
        {
            case SchemaKind.AnyOf:
                if (hops < MaxHops)
                {
                    foreach (var alternative in node.Alternatives)
                    {
                        StartValue(continuation, alternative, depth, b, output, hops + 1);
                    }
                }

                break;
            case SchemaKind.Literals:
                LiteralFrame.Start(continuation, node.Literals, b, output);
                break;
            case SchemaKind.String:
                if (b == '"')
                {
                    Emit(output, continuation.Push(StringFrame.Open(node)));
                }

                break;
            case SchemaKind.Number or SchemaKind.Integer:
                var typed = NumberFrame.Start(node);
                typed.Step(continuation.Push(typed), b, output);
                break;
            case SchemaKind.Object:
                if (b == '{')
                {
                    Emit(output, continuation.Push(new ObjectFrame(node, depth)));
                }

                break;
            case SchemaKind.Array:
                if (b == '[')
                {
                    Emit(output, continuation.Push(new ArrayFrame(node, depth)));
                }

                break;
            case SchemaKind.Any:
                StartAny(continuation, depth, b, output);
                break;
            default:
                break;
        }
    }

    private static void StartAny(ParseStack continuation, int depth, byte b, List<ParseStack> output)
    {
        switch (b)
        {
            case (byte)'{' when depth > 0:
                Emit(output, continuation.Push(new ObjectFrame(SchemaNodes.FreeObject, depth - 1)));
                break;
            case (byte)'[' when depth > 0:
                Emit(output, continuation.Push(new ArrayFrame(SchemaNodes.FreeArray, depth - 1)));
                break;
            case (byte)'"':
                Emit(output, continuation.Push(StringFrame.Open(SchemaNodes.FreeString)));
                break;
            case (byte)'-' or (>= (byte)'0' and <= (byte)'9'):
                var number = NumberFrame.Start(SchemaNodes.FreeNumber);
                number.Step(continuation.Push(number), b, output);
                break;
            case (byte)'t' or (byte)'f' or (byte)'n':
                LiteralFrame.Start(continuation, SchemaNodes.JsonKeywords, b, output);
                break;
            default:
                break;
        }
    }

    /// <summary>True for the whitespace bytes allowed between JSON tokens (one at a time).</summary>
    public static bool IsWhitespace(byte b) => b is (byte)' ' or (byte)'\n';
}

/// <summary>Shared schema nodes for free JSON.</summary>
internal static class SchemaNodes
{
    /// <summary>Any value.</summary>
    public static readonly SchemaNode Any = new() { Kind = SchemaKind.Any };

    /// <summary>Any object.</summary>
    public static readonly SchemaNode FreeObject = new() { Kind = SchemaKind.Object, AdditionalProperties = Any };

    /// <summary>Any array.</summary>
    public static readonly SchemaNode FreeArray = new() { Kind = SchemaKind.Array, Items = Any };

    /// <summary>Any string.</summary>
    public static readonly SchemaNode FreeString = new() { Kind = SchemaKind.String };

    /// <summary>Any number.</summary>
    public static readonly SchemaNode FreeNumber = new() { Kind = SchemaKind.Number };

    /// <summary>true, false, null.</summary>
    public static readonly byte[][] JsonKeywords = ["true"u8.ToArray(), "false"u8.ToArray(), "null"u8.ToArray()];
}

/// <summary>One frame of a parse stack: immutable; <see cref="Step"/> emits the successor stacks for one byte.</summary>
internal abstract class Frame
{
    /// <summary>True when the frame's value is complete (it may be popped).</summary>
    public virtual bool IsComplete => false;

    /// <summary>Consumes <paramref name="b"/> with this frame on top of <paramref name="self"/>; adds successors to <paramref name="output"/>.</summary>
    public abstract void Step(ParseStack self, byte b, List<ParseStack> output);
}
