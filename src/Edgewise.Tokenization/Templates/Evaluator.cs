using System.Text;

namespace Edgewise.Tokenization.Templates;

/// <summary>
/// Walks the syntax tree. Every node evaluation is one step of the <see cref="Budget"/>; values stay inside
/// the closed <see cref="Value"/> model, so a template can reach nothing but the data it was given.
/// </summary>
internal sealed partial class Evaluator(Budget budget)
{
    private enum Control
    {
        None,
        Break,
        Continue,
    }

    private Control _control;

    public Budget Budget { get; } = budget;

    public string Render(TemplateBody template, Scope globals)
    {
        var text = EvalBlock(template.Body, globals);
        if (_control != Control.None)
        {
            throw Runtime("'break' or 'continue' outside a loop.");
        }

        return text;
    }

    public static TemplateException Runtime(string message) => new(TemplateErrorCodes.Runtime, message);

    public string EvalBlock(List<Node> nodes, Scope scope)
    {
        StringBuilder? builder = null;
        foreach (var node in nodes)
        {
            var value = Eval(node, scope);
            if (_control != Control.None)
            {
                return string.Empty;
            }

            if (value.IsNullish)
            {
                continue;
            }

            builder ??= new StringBuilder();
            builder.Append(value.ToDisplayString(Budget));
            Budget.CheckLength(builder.Length);
        }

        return builder?.ToString() ?? string.Empty;
    }

    public Value Eval(Node node, Scope scope)
    {
        Budget.Step();
        Budget.Enter();
        try
        {
            return node switch
            {
                StringLiteral s => Value.Str(s.Value),
                IntegerLiteral i => Value.Int(i.Value),
                FloatLiteral f => Value.Float(f.Value),
                Identifier id => scope.Lookup(id.Name),
                MemberNode member => EvalMember(member, scope),
                CallNode call => EvalCall(call, scope),
                BinaryNode binary => EvalBinary(binary, scope),
                UnaryNode unary => Operators.Unary(unary.Operator, Eval(unary.Argument, scope)),
                FilterNode filter => Filters.Apply(this, Eval(filter.Operand, scope), filter, scope),
                TestNode test => Value.FromBool(Tests.Run(test.Name, Eval(test.Operand, scope)) != test.Negate),
                SelectNode select => Eval(select.Test, scope).IsTruthy() ? Eval(select.Value, scope) : Value.Undefined,
                TernaryNode ternary => Eval(Eval(ternary.Condition, scope).IsTruthy() ? ternary.WhenTrue : ternary.WhenFalse, scope),
                ArrayLiteral array => Value.List(EvalList(array.Items, scope)),
                TupleLiteral tuple => Value.Tuple(EvalList(tuple.Items, scope)),
                ObjectLiteral obj => EvalObject(obj, scope),
                IfNode ifNode => Value.Str(EvalBlock(Eval(ifNode.Test, scope).IsTruthy() ? ifNode.Body : ifNode.Alternate, scope)),
                ForNode forNode => EvalFor(forNode, scope),
                SetNode set => EvalSet(set, scope),
                MacroNode macro => DefineMacro(macro, scope),
                BreakNode => SetControl(Control.Break),
                ContinueNode => SetControl(Control.Continue),
                _ => throw Runtime("This expression cannot be evaluated here."),
            };
        }
        finally
        {
            Budget.Exit();
        }
    }

    private Value SetControl(Control control)
    {
        _control = control;
        return Value.Null;
    }

    private List<Value> EvalList(List<Node> nodes, Scope scope)
    {
        var items = new List<Value>(nodes.Count);
        foreach (var node in nodes)
        {
            items.Add(Eval(node, scope));
        }

        return items;
    }

    private Value EvalObject(ObjectLiteral obj, Scope scope)
    {
        var map = new OrderedDictionary<string, Value>(StringComparer.Ordinal);
        foreach (var (keyNode, valueNode) in obj.Entries)
        {
            var key = Eval(keyNode, scope);
            if (key.Kind != ValueKind.String)
            {
                throw Runtime("Object keys must be strings.");
            }

            map[key.Text] = Eval(valueNode, scope);
        }

        return Value.Dict(map);
    }

    private Value EvalBinary(BinaryNode node, Scope scope)
    {
        var left = Eval(node.Left, scope);
        switch (node.Operator)
        {
            case BinaryOperator.And:
                return left.IsTruthy() ? Eval(node.Right, scope) : left;
            case BinaryOperator.Or:
                return left.IsTruthy() ? left : Eval(node.Right, scope);
            default:
                var result = Operators.Binary(node.Operator, left, Eval(node.Right, scope), Budget);
                if (result.Kind == ValueKind.String)
                {
                    Budget.CheckLength(result.Text.Length);
                }

                return result;
        }
    }

    private Value EvalMember(MemberNode node, Scope scope)
    {
        var target = Eval(node.Target, scope);
        Value property;
        if (node.Computed)
        {
            if (node.Property is SliceNode slice)
            {
                return EvalSlice(target, slice, scope);
            }

            property = Eval(node.Property, scope);
        }
        else
        {
            property = node.Property is IntegerLiteral index ? Value.Int(index.Value) : Value.Str(((Identifier)node.Property).Name);
        }

        return Members.Get(target, property, Budget);
    }

    private Value EvalSlice(Value target, SliceNode slice, Scope scope)
    {
        if (!(target.IsList || target.Kind == ValueKind.String))
        {
            throw Runtime("Only lists and strings can be sliced.");
        }

        var start = SliceBound(slice.Start, scope);
        var stop = SliceBound(slice.Stop, scope);
        var step = SliceBound(slice.Step, scope) ?? 1;
        if (step == 0 || !double.IsFinite(step))
        {
            throw Runtime("Slice step must be a non-zero finite integer.");
        }

        if (target.IsList)
        {
            return Value.List(Members.Slice(target.Items, start, stop, step, Budget));
        }

        var parts = Members.Slice(JsText.CodePoints(target.Text), start, stop, step, Budget);
        return Value.Str(string.Concat(parts));
    }

    private double? SliceBound(Node? node, Scope scope)
    {
        if (node is null)
        {
            return null;
        }

        var value = Eval(node, scope);
        return value.Kind switch
        {
            ValueKind.Undefined => null,
            ValueKind.Integer => value.Number,
            _ => throw Runtime("Slice bounds must be integers."),
        };
    }

    private Value EvalCall(CallNode node, Scope scope)
    {
        var arguments = EvalArguments(node.Arguments, scope);
        var callee = Eval(node.Callee, scope);
        if (callee.Function is null)
        {
            throw Runtime("Cannot call something that is not a function.");
        }

        return callee.Function(arguments, scope);
    }

    public CallArguments EvalArguments(List<Node> nodes, Scope scope)
    {
        var positional = new List<Value>(nodes.Count);
        OrderedDictionary<string, Value>? keywords = null;
        foreach (var node in nodes)
        {
            if (node is SpreadNode { Keywords: false } spread)
            {
                var list = Eval(spread.Argument, scope);
                if (!list.IsList)
                {
                    throw Runtime("Cannot unpack a non-list argument.");
                }

                positional.AddRange(list.Items);
            }
            else if (node is not (KeywordArgument or SpreadNode))
            {
                positional.Add(Eval(node, scope));
            }
        }

        foreach (var node in nodes)
        {
            if (node is KeywordArgument keyword)
            {
                AddKeyword(ref keywords, keyword.Name, Eval(keyword.Value, scope));
            }
            else if (node is SpreadNode { Keywords: true } spread)
            {
                var map = Eval(spread.Argument, scope);
                if (!map.IsDict)
                {
                    throw Runtime("Argument after ** must be a mapping.");
                }

                foreach (var (key, value) in map.Map)
                {
                    AddKeyword(ref keywords, key, value);
                }
            }
        }

        return new CallArguments(positional, keywords);
    }

    private static void AddKeyword(ref OrderedDictionary<string, Value>? keywords, string name, Value value)
    {
        keywords ??= new OrderedDictionary<string, Value>(StringComparer.Ordinal);
        if (!keywords.TryAdd(name, value))
        {
            throw Runtime("Got multiple values for a keyword argument.");
        }
    }
}
